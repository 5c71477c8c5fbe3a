"""The JWT authorizer, the outbox's MIME parsing and each function's environment."""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path

import pytest

from infra.declaration import FUNCTIONS, MEMBERS_PUBLIC, environment
from infra.local.auth import Authorizer, Unauthorized, claim_string, load_or_create_key, mint
from infra.local.environment import Endpoints, deployment_config, function_environment, local_resources
from infra.local.outbox import parse_mime
from infra.local.state import StateDir
from shared.email.mailer import Attachment, OutgoingEmail, build_mime
from shared.email.render import RenderedEmail
from shared.web import admin_groups

KEY = "k" * 48


# --- authorizer ----------------------------------------------------------------------------------


def test_claims_arrive_as_strings_the_way_api_gateway_passes_them() -> None:
    claims, scopes = Authorizer(KEY).authorize(f"Bearer {mint(KEY, groups=['admins', 'editors'], sub='u-1')}")

    assert claims["sub"] == "u-1"
    assert claims["cognito:groups"] == "[admins editors]"
    assert claims["exp"].isdigit()
    assert all(isinstance(v, str) for v in claims.values())
    assert scopes is None
    # and the handlers' own check reads that form
    assert admin_groups(claims) == {"admins", "editors"}


@pytest.mark.parametrize(
    "authorization",
    [
        None,
        "",
        "Bearer ",
        "Bearer not.a.token",
        "Bearer " + mint("another-key-" * 4),
        "Bearer " + mint(KEY, lifetime=timedelta(seconds=-1)),
        "Bearer " + mint(KEY, extra={"iss": "https://someone.else"}),
        "Bearer " + mint(KEY, extra={"client_id": "another-client"}),
    ],
)
def test_tokens_api_gateway_would_refuse(authorization: str | None) -> None:
    with pytest.raises(Unauthorized):
        Authorizer(KEY).authorize(authorization)


def test_the_bearer_prefix_is_optional() -> None:
    token = mint(KEY)

    assert Authorizer(KEY).authorize(token)[0] == Authorizer(KEY).authorize(f"bearer {token}")[0]


def test_claim_strings() -> None:
    assert claim_string(["admins"]) == "[admins]"
    assert claim_string(True) == "true"
    assert claim_string(1795860930) == "1795860930"
    assert claim_string({"a": 1}) == '{"a":1}'


def test_keys_are_made_once_and_kept(tmp_path: Path) -> None:
    first = load_or_create_key(tmp_path)

    assert len(first) >= 32
    assert load_or_create_key(tmp_path) == first
    assert StateDir(tmp_path).secret("signing-key") == StateDir(tmp_path).secret("signing-key") != first
    assert (tmp_path / "signing-key").stat().st_mode & 0o077 == 0


# --- outbox --------------------------------------------------------------------------------------


def test_an_email_is_parsed_back_from_its_mime() -> None:
    email = OutgoingEmail(
        to="ann@example.org",
        content=RenderedEmail(subject="Plenary on Tuesday", text="Hello Ann\n", html="<p>Hello Ann</p>"),
        kind="invite",
        unsubscribe_url="http://127.0.0.1:3000/members/unsubscribe?token=abc",
        attachments=(
            Attachment(
                "invite.ics", "text/calendar; method=REQUEST", b"BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n"
            ),
            Attachment("map.png", "image/png", b"\x89PNG\r\n"),
        ),
    )
    raw = build_mime(email, "MKCPP <no-reply@mkcpp.org.uk>", "secretary@mkcpp.org.uk").as_bytes().decode()

    parsed = parse_mime("m-1", raw, "2026-11-28T10:00:00.000Z")

    assert parsed["id"] == "m-1"
    assert parsed["to"] == ["ann@example.org"]
    assert parsed["from"] == "MKCPP <no-reply@mkcpp.org.uk>"
    assert parsed["subject"] == "Plenary on Tuesday"
    assert parsed["text"].strip() == "Hello Ann"
    assert parsed["html"].strip() == "<p>Hello Ann</p>"
    assert parsed["headers"]["List-Unsubscribe"] == "<http://127.0.0.1:3000/members/unsubscribe?token=abc>"
    assert parsed["headers"]["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    ics, png = parsed["attachments"]
    assert ics["filename"] == "invite.ics"
    assert ics["content_type"].startswith("text/calendar")
    assert "BEGIN:VCALENDAR" in ics["content"]
    assert (png["filename"], png["content_type"], png["content"]) == ("map.png", "image/png", "iVBORw0K")
    assert parsed["sent_at"] == "2026-11-28T10:00:00.000Z"


# --- environment ---------------------------------------------------------------------------------

ENDPOINTS = Endpoints(dynamodb="http://127.0.0.1:8001", moto="http://127.0.0.1:5001")


def test_each_function_gets_what_the_stack_gives_it_plus_the_local_endpoints(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("AWS_PROFILE", "production")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIAREALKEY")
    config = deployment_config()

    for spec in FUNCTIONS:
        env = function_environment(spec, config, ENDPOINTS, "http://127.0.0.1:3000")

        declared = environment(
            spec,
            local_resources("http://127.0.0.1:3000", ENDPOINTS.moto),
            config.as_environment(base_url="http://127.0.0.1:3000"),
        )
        assert declared.items() <= env.items()
        assert env["AWS_ENDPOINT_URL"] == ENDPOINTS.moto
        assert env["AWS_ENDPOINT_URL_DYNAMODB"] == ENDPOINTS.dynamodb
        assert env["AWS_LAMBDA_FUNCTION_NAME"] == spec.name
        assert env["_HANDLER"] == spec.handler
        assert env["AWS_REGION"] == env["AWS_DEFAULT_REGION"] == "eu-west-2"
        assert all(value != "" for value in env.values())
        # nothing from the developer's shell that could reach a real account
        assert "AWS_PROFILE" not in env
        assert env["AWS_ACCESS_KEY_ID"] == "local"
        assert env["AWS_CONFIG_FILE"] == env["AWS_SHARED_CREDENTIALS_FILE"] == os.devnull


def test_local_names_are_the_declared_local_names() -> None:
    env = function_environment(MEMBERS_PUBLIC, deployment_config(), ENDPOINTS, "http://127.0.0.1:3000")

    assert env["MEMBERS_TABLE_NAME"] == "mkcpp-members"
    assert env["SIGNING_KEY_SECRET_ID"] == "mkcpp/signing-key"
    assert env["LOOKUP_KEY_SECRET_ID"] == "mkcpp/lookup-key"
    assert env["BASE_URL"] == "http://127.0.0.1:3000"
