"""The member pages in a real browser: headless Chromium walks a person's whole journey over local
mode, and axe-core audits every page state at a desktop and a phone width (WCAG 2.0, 2.1 and 2.2,
levels A and AA). The journey itself is `tests/browser/journey.mjs` (playwright-core); this test
starts local mode for it, runs it, and judges its report.

Chromium comes from the system (`make test` and `make browser` install Debian's `chromium` when it
is missing). Without it this test skips on a laptop, and fails in CI (CI=true), where a skipped
browser run would hide that nothing was checked.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.support.env import deployment_config
from tests.support.local import ROOT, LocalMode, start_local_mode

pytestmark = pytest.mark.integration

JOURNEY = ROOT / "tests" / "browser" / "journey.mjs"
CONSOLE_JOURNEY = ROOT / "tests" / "browser" / "console.mjs"
JOURNEY_TIMEOUT = 300.0  # a hang guard: the console journey takes 75-120 s beside the other integration tests
GROUP = "Patient Information Review"
# Every page state the journey must reach and audit: losing one silently would shrink the audit.
PAGES = {
    "sign-up form",
    "privacy notice",
    "sign-up form with errors",
    "check your email (sign-up)",
    "confirm?",
    "confirmed",
    "already confirmed",
    "preferences",
    "preferences saved",
    "check your email (data request)",
    "delete your details?",
    "unsubscribe?",
    "unsubscribed",
    "preferences after unsubscribing",
    "nothing was changed",
    "details deleted",
    "link expired",
    "link does not work",
    "page not found",
}


@pytest.fixture
def chromium() -> str:
    """The browser's path; looked up before local mode starts, so a skip costs nothing."""
    found = os.environ.get("CHROMIUM") or shutil.which("chromium")
    if found:
        return found
    reason = "chromium is not installed (`make browser` installs it: apt-get install chromium)"
    if os.environ.get("CI") == "true":
        pytest.fail(f"{reason}; in CI the browser run must not be skipped")
    pytest.skip(reason)


@pytest.fixture
def browser_local(chromium: str, tmp_path: Path) -> Iterator[LocalMode]:
    """A local mode of the test's own: the journey erases its member and unsubscribes, and must not
    race other tests for the outbox."""
    mode = start_local_mode(tmp_path / "state", in_memory=True)
    try:
        yield mode
    finally:
        mode.stop()


def run_journey(local: LocalMode, outdir: Path, executable: str, script: Path = JOURNEY) -> dict[str, Any]:
    node = shutil.which("node")
    assert node, "node is not on PATH"
    assert (ROOT / "node_modules" / "playwright-core").is_dir(), "npm tools missing: run `make browser`"
    env = {
        **os.environ,
        "CHROMIUM": executable,
        "JOURNEY_GROUP": GROUP,
        "NOTICE_VERSION": deployment_config().privacy_notice_version,
        # the same wide fallback font on every machine, so a page that scrolls sideways with it fails here too
        "FONTCONFIG_FILE": str(ROOT / "tests" / "browser" / "fonts.conf"),
    }
    started = time.monotonic()
    # Its own process group, so a timeout ends Chromium's processes too, not only node.
    journey = subprocess.Popen(
        [node, str(script), local.base_url, str(outdir)],
        cwd=ROOT,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    try:
        stdout, stderr = journey.communicate(timeout=JOURNEY_TIMEOUT)
    except subprocess.TimeoutExpired:
        os.killpg(journey.pid, signal.SIGKILL)
        stdout, stderr = journey.communicate()
        raise AssertionError(
            f"the browser journey took over {JOURNEY_TIMEOUT:.0f} s:\n{stderr[-3000:]}\n"
            f"local mode:\n{local.log()[-3000:]}"
        ) from None
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(journey.pid, signal.SIGKILL)  # whatever Chromium left behind
    print(f"browser journey: {time.monotonic() - started:.1f} s, report and screenshots in {outdir}")
    try:
        report: dict[str, Any] = json.loads(stdout)
    except ValueError:
        raise AssertionError(
            f"the journey printed no report (exit {journey.returncode}):\n{stdout[-3000:]}\n{stderr[-3000:]}"
        ) from None
    (outdir / "report.json").write_text(stdout, encoding="utf-8")
    if not report["completed"]:
        steps = "\n".join(
            f"  {'ok  ' if s['passed'] else 'FAIL'} {s['name']}{': ' + s['error'] if 'error' in s else ''}"
            for s in report["steps"]
        )
        raise AssertionError(
            f"the browser journey broke off (see {outdir}/failure.png and failure.html):\n{steps}\n"
            f"{report['error']}\n{stderr[-2000:]}\nlocal mode:\n{local.log()[-3000:]}"
        )
    return report


def violations(report: dict[str, Any]) -> list[str]:
    """One entry per element that fails a rule: page, width, rule, impact, target, and what to fix."""
    found = []
    for page in report["pages"]:
        for rule in page["violations"]:
            for node in rule["nodes"]:
                fix = str(node["summary"]).replace("\n", "\n      ")
                found.append(
                    f"{page['label']} ({page['path']}, {rule['width']}): {rule['id']} [{rule['impact']}] "
                    f"{node['target']} — {rule['help']}\n      {fix}"
                )
    return found


def test_every_page_of_the_journey_passes_axe_at_desktop_and_phone_width(
    chromium: str, browser_local: LocalMode, tmp_path: Path
) -> None:
    # Given a working group, so the form and the preferences show their group checkboxes
    created = browser_local.post(
        "/admin/groups",
        token=browser_local.admin_token(),
        json_body={"name": GROUP, "purpose": "Reads leaflets before print.", "meeting_place": "Library"},
    )
    assert created.status == 201, created.text

    # When a person signs up, confirms, changes preferences, asks for their data, unsubscribes,
    # deletes their details, and meets the error and link-problem pages on the way
    report = run_journey(browser_local, tmp_path / "screenshots", chromium)

    # Then every step worked, and every page state was reached and audited
    assert all(step["passed"] for step in report["steps"]), report["steps"]
    audited = {p["label"] for p in report["pages"]}
    assert audited >= PAGES, f"pages not audited: {sorted(PAGES - audited)}"

    # And axe finds nothing, the pages carry no script and keep their CSP, and nothing scrolls
    # sideways on a phone
    found = violations(report)
    assert not found, f"{len(found)} axe violations:\n" + "\n".join(found)
    assert [p["label"] for p in report["pages"] if p["scripts"]] == []
    # (The audit bypassed the CSP to add axe; every member page was served with the strict one.)
    member_pages = [p for p in report["pages"] if p["path"] == "/" or p["path"].startswith("/members")]
    assert [(p["label"], p["csp"]) for p in member_pages if "default-src 'none'" not in str(p["csp"])] == []
    sideways = [(p["label"], p["reflow"]) for p in report["pages"] if p["reflow"]]
    assert not sideways, sideways
    # And wider text spacing (WCAG 1.4.12) cuts nothing off on a phone
    cut = [(p["label"], p["text_spacing"]) for p in report["pages"] if p["text_spacing"]]
    assert not cut, cut
    # And every button keeps its outline in forced colours (Windows high contrast)
    unseen = [(p["label"], p["forced_colors"]) for p in report["pages"] if p["forced_colors"]]
    assert not unseen, unseen


# The console pages meant for paper: they carry the Print button and its one script (CSP hash).
PRINTABLE = {"members without email", "address labels"}

# Every console page state the console journey must reach and audit.
CONSOLE_PAGES = {
    "sign in (local stand-in)",
    "console home",
    "members",
    "members search",
    "member",
    "private calendar feed",
    "change details",
    "change details with errors",
    "member after saving",
    "change email",
    "change email with errors",
    "on their behalf",
    "on their behalf with errors",
    "import members",
    "import members: checked",
    "import members: loaded",
    "add a member",
    "add a member with errors",
    "members without email",
    "address labels",
    "working groups",
    "working group",
    "add to a group: which one?",
    "close a group?",
    "a closed group",
    "audit trail",
    "administrators",
    "invite an administrator with errors",
    "administrator invited",
    "remove an administrator?",
    "help",
    "help: a topic",
    "erase a member?",
    "member erased",
    "signed out",
    "meetings",
    "new meeting",
    "new meeting with errors",
    "meeting",
    "reminder preview",
    "attendance",
    "letters",
    "cancel a meeting?",
    "announcements",
    "announcement preview",
    "directory",
    "directory: add an entry",
    "directory: an entry with errors",
    "directory: an entry",
    "directory: change log",
    "directory: import",
    "directory: publish",
    "directory: versions",
    "directory: entries to check",
    "directory: reports",
    "site: the directory",
    "site: an entry",
    "site: report form",
    "site: report form with errors",
    "site: report sent",
    "site: by need",
    "site: my list",
    "site: my list sheet",
    "site: print edition",
    "feedback: form",
    "feedback: form with errors",
    "feedback: sent",
    "feedback: status",
    "feedback: a follow-up link that does not work",
    "feedback: queue",
    "feedback: item",
    "feedback: item after a change",
    "feedback: you said, we did preview",
    "feedback: on someone's behalf",
    "feedback: on someone's behalf with errors",
    "site: you said, we did",
}


def test_the_console_signs_in_finds_and_erases_a_member_and_every_page_passes_axe(
    chromium: str, browser_local: LocalMode, tmp_path: Path
) -> None:
    # When an administrator signs in through the redirect, finds a member who has just signed up,
    # opens their page, tries a POST without its CSRF token, uses each screen, erases the member
    # and signs out
    report = run_journey(browser_local, tmp_path / "console", chromium, script=CONSOLE_JOURNEY)

    # Then every step worked, and every console page state was reached and audited
    assert all(step["passed"] for step in report["steps"]), report["steps"]
    audited = {p["label"] for p in report["pages"]}
    assert audited >= CONSOLE_PAGES, f"pages not audited: {sorted(CONSOLE_PAGES - audited)}"
    # And axe finds nothing, no page carries a script or drops its CSP, nothing scrolls sideways at
    # 320 px, wider text spacing cuts nothing off, and buttons keep their outline in forced colours
    found = violations(report)
    assert not found, f"{len(found)} axe violations:\n" + "\n".join(found)
    # the one script a console page may carry: the Print button's, on the pages meant for paper
    assert [p["label"] for p in report["pages"] if p["scripts"] and p["label"] not in PRINTABLE] == []
    assert [
        (p["label"], p["csp"]) for p in report["pages"] if "default-src 'none'" not in str(p["csp"])
    ] == []
    assert [(p["label"], p["reflow"]) for p in report["pages"] if p["reflow"]] == []
    assert [(p["label"], p["text_spacing"]) for p in report["pages"] if p["text_spacing"]] == []
    assert [(p["label"], p["forced_colors"]) for p in report["pages"] if p["forced_colors"]] == []
