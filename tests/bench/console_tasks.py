"""The Secretary's tasks in the console, timed in a real browser at a phone (390 px) and a desktop
(1280 px) width: the console journey of `make test` (`tests/browser/console.mjs`), driven at that
width with the axe audit left out, so each step's time is the task's own (page loads, form posts
and the handlers behind them in local mode, cold starts included on first use).

Machine times, not a person's: they say whether any task is slow to answer, not how long a person
takes to read and type. Each width has a local mode of its own, started and stopped here.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
WIDTHS = {"phone": "390x844", "desktop": "1280x800"}


def _one_width(viewport: str) -> list[dict[str, object]]:
    from tests.support.env import deployment_config
    from tests.support.local import start_local_mode

    node = shutil.which("node")
    chromium = os.environ.get("CHROMIUM") or shutil.which("chromium")
    assert node and chromium, "node and chromium are needed (make build chromium)"
    with tempfile.TemporaryDirectory(prefix="bench-console-") as scratch:
        mode = start_local_mode(Path(scratch) / "state", in_memory=True)
        try:
            done = subprocess.run(
                [node, str(ROOT / "tests/browser/console.mjs"), mode.base_url, str(Path(scratch) / "out")],
                cwd=ROOT,
                env={
                    **os.environ,
                    "CHROMIUM": chromium,
                    "NOTICE_VERSION": deployment_config().privacy_notice_version,
                    "JOURNEY_VIEWPORT": viewport,
                    "JOURNEY_AUDIT": "0",
                },
                capture_output=True,
                text=True,
                timeout=600,
                check=False,
            )
        finally:
            mode.stop()
    report = json.loads(done.stdout)
    assert report["completed"], report.get("error")
    return [{"task": s["name"], "s": round(int(s["ms"]) / 1000, 1)} for s in report["steps"]]


def console_tasks() -> dict[str, list[dict[str, object]]]:
    timed = {}
    for label, viewport in WIDTHS.items():
        print(f"bench: the console's tasks at {viewport}", file=sys.stderr, flush=True)
        timed[label] = _one_width(viewport)
    return timed


if __name__ == "__main__":
    print(json.dumps(console_tasks(), indent=2))
