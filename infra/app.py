"""The CDK app: `cdk synth` runs `python -m infra.app` (see cdk.json).

Deployment settings come from the `mkcpp` context object in cdk.json, validated by
`infra.config.load_config`; a bad value stops the synth with a message naming the key.
cdk-nag (AWS Solutions, Serverless, HIPAA Security and NIST 800-53 R5 packs) runs on every synth as
validation plugins, over both stacks.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import aws_cdk as cdk

from infra import nag
from infra.config import CONTEXT_KEY, ConfigError, load_config
from infra.constructs.edge import WebAclStack
from infra.constructs.function import AssetsMissing
from infra.stack import MkcppStack

ROOT = Path(__file__).resolve().parent.parent
CDK_JSON = ROOT / "cdk.json"


def cdk_json_context() -> dict[str, Any]:
    """The `context` object of cdk.json, as the CDK CLI would pass it."""
    context: dict[str, Any] = json.loads(CDK_JSON.read_text(encoding="utf-8")).get("context", {})
    return context


def build_app(
    context: Mapping[str, Any] | None = None, outdir: str | None = None
) -> tuple[cdk.App, MkcppStack]:
    """The app and its one stack, with cdk-nag registered.

    `context` overrides cdk.json's context key by key (a key's whole value is replaced, so pass a
    complete `mkcpp` object to change one setting). It also wins over `-c` values from the CLI.
    Raises `ConfigError` with a readable message when the `mkcpp` object is invalid.
    """
    app = cdk.App(context=cdk_json_context(), post_cli_context=dict(context or {}), outdir=outdir)
    config = load_config(app.node.try_get_context(CONTEXT_KEY))
    web_acl_arn = None
    if config.web_acl:
        # CloudFront's web ACLs live in us-east-1; the main stack reads its ARN across regions.
        edge = WebAclStack(
            app, f"{config.stack_name}WebAcl", config=config, env=cdk.Environment(region="us-east-1")
        )
        web_acl_arn = edge.web_acl.attr_arn
    stack = MkcppStack(
        app,
        config.stack_name,
        config=config,
        web_acl_arn=web_acl_arn,
        env=cdk.Environment(region=config.region),
        cross_region_references=web_acl_arn is not None,
    )
    nag.add_checks(app)
    return app, stack


def main() -> None:
    try:
        app, _stack = build_app()
    except (ConfigError, AssetsMissing) as exc:
        print(f"cdk synth stopped: {exc}", file=sys.stderr)
        raise SystemExit(2) from None
    try:
        app.synth()
    except RuntimeError as exc:
        if "ValidationFailed" not in str(exc):
            raise
        # Run without the CDK CLI: the report is in the message; no Python stack trace is needed.
        print(str(exc), file=sys.stderr)
        raise SystemExit(1) from None


if __name__ == "__main__":
    main()
