"""cfn-lint finds nothing in the synthesized templates (with the project's .cfnlintrc)."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.cdk import ROOT

pytestmark = pytest.mark.infra


def cfn_lint() -> str:
    beside = Path(sys.executable).with_name("cfn-lint")
    found = str(beside) if beside.exists() else shutil.which("cfn-lint")
    assert found, "cfn-lint is not installed in this environment"
    return found


def test_templates_are_cfn_lint_clean(synthesis, scheduled):
    # the app's templates and the test-only scheduled stack's, in one cfn-lint run (~3 s each start)
    paths = [str(p) for p in (*synthesis.template_paths, *scheduled.template_paths)]
    assert len(paths) >= 2
    result = subprocess.run([cfn_lint(), *paths], cwd=ROOT, capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
