"""Pages and emails from Jinja templates in `shared/templates/`.

HTML is autoescaped; text parts are not (they are plain text). Undefined variables fail loudly.
An email is a pair of templates, `email/<name>.txt` and `email/<name>.html`; the text template's
first line is `Subject: ...`.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

if TYPE_CHECKING:  # jinja2 is imported on the first render, not on a handler's cold import
    from jinja2 import Environment

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"


@cache
def _environment() -> Environment:
    from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

    from shared.once import fresh_token
    from shared.timefmt import day, moment

    environment = Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=select_autoescape(enabled_extensions=("html",), default_for_string=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        auto_reload=False,  # the templates never change while a function runs: no stat per page
    )
    environment.globals["fresh_once"] = fresh_token  # each console form's own submission token
    environment.filters["day"] = day  # "7 December 2026"
    environment.filters["moment"] = moment  # "7 December 2026, 2:05pm"
    return environment


class RenderedEmail(NamedTuple):
    subject: str
    text: str
    html: str


def render_page(template: str, /, **context: Any) -> str:
    return _environment().get_template(f"pages/{template}.html").render(**context)


def render_email(template: str, /, **context: Any) -> RenderedEmail:
    env = _environment()
    text = env.get_template(f"email/{template}.txt").render(**context)
    first, _, body = text.partition("\n")
    if not first.startswith("Subject: "):
        raise ValueError(f"email/{template}.txt must start with 'Subject: '")
    subject = first.removeprefix("Subject: ").strip()
    html = env.get_template(f"email/{template}.html").render(subject=subject, **context)
    return RenderedEmail(subject=subject, text=body.lstrip("\n"), html=html)


def render_template(path: str, /, **context: Any) -> str:
    """Any HTML template under `shared/templates/` by its path, e.g. `console/home.html`."""
    return _environment().get_template(path).render(**context)
