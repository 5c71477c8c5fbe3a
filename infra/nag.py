"""cdk-nag: the rule packs that gate `cdk synth`, and the one way to acknowledge a finding.

The packs run as CDK policy-validation plugins (cdk-nag 3): any finding that is not acknowledged
makes `app.synth()` raise `ValidationFailed` and writes `validation-report.json` into the output
folder. Acknowledgements are made next to the resource they concern (never on the app or the stack),
each with one rule id (a granular `AwsSolutions-IAM5[Resource::...]` needs its own id) and a reason
a security reviewer can check.
"""

from __future__ import annotations

import aws_cdk as cdk
from cdk_nag import AwsSolutionsChecks, HIPAASecurityChecks, NIST80053R5Checks, ServerlessChecks
from constructs import IConstruct

# The report CDK writes into the cloud assembly when a validation plugin reports anything.
REPORT_FILE = "validation-report.json"
PACKS = ("AwsSolutions", "Serverless", "HIPAA.Security", "NIST.800.53.R5")


def add_checks(app: cdk.App) -> None:
    """Register the AWS Solutions, Serverless, HIPAA Security and NIST 800-53 rev 5 packs on the whole app
    (members' health data makes the last two the standard a data-protection officer checks against)."""
    cdk.Validations.of(app).add_plugins(
        AwsSolutionsChecks(app, verbose=True),
        ServerlessChecks(app),
        HIPAASecurityChecks(app, verbose=True),
        NIST80053R5Checks(app, verbose=True),
    )


def acknowledge(scope: IConstruct, rule_id: str, reason: str) -> None:
    """Acknowledge one finding on `scope` and everything under it, with a reviewer-readable reason."""
    if len(reason) < 20:
        raise ValueError(f"{rule_id}: give a reason a reviewer can check, not {reason!r}")
    cdk.Validations.of(scope).acknowledge(cdk.Acknowledgment(id=rule_id, reason=reason))
