"""Customer-managed KMS keys, made one way: yearly rotation on, deletion only after the longest wait.

- `log_group_key`: the key every log group of a stack is encrypted with. CloudWatch Logs uses it
  for log groups of this account and region only (the encryption context names the log group).
- `data_key`: a key for data at rest that a service reads on a function's behalf (the secrets,
  the backup vault). Its key policy is the default one (the account, through IAM); the functions'
  roles get `kms:Decrypt` through the secret's own grant, via Secrets Manager only.

Why customer-managed and not the AWS-managed `aws/logs`-style keys: CloudWatch Logs has no
AWS-managed key, the HIPAA and NIST 800-53 packs ask for customer-managed keys on secrets, and a
customer-managed key can be disabled to cut off all reading of what it protects at once.
"""

from __future__ import annotations

from aws_cdk import ArnFormat, Duration, RemovalPolicy, Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from constructs import Construct

# The longest wait KMS allows before it deletes a key; a scheduled deletion can be cancelled until then.
PENDING_WINDOW = Duration.days(30)


def data_key(
    scope: Construct,
    construct_id: str,
    description: str,
    removal_policy: RemovalPolicy = RemovalPolicy.RETAIN,
) -> kms.Key:
    """A rotating customer-managed key that, by default, outlives the stack: the secrets, backups and
    log groups it protects are retained, and without the key they could never be read again."""
    return kms.Key(
        scope,
        construct_id,
        description=description,
        enable_key_rotation=True,
        removal_policy=removal_policy,
        pending_window=PENDING_WINDOW,
    )


def log_group_key(
    scope: Construct,
    construct_id: str,
    description: str,
    removal_policy: RemovalPolicy = RemovalPolicy.RETAIN,
) -> kms.Key:
    """A rotating key that CloudWatch Logs may use for this account's log groups in this region
    (`removal_policy`: the same as the log groups')."""
    key = data_key(scope, construct_id, description, removal_policy)
    stack = Stack.of(scope)
    key.add_to_resource_policy(
        iam.PolicyStatement(
            sid="AllowCloudWatchLogsForThisAccountsLogGroups",
            principals=[iam.ServicePrincipal(f"logs.{stack.region}.amazonaws.com")],
            actions=[
                "kms:Encrypt*",
                "kms:Decrypt*",
                "kms:ReEncrypt*",
                "kms:GenerateDataKey*",
                "kms:Describe*",
            ],
            resources=["*"],  # in a key policy, `*` means this key
            conditions={
                "ArnLike": {
                    "kms:EncryptionContext:aws:logs:arn": stack.format_arn(
                        service="logs",
                        resource="log-group",
                        resource_name="*",
                        arn_format=ArnFormat.COLON_RESOURCE_NAME,
                    )
                }
            },
        )
    )
    return key
