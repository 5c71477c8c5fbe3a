"""Throwaway capability: its console page (`/console/notes`)."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.event_handler import Response

from shared.console.app import ConsoleApp
from shared.web import html_page

app = ConsoleApp()


@app.get("/console/notes", summary="The notes", responses={200: html_page("The notes page")})
def notes() -> Response[str]:
    return app.page("message", title="Notes", paragraphs=["No notes yet."])


def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return app.resolve(event, context)
