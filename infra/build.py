"""`make build`: the Lambda assets, built without Docker.

- `.build/function/`: the function code, `functions/` plus `shared/`, exactly as in the repository.
- `.build/layer/python/`: the third-party runtime dependencies from the uv lock, built for
  arm64 Lambda (`manylinux2014_aarch64`, CPython 3.13, wheels only). boto3 and its stack are left
  out: the Lambda runtime provides them, and a bundled copy would shadow the runtime's.

Both ship Python 3.13 bytecode for every module (`__pycache__/*.cpython-313.pyc`, compiled by a
Python 3.13 at build time with `--invalidation-mode unchecked-hash`, so it stays valid after the zip is
unpacked with new timestamps). Lambda's `/var/task` and `/opt` are read-only: without bytecode in the
package, every cold start compiles every module from source (1.4 s against 0.6 s for sign-up).

The layer is rebuilt only when the locked requirements change.
"""

from __future__ import annotations

import hashlib
import os
import platform
import shutil
import subprocess
import sys
from fnmatch import fnmatch
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BUILD = ROOT / ".build"
FUNCTION_ASSET = BUILD / "function"
LAYER_ASSET = BUILD / "layer"
CODE_PACKAGES = ("functions", "shared")
LAMBDA_PYTHON = "3.13"
LAMBDA_PLATFORM = "aarch64-manylinux2014"

BYTECODE = "cpython-313"  # the bytecode tag both assets carry
LAYER_FORMAT = "bytecode-1"  # bump to rebuild every layer when how it is built changes

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


def python313() -> str | None:
    """pyenv's 3.13 on these machines, else any python3.13 that actually runs (pyenv shims may not)."""
    pyenv = Path(os.environ.get("PYENV_ROOT", Path.home() / ".pyenv")) / "versions"
    candidates = [str(p) for p in sorted(pyenv.glob("3.13*/bin/python3.13"), reverse=True)]
    candidates += [found] if (found := shutil.which("python3.13")) else []
    for candidate in candidates:
        probe = subprocess.run(
            [candidate, "-c", "import sys; print(sys.version_info[:2] == (3, 13))"],
            capture_output=True,
            text=True,
            check=False,
        )
        if probe.stdout.strip() == "True":
            return candidate
    return None


def host_dependencies() -> Path:
    """The same pinned dependencies as the layer, boto3 included (Lambda's runtime provides it), built
    for this machine's platform and Python 3.13: what the bundle test and `make bench` run the
    function asset against, as Lambda would. Rebuilt only when uv.lock changes."""
    deps = BUILD / "py313-host"
    machine = "aarch64" if platform.machine() in ("aarch64", "arm64") else "x86_64"
    requirements = locked_requirements(include_runtime_provided=True)
    stamp = deps.parent / "py313-host.stamp"
    if not deps.exists() or not stamp.exists() or stamp.read_text() != requirements:
        shutil.rmtree(deps, ignore_errors=True)
        install_dependencies(deps, requirements, f"{machine}-manylinux2014", LAMBDA_PYTHON)
        stamp.write_text(requirements)
    return deps


def compile_bytecode(folder: Path) -> bool:
    """Compile every module under `folder` for Lambda's Python 3.13. False if no 3.13 is here."""
    python = python313()
    if python is None:
        print(
            f"build: WARNING no Python 3.13 found: {folder.name} ships without bytecode "
            "(slower cold starts); install it with pyenv to fix",
            file=sys.stderr,
        )
        return False
    subprocess.run(
        [python, "-m", "compileall", "-q", "-j", "0", "--invalidation-mode", "unchecked-hash", str(folder)],
        check=True,
        env={**os.environ, "PYTHONDONTWRITEBYTECODE": ""},
    )
    return True


# what the code packages hold that is not code: never copied into the asset, never part of its digest
NOT_CODE = ("__pycache__", "*.pyc", ".mypy_cache")


def _code_digest() -> str:
    """What the function asset is built from: every file of the code packages, by path and content."""
    digest = hashlib.sha256(f"{LAMBDA_PYTHON}\n{python313() is not None}\n".encode())
    for package in CODE_PACKAGES:
        for path in sorted((ROOT / package).rglob("*")):
            parts = path.relative_to(ROOT).parts
            if path.is_file() and not any(fnmatch(part, pattern) for part in parts for pattern in NOT_CODE):
                digest.update(f"{path.relative_to(ROOT)}\n".encode())
                digest.update(hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()


def build_function_asset() -> Path:
    """Copy the code packages and compile them, unless the asset already holds exactly this code.

    Under a lock, and skipped when nothing changed: `make test` builds first, and the bundle tests'
    two pytest workers would otherwise each delete and rebuild the asset while the other reads it."""
    import fcntl

    BUILD.mkdir(exist_ok=True)
    stamp = BUILD / "function.sha256"
    with open(BUILD / "function.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        digest = _code_digest()
        if FUNCTION_ASSET.is_dir() and stamp.exists() and stamp.read_text() == digest:
            return FUNCTION_ASSET
        stamp.unlink(missing_ok=True)
        if FUNCTION_ASSET.exists():
            shutil.rmtree(FUNCTION_ASSET)
        for package in CODE_PACKAGES:
            shutil.copytree(
                ROOT / package, FUNCTION_ASSET / package, ignore=shutil.ignore_patterns(*NOT_CODE)
            )
        compile_bytecode(FUNCTION_ASSET)
        stamp.write_text(digest)
    return FUNCTION_ASSET


def build_layer_asset() -> Path:
    requirements = locked_requirements()
    stamp = LAYER_ASSET / ".requirements.sha256"
    compiled = python313() is not None
    digest = hashlib.sha256(
        f"{LAMBDA_PLATFORM}\n{LAMBDA_PYTHON}\n{LAYER_FORMAT}\n{compiled}\n{requirements}".encode()
    ).hexdigest()
    if stamp.exists() and stamp.read_text() == digest:
        return LAYER_ASSET
    if LAYER_ASSET.exists():
        shutil.rmtree(LAYER_ASSET)
    install_dependencies(LAYER_ASSET / "python", requirements, LAMBDA_PLATFORM, LAMBDA_PYTHON)
    (LAYER_ASSET / "python.requirements.txt").unlink(missing_ok=True)
    compile_bytecode(LAYER_ASSET / "python")
    stamp.write_text(digest)
    return LAYER_ASSET


def main() -> None:
    code = build_function_asset()
    layer = build_layer_asset()
    size = sum(f.stat().st_size for f in layer.rglob("*") if f.is_file()) / 1e6
    code_size = sum(f.stat().st_size for f in code.rglob("*") if f.is_file()) / 1e6
    print(
        f"build: function code ({code_size:.1f} MB) -> {code.relative_to(ROOT)}; "
        f"arm64 layer ({size:.1f} MB) -> {layer.relative_to(ROOT)}",
        file=sys.stderr,
    )


if __name__ == "__main__":
    main()
