"""`make setup`: the few questions a deployment needs, in plain words, each answer checked as the
deployment configuration checks it (`infra.config.DeploymentConfig`), then written to `cdk.json`.

A volunteer edits no JSON. Pressing Enter keeps the answer shown in brackets (what `cdk.json` holds
now). Nothing is written until every answer is good; the old file is kept as `cdk.json.bak`.

    python -m infra.setup [--file cdk.json]
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
from collections.abc import Callable
from email.utils import parseaddr
from pathlib import Path
from typing import Any, NamedTuple, TextIO

from pydantic import ValidationError

from infra.config import CONTEXT_KEY, DeploymentConfig
from shared.settings import OGL_NAME, OGL_URL


class Question(NamedTuple):
    key: str  # the answer's place in the configuration
    ask: str  # the question, in plain words
    example: str
    optional: bool = False
    # from the typed answer to the configuration's value(s)
    to_values: Callable[[str, dict[str, Any]], dict[str, Any]] | None = None


def _sender(answer: str, config: dict[str, Any]) -> dict[str, Any]:
    return {"sender": f"{config['group_name']} <{answer}>"}


def _list(key: str) -> Callable[[str, dict[str, Any]], dict[str, Any]]:
    return lambda answer, _config: {key: [a.strip() for a in answer.split(",") if a.strip()]}


def _licence(answer: str, _config: dict[str, Any]) -> dict[str, Any]:
    # "<name>, <https address>": the address is checked as the configuration checks it
    name, _, url = answer.rpartition(",")
    if not name:
        return {"data_licence_name": answer, "data_licence_url": ""}
    return {"data_licence_name": name.strip(), "data_licence_url": url.strip()}


def _name(answer: str, config: dict[str, Any]) -> dict[str, Any]:
    # the sender shows the partnership's name: keep it in step with a new name
    address = parseaddr(str(config.get("sender", "")))[1]
    values: dict[str, Any] = {"group_name": answer, "controller_name": answer}
    if address:
        values["sender"] = f"{answer} <{address}>"
    return values


QUESTIONS = (
    Question(
        "group_name",
        "What is the partnership's name?",
        "Milton Keynes Cancer Patient Partnership",
        to_values=_name,
    ),
    Question("hospital", "Which hospital does it work with?", "Milton Keynes University Hospital"),
    Question(
        "sender",
        "Which address do its emails come from? Use one that nobody needs to read.",
        "no-reply@mkcpp.org.uk",
        to_values=_sender,
    ),
    Question("reply_to", "Where should replies to those emails go?", "secretary@mkcpp.org.uk"),
    Question(
        "contact_email", "Which email address can members write to with questions?", "secretary@mkcpp.org.uk"
    ),
    Question("contact_phone", "Which phone number can members ring for help?", "01908 996010"),
    Question(
        "postal_address",
        "What is the partnership's postal address, on one line?",
        "MKCPP, Milton Keynes University Hospital, Standing Way, Milton Keynes MK6 5LD",
    ),
    Question(
        "coordinators",
        "Who should get alarm and feedback emails? Give one or more addresses, split by commas.",
        "chair@mkcpp.org.uk, secretary@mkcpp.org.uk",
        to_values=_list("coordinators"),
    ),
    Question(
        "domain_name",
        "Your own web address for the forms, if you have one (press Enter to skip).",
        "join.mkcpp.org.uk",
        optional=True,
    ),
    Question(
        "first_administrator",
        "Who is the first administrator of the console? Give their email address.",
        "secretary@mkcpp.org.uk",
    ),
    Question(
        "data_licence",
        "Under which licence may others reuse the directory's data? Give its name and web address, "
        "split by a comma.",
        f"{OGL_NAME}, {OGL_URL}",
        to_values=_licence,
    ),
)


def _shown(key: str, config: dict[str, Any]) -> str:
    value = config.get(key)
    if key == "sender":
        return parseaddr(str(value or ""))[1]
    if key == "data_licence":  # until one is chosen, the default licence
        return f"{config.get('data_licence_name', OGL_NAME)}, {config.get('data_licence_url', OGL_URL)}"
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    return "" if value is None else str(value)


def _problem(config: dict[str, Any], keys: set[str]) -> str | None:
    """What the configuration model says about these keys, in its own words (None: all good)."""
    try:
        DeploymentConfig.model_validate(config)
    except ValidationError as invalid:
        for error in invalid.errors():
            if error["loc"] and str(error["loc"][0]) in keys:
                if error["type"] == "string_pattern_mismatch":
                    return "it is not in the form asked for (see the example)"
                return str(error["msg"]).removeprefix("Value error, ").rstrip(".")
    return None


def run(path: Path, answers: TextIO, out: TextIO) -> int:
    document = json.loads(path.read_text())
    config: dict[str, Any] = dict(document["context"][CONTEXT_KEY])
    out.write(
        "A few questions about your partnership. Press Enter to keep the answer in brackets.\n"
        "Nothing is saved until the end.\n\n"
    )
    for number, question in enumerate(QUESTIONS, start=1):
        while True:
            current = _shown(question.key, config)
            out.write(f"{number}. {question.ask}\n   For example: {question.example}\n")
            out.write(f"   [{current}] > " if current else "   > ")
            out.flush()
            line = answers.readline()
            if line == "":
                out.write("\nStopped before the end: nothing was saved.\n")
                return 1
            answer = line.strip() or current
            if not answer:
                if question.optional:
                    config.pop(question.key, None)
                    out.write("\n")
                    break
                out.write("   Please answer this one: it is needed.\n")
                continue
            values = question.to_values(answer, config) if question.to_values else {question.key: answer}
            trial = {**config, **values}
            problem = _problem(trial, set(values))
            if problem is None:
                config = trial
                out.write("\n")
                break
            out.write(f"   That does not work: {problem}. Please try again.\n")
    problem = _problem(config, set(config))
    if problem is not None:
        out.write(f"Something else in cdk.json needs fixing first: {problem}\nNothing was saved.\n")
        return 1
    shutil.copyfile(path, path.with_name(path.name + ".bak"))
    document["context"][CONTEXT_KEY] = config
    path.write_text(json.dumps(document, indent=2, ensure_ascii=False) + "\n")
    out.write(f"Saved in {path.name} (the old one is {path.name}.bak). Next: README, 'Deploying for real'.\n")
    return 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--file", default="cdk.json", type=Path)
    args = parser.parse_args()
    sys.exit(run(args.file, sys.stdin, sys.stdout))


if __name__ == "__main__":
    main()
