"""Small readers for a synthesized CloudFormation template, shared by the infrastructure tests."""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from infra.declaration import FUNCTIONS, FunctionSpec

Template = Mapping[str, Any]


def resources(template: Template, resource_type: str) -> dict[str, dict[str, Any]]:
    return {k: v for k, v in template["Resources"].items() if v["Type"] == resource_type}


def ref(value: Any) -> str:
    """The logical id behind `{"Ref": id}` or `{"Fn::GetAtt": [id, attr]}`."""
    if isinstance(value, dict) and "Ref" in value:
        return str(value["Ref"])
    if isinstance(value, dict) and "Fn::GetAtt" in value:
        return str(value["Fn::GetAtt"][0])
    raise AssertionError(f"not a Ref or GetAtt: {value!r}")


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def functions_by_name(
    template: Template, specs: tuple[FunctionSpec, ...] = FUNCTIONS
) -> dict[str, tuple[str, dict[str, Any]]]:
    """Declared function name -> (logical id, Lambda resource), matched by POWERTOOLS_SERVICE_NAME."""
    by_service = {spec.service_name: spec.name for spec in specs}
    found = {}
    for logical_id, resource in resources(template, "AWS::Lambda::Function").items():
        service = (
            resource["Properties"].get("Environment", {}).get("Variables", {}).get("POWERTOOLS_SERVICE_NAME")
        )
        if service in by_service:
            found[by_service[service]] = (logical_id, resource)
    return found


def role_statements(template: Template, role_id: str) -> Iterator[dict[str, Any]]:
    """Every policy statement attached to a role: its inline policies and the AWS::IAM::Policy resources."""
    role = template["Resources"][role_id]
    for policy in role["Properties"].get("Policies", []):
        yield from policy["PolicyDocument"]["Statement"]
    for policy in resources(template, "AWS::IAM::Policy").values():
        if role_id in [ref(r) for r in policy["Properties"].get("Roles", [])]:
            yield from policy["Properties"]["PolicyDocument"]["Statement"]


def resource_key(value: Any) -> tuple[str, str]:
    """A policy resource in a comparable form: ("arn", id) for a GetAtt/Ref, ("index", id) for
    `<table ARN>/index/*`, ("*", "*") for a wildcard, ("join", text) for other joins."""
    if value == "*":
        return ("*", "*")
    if isinstance(value, dict) and ("Ref" in value or "Fn::GetAtt" in value):
        return ("arn", ref(value))
    if isinstance(value, dict) and "Fn::Join" in value:
        parts = value["Fn::Join"][1]
        if len(parts) == 2 and parts[1] == "/index/*":
            return ("index", ref(parts[0]))
        text = "".join(
            p if isinstance(p, str) else "{" + (ref(p) if ("Ref" in p or "Fn::GetAtt" in p) else "?") + "}"
            for p in parts
        )
        return ("join", text)
    return ("literal", str(value))


def acknowledgements(outdir: Path) -> list[tuple[str, str, str]]:
    """(construct path, rule id, reason) of every cdk-nag acknowledgement in a cloud assembly."""
    found = []
    for metadata_file in sorted(outdir.glob("*.metadata.json")):
        for path, entries in json.loads(metadata_file.read_text()).items():
            for entry in entries:
                if entry["type"] == "aws:cdk:acknowledged-rules":
                    for rule, reason in entry["data"].items():
                        found.append((path, rule.split("::", 1)[-1], reason))
    return found
