"""A test-only stack for the schedule path: the declaration has no scheduled function yet.

It holds the shared platform, the assets and one `DeclaredFunction` built from `REMINDERS` (a spec
with two schedules), and is synthesized once per session with the cdk-nag packs, so the first real
scheduled function arrives on a path that is already tested, nag-clean and cfn-lint-clean.
"""

from __future__ import annotations

from functools import cache

import aws_cdk as cdk

from infra import nag
from infra.app import cdk_json_context
from infra.config import CONTEXT_KEY, load_config
from infra.constructs.function import DeclaredFunction, FunctionAssets, FunctionRuntime
from infra.constructs.platform import PlatformConstruct
from infra.declaration import Access, FunctionSpec, Schedule
from tests.support.cdk import Synthesis, ensure_assets, new_outdir, synthesize

SCHEDULED_STACK = "ScheduleTest"

REMINDERS = FunctionSpec(
    name="test_reminders",
    handler="functions.meetings.reminders.lambda_handler",
    description="Test-only: sends meeting reminders on a schedule.",
    schedules=(
        Schedule(
            "daily-reminders", "cron(0 9 * * ? *)", "Reminders at 09:00 local time", {"kind": "reminders"}
        ),
        Schedule("weekly-digest", "cron(0 8 ? * MON *)", "Monday digest", {"kind": "digest", "days": 7}),
    ),
    tables={"meetings": Access.READ, "members": Access.READ},
    sends_email=True,
    timeout_seconds=60,
)


@cache
def synth_scheduled() -> Synthesis:
    """The test-only stack, synthesized with the nag packs registered."""
    ensure_assets()
    app = cdk.App(context=cdk_json_context(), outdir=new_outdir("mkcpp-schedules-"))
    config = load_config(app.node.try_get_context(CONTEXT_KEY))
    stack = cdk.Stack(app, SCHEDULED_STACK)
    platform = PlatformConstruct(stack, "Platform", alert_addresses=tuple(config.coordinators))
    assets = FunctionAssets(stack, "Assets")
    runtime = FunctionRuntime(
        config=config,
        platform=platform,
        code=assets.code,
        layer=assets.layer,
        base_url="https://api.example.org",
    )
    DeclaredFunction(stack, "Reminders", spec=REMINDERS, runtime=runtime)
    nag.add_checks(app)
    return synthesize(app)
