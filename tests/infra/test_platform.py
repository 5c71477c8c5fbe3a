"""Tables, the signing-key secret and the SES configuration set, as the declaration and PRODUCT ask."""

from __future__ import annotations

import pytest

from infra.declaration import TABLES
from tests.infra.template import ref, resources
from tests.support.cdk import table_definitions, tables_by_key

pytestmark = pytest.mark.infra


def test_every_declared_table_exists_once(template):
    assert sorted(tables_by_key(template)) == sorted(spec.key for spec in TABLES)
    assert len(resources(template, "AWS::DynamoDB::Table")) == len(TABLES)


@pytest.mark.parametrize("spec", TABLES, ids=lambda s: s.key)
def test_table_keys_and_indexes_match_the_declaration(template, spec):
    # Given the template, When we derive create_table arguments from it, Then they equal the spec's
    assert table_definitions(template)[spec.key] == spec.create_table_kwargs(spec.local_name)


@pytest.mark.parametrize("spec", TABLES, ids=lambda s: s.key)
def test_table_is_protected(template, spec):
    _logical_id, resource = tables_by_key(template)[spec.key]
    props = resource["Properties"]
    assert props["BillingMode"] == "PAY_PER_REQUEST"
    assert props["PointInTimeRecoverySpecification"]["PointInTimeRecoveryEnabled"] is True
    assert props["SSESpecification"] == {"SSEEnabled": True}  # AWS-managed KMS key (aws/dynamodb)
    assert props["DeletionProtectionEnabled"] is True
    assert resource["DeletionPolicy"] == resource["UpdateReplacePolicy"] == "Retain"
    assert "TableName" not in props  # generated, so a replacement never collides
    if spec.ttl_attribute:
        assert props["TimeToLiveSpecification"] == {"AttributeName": spec.ttl_attribute, "Enabled": True}
    else:
        assert "TimeToLiveSpecification" not in props


def test_table_definitions_are_valid_create_table_arguments(template):
    definitions = table_definitions(template)
    for spec in TABLES:
        kwargs = definitions[spec.key]
        assert kwargs["TableName"] == spec.local_name
        assert 3 <= len(kwargs["TableName"]) <= 255  # DynamoDB Local enforces this; moto does not
        names = {a["AttributeName"] for a in kwargs["AttributeDefinitions"]}
        used = {k["AttributeName"] for k in kwargs["KeySchema"]} | {
            k["AttributeName"]
            for index in kwargs.get("GlobalSecondaryIndexes", [])
            for k in index["KeySchema"]
        }
        assert names == used


@pytest.mark.parametrize("described", ["MKCPP token-signing key", "MKCPP email-lookup key"])
def test_key_secrets_are_long_random_plain_strings_under_a_customer_managed_key(template, described):
    (secret,) = [
        s
        for s in resources(template, "AWS::SecretsManager::Secret").values()
        if described in s["Properties"]["Description"]
    ]
    generated = secret["Properties"]["GenerateSecretString"]
    assert generated["PasswordLength"] >= 64
    assert generated["ExcludePunctuation"] is True
    assert "SecretStringTemplate" not in generated  # shared/keys.py reads the value as it is
    assert secret["DeletionPolicy"] == "Retain"
    key = template["Resources"][ref(secret["Properties"]["KmsKeyId"])]
    assert key["Type"] == "AWS::KMS::Key"
    assert key["Properties"]["EnableKeyRotation"] is True
    assert key["DeletionPolicy"] == "Retain"


def test_lookup_secret_keeps_the_construct_path_of_the_old_single_secret(template):
    # Given the email-lookup secret: its value derives the lookup ids stored as table keys
    (logical_id,) = [
        lid
        for lid, s in resources(template, "AWS::SecretsManager::Secret").items()
        if "MKCPP email-lookup key" in s["Properties"]["Description"]
    ]
    # Then it keeps the logical id the one root secret had (construct Platform/SigningKey), so a
    # deploy updates that secret in place and keeps its value instead of replacing it
    assert logical_id == "PlatformSigningKeyF6960E8B"


def test_ses_configuration_set_requires_tls_and_tracks_reputation(template):
    (configuration_set,) = resources(template, "AWS::SES::ConfigurationSet").values()
    props = configuration_set["Properties"]
    assert props["DeliveryOptions"]["TlsPolicy"] == "REQUIRE"
    assert props["ReputationOptions"]["ReputationMetricsEnabled"] is True
    assert sorted(props["SuppressionOptions"]["SuppressedReasons"]) == ["BOUNCE", "COMPLAINT"]


def test_table_definitions_match_every_declared_table(template):
    # Given the declared tables (the platform's, members', meetings', the directory's, feedback's)
    assert sorted(spec.key for spec in TABLES) == [
        "audit",
        "console_sessions",
        "directory",
        "feedback",
        "idempotency",
        "meetings",
        "members",
    ]
    # When moto / DynamoDB Local tables are derived from the template
    definitions = table_definitions(template)
    # Then there is one per TableSpec, equal to what the spec itself would create
    assert sorted(definitions) == sorted(spec.key for spec in TABLES)
    for spec in TABLES:
        assert definitions[spec.key] == spec.create_table_kwargs(spec.local_name), spec.key


def test_audit_table_expires_entries_and_is_queryable_by_month(template):
    _logical_id, resource = tables_by_key(template)["audit"]
    props = resource["Properties"]
    assert props["KeySchema"] == [
        {"AttributeName": "target", "KeyType": "HASH"},
        {"AttributeName": "sk", "KeyType": "RANGE"},
    ]
    assert props["TimeToLiveSpecification"] == {"AttributeName": "expires_at", "Enabled": True}
    assert props["GlobalSecondaryIndexes"] == [
        {
            "IndexName": "by_month",
            "KeySchema": [
                {"AttributeName": "month", "KeyType": "HASH"},
                {"AttributeName": "sk", "KeyType": "RANGE"},
            ],
            "Projection": {"ProjectionType": "ALL"},
        }
    ]


def test_members_table_has_the_by_group_index(template):
    _logical_id, resource = tables_by_key(template)["members"]
    indexes = {i["IndexName"]: i for i in resource["Properties"]["GlobalSecondaryIndexes"]}
    assert sorted(indexes) == ["by_group", "by_mailing", "by_role", "by_status"]
    assert indexes["by_group"]["KeySchema"] == [
        {"AttributeName": "group_id", "KeyType": "HASH"},
        {"AttributeName": "member_id", "KeyType": "RANGE"},
    ]
