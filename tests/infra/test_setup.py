"""`make setup` (issue 19): a volunteer answers a few questions in plain words; each answer is checked
as the deployment configuration checks it, and only a complete, valid configuration is written."""

from __future__ import annotations

import io
import json
import shutil
from pathlib import Path

from infra.config import CONTEXT_KEY, DeploymentConfig
from infra.setup import QUESTIONS, run

ROOT = Path(__file__).parents[2]


def answered(tmp_path: Path, lines: list[str]) -> tuple[int, str, dict[str, object]]:
    path = tmp_path / "cdk.json"
    shutil.copyfile(ROOT / "cdk.json", path)
    out = io.StringIO()
    code = run(path, io.StringIO("".join(line + "\n" for line in lines)), out)
    return code, out.getvalue(), json.loads(path.read_text())["context"][CONTEXT_KEY]


ANSWERS = [
    "Bedford Cancer Voices",
    "Bedford Hospital",
    "no-reply@bcv.org.uk",
    "secretary@bcv.org.uk",
    "help@bcv.org.uk",
    "01234 355122",
    "Bedford Cancer Voices, Bedford Hospital, Kempston Road, Bedford MK42 9DJ",
    "chair@bcv.org.uk, secretary@bcv.org.uk",
    "",
    "secretary@bcv.org.uk",
    "CC BY 4.0, https://creativecommons.org/licenses/by/4.0/",
]


def test_answers_become_a_valid_configuration_and_the_old_file_is_kept(tmp_path):
    code, said, config = answered(tmp_path, ANSWERS)
    assert code == 0, said
    assert config["group_name"] == config["controller_name"] == "Bedford Cancer Voices"
    assert config["sender"] == "Bedford Cancer Voices <no-reply@bcv.org.uk>"
    assert config["coordinators"] == ["chair@bcv.org.uk", "secretary@bcv.org.uk"]
    assert config["first_administrator"] == "secretary@bcv.org.uk"
    assert "domain_name" not in config
    assert config["data_licence_name"] == "CC BY 4.0"
    assert config["data_licence_url"] == "https://creativecommons.org/licenses/by/4.0/"
    DeploymentConfig.model_validate(config)
    assert (tmp_path / "cdk.json.bak").exists()
    assert len(QUESTIONS) == 11 and "Saved in cdk.json" in said


def test_a_bad_answer_is_explained_and_asked_again_and_enter_keeps_what_is_there(tmp_path):
    lines = ["", "", "not an address", "no-reply@mkcpp.org.uk", *[""] * 5, "www.", "", "", ""]
    code, said, config = answered(tmp_path, lines)
    assert code == 0, said
    assert said.count("That does not work:") == 2
    assert "An email address must have an @-sign. Please try again" in said
    assert "not in the form asked for (see the example)" in said
    assert config["group_name"] == "Milton Keynes Cancer Patient Partnership"
    # the data licence, undecided, is the Open Government Licence until one is chosen
    assert config["data_licence_name"] == "Open Government Licence v3.0"
    assert str(config["data_licence_url"]).startswith("https://www.nationalarchives.gov.uk/")


def test_stopping_half_way_saves_nothing(tmp_path):
    before = (ROOT / "cdk.json").read_text()
    code, said, _ = answered(tmp_path, ANSWERS[:3])
    assert code == 1 and "nothing was saved" in said
    assert (tmp_path / "cdk.json").read_text() == before


def test_the_first_administrator_is_made_by_the_deploy_in_the_admins_group(template):
    resources = template["Resources"]
    (user,) = [r for r in resources.values() if r["Type"] == "AWS::Cognito::UserPoolUser"]
    config = DeploymentConfig.model_validate(
        json.loads((ROOT / "cdk.json").read_text())["context"][CONTEXT_KEY]
    )
    assert user["Properties"]["Username"] == config.first_administrator
    assert user["Properties"]["DesiredDeliveryMediums"] == ["EMAIL"]  # Cognito emails the password
    (attachment,) = [
        r for r in resources.values() if r["Type"] == "AWS::Cognito::UserPoolUserToGroupAttachment"
    ]
    assert attachment["Properties"]["GroupName"] == "admins"
    assert attachment["Properties"]["Username"] == config.first_administrator
