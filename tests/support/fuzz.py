"""Schemathesis (`st run`) against a running local mode, and what it found, readably.

`run` fuzzes one slice of the API (the public routes, or the admin routes with a token) for a
time budget and reads back schemathesis's own reports: the JSON report for the totals, the NDJSON
event stream for every failing case (method, path, status, what was wrong, and a curl command
that sends the same request). `server_errors` pulls the handlers' tracebacks out of local mode's
log, so a 500 comes with its cause. `tests/integration/test_fuzz.py` and `make fuzz` use both.
"""

from __future__ import annotations

import base64
import json
import re
import shlex
import subprocess
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from infra.declaration import all_routes
from tests.support.local import ROOT

ST = ROOT / ".venv" / "bin" / "st"
CHECKS = ("not_a_server_error", "response_schema_conformance")
PHASES = ("examples", "coverage", "fuzzing", "stateful")
FILTERED = "[Filtered]"


@dataclass(frozen=True)
class Failure:
    """One failing check of one generated request."""

    code: str  # ST101 (server error), ST108 (response violates schema), ...
    title: str
    operation: str  # "PATCH /admin/groups/{id}"
    method: str
    url: str
    status: int | None
    message: str
    curl: str
    phase: str

    @property
    def key(self) -> tuple[str, str, int | None, str]:
        """What makes two failures the same: the check, the operation, the status, the reason."""
        return (self.code, self.operation, self.status, self.message.split("\n", 1)[0])

    def describe(self) -> str:
        lines = [f"{self.operation}  ->  {self.status}  [{self.code} {self.title}] ({self.phase})"]
        if self.message:
            lines += [f"    {line}" for line in self.message.strip().splitlines()[:6]]
        lines.append(f"    {self.curl}")
        return "\n".join(lines)


@dataclass
class Run:
    name: str
    command: list[str]
    exit_code: int
    seconds: float
    generated: int
    failures: list[Failure]
    errors: list[str]
    stdout: str
    report: dict[str, Any] = field(repr=False)

    def unique_failures(self) -> list[Failure]:
        seen: dict[tuple[str, str, int | None, str], Failure] = {}
        for failure in self.failures:
            seen.setdefault(failure.key, failure)
        return list(seen.values())


def st_command(
    schema_url: str,
    base_url: str,
    *,
    seed: int,
    max_time: int,
    report_dir: Path,
    include_path_regex: str,
    headers: Mapping[str, str] | None = None,
    max_examples: int | None = None,
) -> list[str]:
    command = [
        str(ST),
        "run",
        schema_url,
        "--url",
        base_url,
        "--checks",
        ",".join(CHECKS),
        "--phases",
        ",".join(PHASES),
        "--seed",
        str(seed),
        "--max-time",
        str(max_time),
        # One request at a time: local mode's log then shows each traceback just before its 500.
        "--workers",
        "1",
        "--include-path-regex",
        include_path_regex,
        "--generation-database",
        "none",
        "--request-timeout",
        "30",
        "--report",
        "json,ndjson",
        "--report-dir",
        str(report_dir),
        "--report-json-path",
        str(report_dir / "report.json"),
        "--report-ndjson-path",
        str(report_dir / "events.ndjson"),
        "--no-color",
        "--output-sanitize",
        "false",
    ]
    if max_examples is not None:
        command += ["--max-examples", str(max_examples)]
    for name, value in (headers or {}).items():
        command += ["--header", f"{name}: {value}"]
    return command


def run(
    name: str,
    schema_url: str,
    base_url: str,
    *,
    seed: int,
    max_time: int,
    work_dir: Path,
    include_path_regex: str,
    headers: Mapping[str, str] | None = None,
    max_examples: int | None = None,
    secrets: Mapping[str, str] | None = None,
) -> Run:
    """Run `st run` and read its reports. `secrets` maps values (the admin token) to the shell
    variable the curl commands name instead (`$TOKEN`)."""
    report_dir = work_dir / name
    report_dir.mkdir(parents=True, exist_ok=True)
    command = st_command(
        schema_url,
        base_url,
        seed=seed,
        max_time=max_time,
        report_dir=report_dir,
        include_path_regex=include_path_regex,
        headers=headers,
        max_examples=max_examples,
    )
    started = time.monotonic()
    # cwd: schemathesis keeps a `.schemathesis/` cache of past crashes where it runs; keep it out
    # of the work tree so every run starts from the seed alone.
    finished = subprocess.run(
        command,
        cwd=work_dir,
        capture_output=True,
        text=True,
        timeout=max_time + 120,
        check=False,
    )
    seconds = time.monotonic() - started
    report_path = report_dir / "report.json"
    report: dict[str, Any] = json.loads(report_path.read_text()) if report_path.exists() else {}
    events = report_dir / "events.ndjson"
    failures = list(_failures(events, base_url, secrets or {})) if events.exists() else []
    errors = [f"{e.get('title')} (x{e.get('count')})" for e in report.get("errors", [])]
    shown = _hide(" ".join(shlex.quote(part) for part in command), secrets or {})
    return Run(
        name=name,
        command=[shown],
        exit_code=finished.returncode,
        seconds=seconds,
        generated=int(report.get("test_cases", {}).get("generated", 0)),
        failures=failures,
        errors=errors,
        stdout=_hide(finished.stdout + finished.stderr, secrets or {}),
        report=report,
    )


def _hide(text: str, secrets: Mapping[str, str]) -> str:
    for value, variable in secrets.items():
        text = text.replace(value, f"${variable}")
    return text


def _failures(events: Path, base_url: str, secrets: Mapping[str, str]) -> Iterator[Failure]:
    with events.open(encoding="utf-8") as stream:
        for line in stream:
            event = json.loads(line)
            finished = event.get("ScenarioFinished")
            if not finished or finished.get("status") != "failure":
                continue
            recorder = finished.get("recorder", {})
            for case_id, checks in recorder.get("checks", {}).items():
                for check in checks:
                    if check.get("status") != "failure":
                        continue
                    info = (check.get("failure_info") or {}).get("failure", {})
                    interaction = recorder.get("interactions", {}).get(case_id) or {}
                    request = interaction.get("request") or {}
                    response = interaction.get("response") or {}
                    yield Failure(
                        code=str(info.get("code", "")),
                        title=str(info.get("title", check.get("name", ""))),
                        operation=str(info.get("operation") or recorder.get("label", "")),
                        method=str(request.get("method", "")),
                        url=str(request.get("uri", "")),
                        status=response.get("status_code"),
                        message=_hide(str(info.get("message", "")), secrets),
                        curl=curl(request, base_url, secrets),
                        phase=str(finished.get("phase", "")),
                    )


def _body(request: Mapping[str, Any]) -> bytes | None:
    body = request.get("body")
    if body is None:
        return None
    if isinstance(body, Mapping) and "$base64" in body:
        return base64.b64decode(body["$base64"])
    if isinstance(body, Mapping) and "string" in body:
        return str(body["string"]).encode()
    return str(body).encode()


def curl(request: Mapping[str, Any], base_url: str, secrets: Mapping[str, str]) -> str:
    """A curl command sending the same request to `$BASE` (the local mode's URL)."""
    url = str(request.get("uri", ""))
    if url.startswith(base_url):
        url = "$BASE" + url[len(base_url) :]
    parts = ["curl", "-sS", "-X", str(request.get("method", "GET"))]
    for name, values in (request.get("headers") or {}).items():
        for value in values if isinstance(values, list) else [values]:
            header = f"{name}: {value}"
            hidden = _hide(header, secrets)
            parts += ["-H", f'"{hidden}"' if hidden != header else shlex.quote(header)]
    body = _body(request)
    prefix = ""
    if body is not None:
        text = _printable(body)
        if text is not None:
            parts += ["--data-binary", shlex.quote(text)]
        else:
            prefix = f"printf %s {base64.b64encode(body).decode()} | base64 -d | "
            parts += ["--data-binary", "@-"]
    parts.append(f'"{url}"' if url.startswith("$BASE") else shlex.quote(url))
    return prefix + " ".join(parts)


def _printable(body: bytes) -> str | None:
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        return None
    if any(ord(c) < 32 and c not in "\t" for c in text) or "\udc80" <= max(text, default=" ") <= "\udcff":
        return None
    return text


# --- local mode's log ------------------------------------------------------------------------------

ACCESS_LINE = re.compile(r"^(GET|POST|PUT|PATCH|DELETE|HEAD|OPTIONS) (\S+) (\d{3}) \d+ ms$")
FRAME = re.compile(r'^\s*File "(?P<file>[^"]+)", line (?P<line>\d+), in (?P<fn>\S+)')


@dataclass(frozen=True)
class ServerError:
    """A handler's traceback, and the route and status the gateway answered with after it."""

    route: str  # "PATCH /admin/groups/{id}"
    status: int
    exception: str  # the last line: "UnicodeDecodeError: 'utf-8' codec can't decode ..."
    where: str  # the deepest frame in this project: "shared/groups.py:124 in all"
    traceback: str
    count: int = 1

    @property
    def key(self) -> tuple[str, str, str]:
        return (self.route, self.exception.split(":", 1)[0], self.where)

    def describe(self, lines: int = 14) -> str:
        body = self.traceback.strip().splitlines()
        excerpt = body if len(body) <= lines else ["...", *body[-lines:]]
        head = f"{self.route} -> {self.status} (x{self.count}): {self.exception}\n    at {self.where}"
        return head + "\n" + "\n".join(f"      {line}" for line in excerpt)


def server_errors(log: str) -> list[ServerError]:
    """Each distinct 500 in local mode's log, with the traceback its function printed.

    A function's output reaches the log through its own pipe, so its traceback and the gateway's
    access line for the same request can come in either order. But with one request at a time,
    the n-th traceback of a function belongs to the n-th 500 of that function's routes."""
    function_of = {route.path: spec.name for route, spec in all_routes()}
    blocks: dict[str, list[list[str]]] = {}
    answered: dict[str, list[str]] = {}
    for raw in log.splitlines():
        access = ACCESS_LINE.match(raw)
        if access:
            method, route, status = access.groups()
            if status == "500":
                answered.setdefault(function_of.get(route, "gateway"), []).append(f"{method} {route}")
            continue
        source, sep, text = raw.partition(" | ")
        if not sep or not source.isidentifier():
            continue
        if source == "gateway" and " returned a result API Gateway refuses" in text:
            source = text.split(" ", 1)[0]
            blocks.setdefault(source, []).append([f"[ERROR] {text}"])
        elif text.startswith("[ERROR] ") or text.startswith("Task timed out"):
            blocks.setdefault(source, []).append([text if text.startswith("[ERROR] ") else f"[ERROR] {text}"])
        elif text.startswith("Traceback (most recent call last)") and source == "gateway":
            blocks.setdefault(source, []).append([text])
        elif blocks.get(source) and not text.startswith(("cold start:", "{")):  # "{": a JSON log line
            blocks[source][-1].append(text)
    found: dict[tuple[str, str, str], ServerError] = {}
    for source in sorted(set(blocks) | set(answered)):
        routes, printed = answered.get(source, []), blocks.get(source, [])
        for index in range(max(len(routes), len(printed))):
            route = routes[index] if index < len(routes) else f"({source}: no 500 matches this traceback)"
            lines = printed[index] if index < len(printed) else []
            error = _server_error(route, 500, lines)
            known = found.get(error.key)
            found[error.key] = error if known is None else _counted(known)
    return list(found.values())


def _counted(error: ServerError) -> ServerError:
    return ServerError(
        error.route, error.status, error.exception, error.where, error.traceback, error.count + 1
    )


def _frame_name(file: str) -> str:
    for prefix in ("site-packages/", f"{ROOT}/"):
        if prefix in file:
            return file.split(prefix, 1)[1]
    return file


def _server_error(route: str, status: int, lines: Sequence[str]) -> ServerError:
    """Frames as `file:line in function`: the project's with their source line, libraries' bare."""
    kept: list[str] = []
    where = "?"
    in_source = False
    for line in lines:
        if line.startswith("[ERROR] ") or "UserWarning: No application metrics" in line:
            continue
        frame = FRAME.search(line)
        if frame is not None:
            name = f"{_frame_name(frame['file'])}:{frame['line']} in {frame['fn']}"
            ours = frame["file"].startswith(str(ROOT)) and "/.venv/" not in frame["file"]
            where = name if ours else where
            kept.append(f"  {name}")
            in_source = ours
            continue
        if (line.startswith("    ") and not in_source) or not line.strip() or set(line.strip()) <= {"^", "~"}:
            continue
        kept.append(line.rstrip())
    summary = next((line[len("[ERROR] ") :] for line in lines if line.startswith("[ERROR] ")), None)
    if summary is None:
        plain = [line for line in lines if line.strip() and not line.startswith((" ", "Traceback"))]
        summary = plain[-1] if plain else "(nothing in the log)"
    last = next((line.strip() for line in reversed(kept) if line.startswith("  ") and " in " in line), "?")
    return ServerError(route, status, summary.strip(), f"{where} (raised in {last})", "\n".join(kept))


def report(runs: Sequence[Run], errors: Sequence[ServerError], header: str = "") -> str:
    """The failure message: every distinct failing case, then every distinct server traceback."""
    lines = [header] if header else []
    for fuzz in runs:
        unique = fuzz.unique_failures()
        lines.append(
            f"--- {fuzz.name}: {fuzz.generated} cases in {fuzz.seconds:.0f} s, exit code {fuzz.exit_code}, "
            f"{len(fuzz.failures)} failing checks, {len(unique)} distinct"
        )
        lines.append(f"    {fuzz.command[0]}")
        lines += [failure.describe() for failure in unique]
        if fuzz.errors:
            lines.append("schemathesis errors: " + "; ".join(fuzz.errors))
        if fuzz.exit_code != 0 and not unique:
            lines.append(fuzz.stdout[-4000:])
    if errors:
        lines.append(f"--- server tracebacks in local mode's log ({len(errors)} distinct)")
        lines += [error.describe() for error in errors]
    return "\n".join(lines)
