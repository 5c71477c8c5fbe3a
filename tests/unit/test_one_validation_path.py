"""Bad input is answered in one place (`shared.api.HttpApi`), in the words of the body's own model,
for JSON and for forms alike, with no mapping keyed by path: a new capability's route gets it by
taking a model."""

from __future__ import annotations

import base64
import copy
import json
from typing import Annotated, Any, ClassVar
from urllib.parse import urlencode

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Body, Query
from pydantic import Field

from shared.api import HttpApi
from shared.errors import BadLink, DomainError
from shared.forms import FormModel
from tests.support.events import load
from tests.support.lambda_context import FakeContext


class Note(FormModel):
    title: str = Field(min_length=1, max_length=20)
    messages: ClassVar[dict[str, str]] = {"title": "Give the note a title, in 20 letters or fewer"}


class TitleTaken(DomainError):
    status = 400
    message = "Taken."
    fields: ClassVar[dict[str, str]] = {"title": "Another note has this title"}


def _page(status: int, title: str, paragraphs: list[str]) -> Response[str]:
    return Response(status, "text/html", f"<h1>{title}</h1>" + "".join(f"<p>{p}</p>" for p in paragraphs))


app = HttpApi(problem_page=_page, error_pages={BadLink: lambda e: _page(400, "Get a new link", [])})


@app.post("/notes")
def add_note(note: Annotated[Note, Body()]) -> dict[str, str]:
    if note.title == "taken":
        raise TitleTaken
    return {"title": note.title}


@app.get("/notes/open")
def open_note(token: Annotated[str, Query(max_length=5)] = "") -> dict[str, str]:
    return {"token": token}


@app.form_page(Note)
def _note_again(errors: dict[str, str], values: dict[str, Any]) -> Response[str]:
    return Response(400, "text/html", f"<form>{values.get('title', '')}</form><p>{errors['title']}</p>")


def _event(
    method: str, path: str, body: Any = None, *, form: bool = False, html: bool = False, query: Any = None
) -> Any:
    event = copy.deepcopy(load("members/get_signup_form.json"))
    event["queryStringParameters"] = query
    event["rawQueryString"] = urlencode(query or {})
    event["rawPath"] = event["requestContext"]["http"]["path"] = path
    event["requestContext"]["http"]["method"] = method
    event["headers"]["accept"] = "text/html" if html else "application/json"
    event.pop("body", None)
    event["isBase64Encoded"] = False
    if body is not None and form:
        event["headers"]["content-type"] = "application/x-www-form-urlencoded"
        event["body"] = base64.b64encode(urlencode(body).encode()).decode()
        event["isBase64Encoded"] = True
    elif body is not None:
        event["headers"]["content-type"] = "application/json"
        event["body"] = json.dumps(body)
    return app.resolve(event, FakeContext())


def test_json_and_form_name_the_field_in_the_models_own_words():
    for form in (False, True):
        answer = _event("POST", "/notes", {"title": ""}, form=form)
        assert answer["statusCode"] == 400
        assert json.loads(answer["body"])["errors"] == [
            {"field": "title", "message": "Give the note a title, in 20 letters or fewer"}
        ]


def test_a_browser_gets_the_form_again_with_what_it_typed():
    answer = _event("POST", "/notes", {"title": "x" * 30}, form=True, html=True)
    assert answer["statusCode"] == 400
    assert "x" * 30 in answer["body"] and "20 letters or fewer" in answer["body"]


def test_a_domain_refusal_naming_a_field_is_shown_as_bad_input_is():
    assert json.loads(_event("POST", "/notes", {"title": "taken"})["body"])["errors"] == [
        {"field": "title", "message": "Another note has this title"}
    ]
    page = _event("POST", "/notes", {"title": "taken"}, form=True, html=True)
    assert "<form>taken</form>" in page["body"] and "Another note has this title" in page["body"]


def test_a_bad_query_parameter_is_a_link_that_does_not_work_in_a_browser():
    too_long = {"token": "toolong"}
    assert "Get a new link" in _event("GET", "/notes/open", html=True, query=too_long)["body"]
    assert json.loads(_event("GET", "/notes/open", query=too_long)["body"])["errors"][0]["field"] == "token"
