"""The synthesized CDK app, for tests: one synth per test session, shared by every test that needs it.

- `synth_template()`: the stack's CloudFormation template (a fresh copy each call).
- `table_definitions(template)`: `dynamodb.create_table` kwargs for every table, read from the
  template, so moto and DynamoDB Local tables cannot drift from what is deployed.
- `synth_nag_report()`: every cdk-nag finding that is not acknowledged (empty when clean).
- `synthesize(app)`: synthesize any app (e.g. a test-only stack) the same way.

A synth that cdk-nag rejects still writes its templates, so template and handler tests keep working
while the nag test reports the findings.
"""

from __future__ import annotations

import atexit
import copy
import hashlib
import json
import shutil
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # the CDK (and its node process) loads only when a synth is needed
    import aws_cdk as cdk

ROOT = Path(__file__).resolve().parents[2]
TABLE_TAG = "mkcpp:table"
REPORT_FILE = "validation-report.json"


@dataclass(frozen=True)
class Violation:
    """One unacknowledged validation finding (a cdk-nag rule id and where it fired)."""

    plugin: str
    rule: str
    severity: str
    paths: tuple[str, ...]

    def __str__(self) -> str:
        return f"[{self.plugin}] {self.rule} ({self.severity}):\n" + "\n".join(f"    {p}" for p in self.paths)


@dataclass(frozen=True)
class Synthesis:
    """A synthesized cloud assembly on disk: its templates and its validation report."""

    outdir: Path
    templates: Mapping[str, dict[str, Any]]  # stack artifact id -> template
    violations: tuple[Violation, ...]
    error: str | None  # the ValidationFailed message, if validation failed

    @property
    def template_paths(self) -> list[Path]:
        return sorted(self.outdir.glob("*.template.json"))


def ensure_assets() -> None:
    """Build the Lambda assets (`make build`) only if they are missing: `Code.from_asset` needs them."""
    from infra import build

    if not build.FUNCTION_ASSET.is_dir():
        build.build_function_asset()
    if not build.LAYER_ASSET.is_dir():
        build.build_layer_asset()


def new_outdir(prefix: str = "mkcpp-cdk-") -> str:
    outdir = tempfile.mkdtemp(prefix=prefix)
    atexit.register(shutil.rmtree, outdir, ignore_errors=True)
    return outdir


def _violations(outdir: Path) -> tuple[Violation, ...]:
    report_path = outdir / REPORT_FILE
    if not report_path.exists():
        return ()
    report = json.loads(report_path.read_text(encoding="utf-8"))
    found = []
    for plugin in report.get("pluginReports", []):
        for violation in plugin.get("violations", []):
            resources = violation.get("violatingConstructs") or violation.get("violatingResources") or []
            found.append(
                Violation(
                    plugin=str(plugin.get("pluginName", "?")),
                    rule=str(violation.get("ruleName", "?")),
                    severity=str(violation.get("severity", "?")),
                    paths=tuple(str(r.get("constructPath") or r.get("resourceLogicalId")) for r in resources),
                )
            )
    return tuple(found)


def synthesize(app: cdk.App) -> Synthesis:
    """Synthesize `app` (which must have an outdir), keeping the templates even if validation fails."""
    error = None
    try:
        assembly = app.synth()
        outdir = Path(assembly.directory)
    except RuntimeError as exc:
        if "ValidationFailed" not in str(exc):
            raise
        error = str(exc)
        outdir = Path(app.outdir)
    templates = {
        path.name.removesuffix(".template.json"): json.loads(path.read_text(encoding="utf-8"))
        for path in sorted(outdir.glob("*.template.json"))
    }
    return Synthesis(outdir=outdir, templates=templates, violations=_violations(outdir), error=error)


# What a synth of the real app reads: the CDK code and declaration, the code it packages (whose hash
# names the asset in the template), the context and the pinned toolchain.
SYNTH_INPUTS = ("infra", "shared", "functions", ".build/function", "cdk.json", "package-lock.json", "uv.lock")
SYNTH_CACHE = ROOT / ".build" / "synth-cache"


def _synth_key() -> str:
    digest = hashlib.sha256()
    for name in SYNTH_INPUTS:
        top = ROOT / name
        files = sorted(top.rglob("*")) if top.is_dir() else [top]
        for path in files:
            if path.is_file() and "__pycache__" not in path.parts and path.suffix != ".pyc":
                digest.update(str(path.relative_to(ROOT)).encode() + b"\0" + path.read_bytes() + b"\0")
    layer_stamp = ROOT / ".build" / "layer" / ".requirements.sha256"
    digest.update(layer_stamp.read_bytes() if layer_stamp.exists() else b"-")
    return digest.hexdigest()[:32]


def _cached(outdir: Path) -> Synthesis:
    templates = {
        path.name.removesuffix(".template.json"): json.loads(path.read_text(encoding="utf-8"))
        for path in sorted(outdir.glob("*.template.json"))
    }
    error_file = outdir / "synth-error.txt"
    error = error_file.read_text(encoding="utf-8") if error_file.exists() else None
    return Synthesis(outdir=outdir, templates=templates, violations=_violations(outdir), error=error)


@cache
def synth_app() -> Synthesis:
    """The real app, built by `infra.app.build_app` with cdk.json's context, synthesized once per
    change: the assembly is kept under `.build/synth-cache/`, keyed by the content of everything a
    synth reads, so `make test`'s second pytest run (local mode's policy check) and repeated runs
    reuse it instead of spending 15 s each on the same synth."""
    ensure_assets()
    key = _synth_key()
    kept = SYNTH_CACHE / key
    if (kept / "manifest.json").exists():
        copy_dir = Path(new_outdir())
        shutil.copytree(kept, copy_dir, dirs_exist_ok=True)
        return _cached(copy_dir)
    from infra.app import build_app

    app, _stack = build_app(outdir=new_outdir())
    synthesis = synthesize(app)
    if synthesis.error:
        (synthesis.outdir / "synth-error.txt").write_text(synthesis.error, encoding="utf-8")
    _keep(synthesis.outdir, key)
    return synthesis


def _keep(outdir: Path, key: str) -> None:
    """Keep this assembly (only this one) for the next session. Best effort: two pytest workers may
    synthesize at once, and a cache that could not be written only costs the next run a synth."""
    try:
        for old in _cache_dir().iterdir():
            if not old.name.startswith(".") and old.name != key:
                shutil.rmtree(old, ignore_errors=True)
        staging = Path(tempfile.mkdtemp(prefix=f".{key}-", dir=_cache_dir()))
        # the templates, metadata and validation report; not the staged assets (40 MB), which no
        # test reads from the assembly
        shutil.copytree(outdir, staging, dirs_exist_ok=True, ignore=shutil.ignore_patterns("asset.*"))
        try:
            staging.rename(SYNTH_CACHE / key)  # atomic; refused if another worker's copy is there
        except OSError:
            shutil.rmtree(staging, ignore_errors=True)
    except OSError:
        pass


def _cache_dir() -> Path:
    SYNTH_CACHE.mkdir(parents=True, exist_ok=True)
    return SYNTH_CACHE


def main_stack_name() -> str:
    context = json.loads((ROOT / "cdk.json").read_text(encoding="utf-8")).get("context", {})
    return str(context["mkcpp"].get("stack_name", "MkcppBackend"))


def synth_template() -> dict[str, Any]:
    """The main stack's CloudFormation template (a copy: change it freely)."""
    return copy.deepcopy(synth_app().templates[main_stack_name()])


def synth_templates() -> dict[str, dict[str, Any]]:
    """Every stack's template (the main one, and the us-east-1 web ACL stack), by stack name."""
    return copy.deepcopy(dict(synth_app().templates))


def synth_nag_report() -> list[Violation]:
    """Every unacknowledged cdk-nag (or other validation plugin) finding of the real app."""
    return list(synth_app().violations)


# --- tables ---------------------------------------------------------------------------------------


def tables_by_key(template: Mapping[str, Any]) -> dict[str, tuple[str, dict[str, Any]]]:
    """Table key (from the `mkcpp:table` tag) -> (logical id, resource)."""
    found: dict[str, tuple[str, dict[str, Any]]] = {}
    for logical_id, resource in template.get("Resources", {}).items():
        if resource.get("Type") != "AWS::DynamoDB::Table":
            continue
        tags = {tag["Key"]: tag["Value"] for tag in resource.get("Properties", {}).get("Tags", [])}
        key = tags.get(TABLE_TAG)
        if key is None:
            raise AssertionError(f"table {logical_id} has no {TABLE_TAG} tag")
        if key in found:
            raise AssertionError(f"two tables tagged {TABLE_TAG}={key}: {found[key][0]}, {logical_id}")
        found[key] = (logical_id, resource)
    return found


def table_definitions(template: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """`dynamodb.create_table(**kwargs)` for each table key, derived from the template.

    TableName is the declaration's `local_name` (the deployed name is generated by CloudFormation);
    keys, attribute definitions, GSIs and billing mode are exactly the template's.
    """
    from infra.declaration import table

    definitions = {}
    for key, (_logical_id, resource) in tables_by_key(template).items():
        props = resource["Properties"]
        kwargs: dict[str, Any] = {
            "TableName": table(key).local_name,
            "BillingMode": props.get("BillingMode", "PROVISIONED"),
            "AttributeDefinitions": sorted(
                (dict(a) for a in props["AttributeDefinitions"]), key=lambda a: a["AttributeName"]
            ),
            "KeySchema": [dict(k) for k in props["KeySchema"]],
        }
        indexes = [
            {
                "IndexName": index["IndexName"],
                "KeySchema": [dict(k) for k in index["KeySchema"]],
                "Projection": dict(index["Projection"]),
            }
            for index in props.get("GlobalSecondaryIndexes", [])
        ]
        if indexes:
            kwargs["GlobalSecondaryIndexes"] = indexes
        definitions[key] = kwargs
    return definitions
