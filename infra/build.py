"""`make build`: the Lambda assets, built without Docker.

- `.build/function/`: the function code, `functions/` plus `shared/`, exactly as in the repository.
- `.build/layer/python/`: the third-party runtime dependencies from the uv lock, built for
  arm64 Lambda (`manylinux2014_aarch64`, CPython 3.13, wheels only). boto3 and its stack are left
  out: the Lambda runtime provides them, and a bundled copy would shadow the runtime's.

The layer is rebuilt only when the locked requirements change.
"""

from __future__ import annotations

import hashlib
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BUILD = ROOT / ".build"
FUNCTION_ASSET = BUILD / "function"
LAYER_ASSET = BUILD / "layer"
CODE_PACKAGES = ("functions", "shared")
LAMBDA_PYTHON = "3.13"
LAMBDA_PLATFORM = "aarch64-manylinux2014"

# Provided by the Lambda Python runtime; bundling them only adds 30 MB and shadows the runtime copy.
RUNTIME_PROVIDED = frozenset({"boto3", "botocore", "s3transfer", "urllib3", "python-dateutil", "six"})


def _uv() -> str:
    local = ROOT / ".tools" / "bin" / "uv"
    found = str(local) if local.exists() else shutil.which("uv")
    if not found:
        raise SystemExit("uv not found: run `make build`, which installs it")
    return found


def locked_requirements(include_runtime_provided: bool = False) -> str:
    """The pinned runtime dependency closure from uv.lock, as requirements text."""
    exported = subprocess.run(
        [
            _uv(),
            "export",
            "--frozen",
            "--no-dev",
            "--no-hashes",
            "--no-emit-project",
            "--no-header",
            "--no-annotate",
            "--python",
            LAMBDA_PYTHON,
        ],
        cwd=ROOT,
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    kept = []
    for line in exported.splitlines():
        name = line.split("==", 1)[0].strip().lower()
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        if not include_runtime_provided and name in RUNTIME_PROVIDED:
            continue
        kept.append(line.strip())
    return "\n".join(sorted(kept)) + "\n"


def install_dependencies(target: Path, requirements: str, platform: str, python_version: str) -> None:
    """Install exactly the pinned set (no resolver, `--no-deps`) for a platform, wheels only."""
    target.mkdir(parents=True, exist_ok=True)
    req_file = target.parent / f"{target.name}.requirements.txt"
    req_file.write_text(requirements)
    subprocess.run(
        [
            _uv(),
            "pip",
            "install",
            "--quiet",
            "--target",
            str(target),
            "--python-platform",
            platform,
            "--python-version",
            python_version,
            "--only-binary=:all:",
            "--no-deps",
            "--no-compile",
            "-r",
            str(req_file),
        ],
        cwd=ROOT,
        check=True,
    )


def build_function_asset() -> Path:
    if FUNCTION_ASSET.exists():
        shutil.rmtree(FUNCTION_ASSET)
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", ".mypy_cache")
    for package in CODE_PACKAGES:
        shutil.copytree(ROOT / package, FUNCTION_ASSET / package, ignore=ignore)
    return FUNCTION_ASSET


def build_layer_asset() -> Path:
    requirements = locked_requirements()
    stamp = LAYER_ASSET / ".requirements.sha256"
    digest = hashlib.sha256(f"{LAMBDA_PLATFORM}\n{LAMBDA_PYTHON}\n{requirements}".encode()).hexdigest()
    if stamp.exists() and stamp.read_text() == digest:
        return LAYER_ASSET
    if LAYER_ASSET.exists():
        shutil.rmtree(LAYER_ASSET)
    install_dependencies(LAYER_ASSET / "python", requirements, LAMBDA_PLATFORM, LAMBDA_PYTHON)
    (LAYER_ASSET / "python.requirements.txt").unlink(missing_ok=True)
    stamp.write_text(digest)
    return LAYER_ASSET


def main() -> None:
    code = build_function_asset()
    layer = build_layer_asset()
    size = sum(f.stat().st_size for f in layer.rglob("*") if f.is_file()) / 1e6
    print(
        f"build: function code -> {code.relative_to(ROOT)}; "
        f"arm64 layer ({size:.1f} MB) -> {layer.relative_to(ROOT)}",
        file=sys.stderr,
    )


if __name__ == "__main__":
    main()
