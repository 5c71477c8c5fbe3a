"""The app and its configuration: cdk.json runs it, and a bad setting stops the synth with its name."""

from __future__ import annotations

import json

import pytest

from infra import app as infra_app
from infra.app import build_app, cdk_json_context
from infra.config import ConfigError
from tests.support.cdk import ROOT, new_outdir

pytestmark = pytest.mark.infra


def mkcpp(**changes):
    return {"mkcpp": {**cdk_json_context()["mkcpp"], **changes}}


def test_cdk_json_runs_the_app_module():
    assert json.loads((ROOT / "cdk.json").read_text())["app"] == ".venv/bin/python -m infra.app"


@pytest.mark.parametrize(
    ("changes", "key"),
    [
        ({"sender": "not an address"}, "mkcpp.sender"),
        ({"time_zone": "Mars/Olympus_Mons"}, "mkcpp.time_zone"),
        ({"log_retention_days": 42}, "mkcpp.log_retention_days"),
        ({"base_url": "http://api.example.org/"}, "mkcpp.base_url"),
        ({"surprise": True}, "mkcpp.surprise"),
    ],
)
def test_bad_setting_is_named(changes, key):
    with pytest.raises(ConfigError, match=key.replace(".", r"\.")):
        build_app(mkcpp(**changes), outdir=new_outdir())


def test_missing_config_is_explained(monkeypatch):
    context = {k: v for k, v in cdk_json_context().items() if k != "mkcpp"}
    monkeypatch.setattr(infra_app, "cdk_json_context", lambda: context)
    with pytest.raises(ConfigError, match="no 'mkcpp' object"):
        build_app(outdir=new_outdir())


def test_main_prints_the_message_and_exits_non_zero(monkeypatch, capsys):
    monkeypatch.setattr(infra_app, "cdk_json_context", lambda: mkcpp(time_zone="Nowhere/Special"))
    with pytest.raises(SystemExit) as exited:
        infra_app.main()
    assert exited.value.code != 0
    err = capsys.readouterr().err
    assert "mkcpp.time_zone" in err
    assert "Traceback" not in err


def test_base_url_from_config_reaches_the_functions():
    # The stack is built (not synthesized): cheap, and enough to read the environment it computes
    _app, stack = build_app(mkcpp(base_url="https://api.mkcpp.example"), outdir=new_outdir())
    for declared in stack.functions.values():
        assert declared.environment["BASE_URL"] == "https://api.mkcpp.example"


def test_missing_assets_are_explained(monkeypatch, tmp_path, capsys):
    from infra import build

    monkeypatch.setattr(build, "LAYER_ASSET", tmp_path / "layer")
    with pytest.raises(SystemExit) as exited:
        infra_app.main()
    assert exited.value.code != 0
    assert "make build" in capsys.readouterr().err


def test_settings_functions_will_need_reach_them_validated():
    # reminder offsets, the time zone and the coordinators travel in the same generated environment
    from shared.settings import DeploymentSettings

    _app, stack = build_app(mkcpp(reminder_offsets_days=[1, 14]), outdir=new_outdir())
    for declared in stack.functions.values():
        env = {k: v for k, v in declared.environment.items() if isinstance(v, str)}
        env.setdefault("BASE_URL", "https://x.example")
        settings = DeploymentSettings.model_validate(env)
        assert settings.reminder_offsets_days == [14, 1]
        assert settings.time_zone == "Europe/London"
        assert settings.coordinators == ["coordinator@mkcpp.org.uk"]


def contact_config(**changes):
    from infra.config import load_config

    return load_config({**cdk_json_context()["mkcpp"], **changes})


@pytest.mark.parametrize(
    ("changes", "key"),
    [
        ({"contact_phone": "call the hospital"}, "mkcpp.contact_phone"),
        ({"contact_phone": "01908 12"}, "mkcpp.contact_phone"),
        ({"contact_email": "secretary at mkcpp"}, "mkcpp.contact_email"),
        ({"postal_address": "MK6"}, "mkcpp.postal_address"),
        ({"hospital": "<b>MKUH</b>"}, "mkcpp.hospital"),
        ({"about": "Line one\nline two of what we are"}, "mkcpp.about"),
        ({"members_do": ""}, "mkcpp.members_do"),
        ({"controller_name": ""}, "mkcpp.controller_name"),
        ({"unsubscribe_grace_days": 0}, "mkcpp.unsubscribe_grace_days"),
        ({"unsubscribe_grace_days": 366}, "mkcpp.unsubscribe_grace_days"),
        ({"data_licence_name": ""}, "mkcpp.data_licence_name"),
        ({"data_licence_url": "http://example.org/licence"}, "mkcpp.data_licence_url"),
        ({"data_licence_url": "https://example.org/a licence"}, "mkcpp.data_licence_url"),
        # emails come from the group's name, not a bare abbreviation
        ({"sender": "MKCPP <no-reply@mkcpp.org.uk>"}, "mkcpp.sender"),
    ],
)
def test_what_members_are_shown_is_checked_at_synth(changes, key):
    with pytest.raises(ConfigError, match=key.replace(".", r"\.")):
        contact_config(**changes)


def test_the_data_licence_reaches_the_functions_and_is_the_ogl_until_chosen():
    context = {k: v for k, v in cdk_json_context()["mkcpp"].items() if not k.startswith("data_licence")}
    from infra.config import load_config

    env = load_config(context).as_environment("https://example.org")
    assert env["DATA_LICENCE_NAME"] == "Open Government Licence v3.0"
    assert (
        env["DATA_LICENCE_URL"]
        == "https://www.nationalarchives.gov.uk/doc/open-government-licence/version/3/"
    )
    chosen = contact_config(
        data_licence_name="CC BY 4.0", data_licence_url="https://creativecommons.org/licenses/by/4.0/"
    )
    assert chosen.as_environment("https://example.org")["DATA_LICENCE_NAME"] == "CC BY 4.0"


def test_the_sender_must_show_the_group_name():
    with pytest.raises(ConfigError, match="sender must show the group's name"):
        contact_config(sender="MKCPP <no-reply@mkcpp.org.uk>")
    config = contact_config()
    assert config.sender == f"{config.group_name} <no-reply@mkcpp.org.uk>"


@pytest.mark.parametrize("phone", ["01908 996010", "01908996010", "+44 1908 996010", "0303 123 1113"])
def test_uk_phone_numbers_as_people_write_them_are_accepted(phone):
    assert contact_config(contact_phone=phone).contact_phone == phone


def test_the_grace_period_defaults_to_30_days():
    context = {k: v for k, v in cdk_json_context()["mkcpp"].items() if k != "unsubscribe_grace_days"}
    from infra.config import load_config

    assert load_config(context).unsubscribe_grace_days == 30


def test_who_members_deal_with_reaches_every_function_validated():
    # Given the deployment's contact details, as the stack renders them into each environment
    from shared.settings import DeploymentSettings

    config = contact_config()
    env = config.as_environment("https://api.example.org")
    # When a function reads them
    contact = DeploymentSettings.model_validate(env).contact
    # Then pages and emails get the configured words, unchanged
    assert contact.hospital == "Milton Keynes University Hospital"
    assert contact.phone == config.contact_phone and contact.email == config.contact_email
    assert contact.postal_address.endswith("MK6 5LD")
    assert contact.phone_href == "01908996010"
    settings = DeploymentSettings.model_validate(env)
    assert settings.log_retention_days == config.log_retention_days
    assert settings.unsubscribe_grace_days == 30
