"""`shared.lazy_packages`: a handler's cold import skips Powertools' unused resolvers and event
classes, and every name those packages export is still there, as the same object."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from infra.declaration import FUNCTIONS
from shared.lazy_packages import load_lazily

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("aws_lambda_powertools.event_handler", "aws_lambda_powertools.utilities.data_classes")
ENV = {**os.environ, "AWS_DEFAULT_REGION": "eu-west-2", "PYTHONPATH": str(ROOT)}


def run(code: str, cwd: Path = ROOT, env: dict[str, str] | None = None) -> object:
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=cwd, env=env or ENV, capture_output=True, text=True, check=True
    )
    return json.loads(out.stdout)


def test_no_handler_imports_the_resolvers_and_event_classes_it_does_not_use():
    modules = sorted({spec.handler.rsplit(".", 1)[0] for spec in FUNCTIONS})
    assert modules  # a check over nothing would pass
    loaded = run(
        "import importlib, json, sys\n"
        f"for m in {modules!r}: importlib.import_module(m)\n"
        "print(json.dumps(sorted(sys.modules)))\n"
    )
    assert isinstance(loaded, list)
    # (asyncio itself still comes with Powertools' batch utility, which the bounce handler uses)
    unused = {
        "aws_lambda_powertools.event_handler.appsync",
        "aws_lambda_powertools.event_handler.bedrock_agent",
        "aws_lambda_powertools.event_handler.vpc_lattice",
        "aws_lambda_powertools.utilities.data_classes.kinesis_firehose_event",
    }
    assert not unused & set(loaded)
    # ... while what they do use is there
    assert "aws_lambda_powertools.event_handler.api_gateway" in loaded


def describe(lazy: bool) -> object:
    """Every exported name of both packages -> where its object is defined, lazily or eagerly."""
    return run(
        "import importlib, json\n"
        "from shared.lazy_packages import load_lazily\n"
        f"packages = {PACKAGES!r}\n"
        f"assert all(load_lazily(p) for p in packages) if {lazy} else True\n"
        "names = {}\n"
        "for p in packages:\n"
        "    package = importlib.import_module(p)\n"
        "    for n in sorted(set(package.__all__) | {d for d in dir(package) if d[:1].isupper()}):\n"
        "        o = getattr(package, n)\n"
        "        names[p + ':' + n] = [getattr(o, '__module__', None), getattr(o, '__qualname__', repr(o))]\n"
        "print(json.dumps(names))\n"
    )


def test_every_exported_name_is_the_same_object_as_with_the_normal_import():
    lazy, eager = describe(lazy=True), describe(lazy=False)
    assert isinstance(eager, dict) and len(eager) > 50
    assert lazy == eager


def make_package(root: Path, init: str) -> None:
    (root / "pkg").mkdir()
    (root / "pkg" / "__init__.py").write_text(init)
    (root / "pkg" / "heavy.py").write_text("import json\nclass Thing:\n    pass\n")


PROBE = (
    "import json, sys\n"
    "from shared.lazy_packages import load_lazily\n"
    "lazy = load_lazily('pkg')\n"
    "import pkg\n"
    "before = 'pkg.heavy' in sys.modules\n"
    "thing = pkg.Thing\n"
    "print(json.dumps([lazy, before, thing.__module__, 'Thing' in dir(pkg), pkg.__all__]))\n"
)


def test_a_package_that_only_re_exports_loads_each_name_on_first_use(tmp_path):
    make_package(tmp_path, '"""Docs."""\n\nfrom .heavy import Thing\n\n__all__ = ["Thing"]\n')
    env = {**ENV, "PYTHONPATH": f"{tmp_path}:{ROOT}"}
    assert run(PROBE, cwd=tmp_path, env=env) == [True, False, "pkg.heavy", True, ["Thing"]]


def test_a_package_whose_init_does_anything_else_is_imported_as_usual(tmp_path):
    make_package(tmp_path, 'from .heavy import Thing\n\nSETTING = 1\n__all__ = ["Thing"]\n')
    env = {**ENV, "PYTHONPATH": f"{tmp_path}:{ROOT}"}
    assert run(PROBE, cwd=tmp_path, env=env) == [False, True, "pkg.heavy", True, ["Thing"]]


def test_an_unknown_name_is_an_attribute_error(tmp_path):
    make_package(tmp_path, "from .heavy import Thing\n")
    env = {**ENV, "PYTHONPATH": f"{tmp_path}:{ROOT}"}
    code = (
        "import json\nfrom shared.lazy_packages import load_lazily\nload_lazily('pkg')\nimport pkg\n"
        "try:\n    pkg.Missing\nexcept AttributeError as e:\n    print(json.dumps(str(e)))\n"
    )
    assert run(code, cwd=tmp_path, env=env) == "module 'pkg' has no attribute 'Missing'"


@pytest.mark.parametrize("name", PACKAGES)
def test_a_package_already_imported_is_left_alone(name):
    # this test process imported both normally (the handlers' tests import them first)
    __import__(name)
    assert load_lazily(name) is False


@pytest.mark.parametrize(
    "init",
    [
        'from .heavy import Thing\n__all__ = ["Thing"] + []\n',  # not a plain list
        "from . import heavy\nfrom .heavy import Thing\n",  # a submodule, not a re-export
        "from .heavy import *\n",
    ],
)
def test_an_init_it_cannot_read_as_plain_re_exports_is_imported_as_usual(tmp_path, init):
    make_package(tmp_path, init)
    env = {**ENV, "PYTHONPATH": f"{tmp_path}:{ROOT}"}
    code = PROBE.replace(", pkg.__all__", "")
    assert run(code, cwd=tmp_path, env=env) == [False, True, "pkg.heavy", True]


def test_a_re_exported_name_that_is_also_a_submodule_stays_the_re_exported_object(tmp_path):
    # data_classes does `from .event_source import event_source`: the decorator, not the module,
    # whichever is imported first
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "__init__.py").write_text("from .tool import tool\n")
    (tmp_path / "pkg" / "tool.py").write_text("def tool():\n    return 1\n")
    env = {**ENV, "PYTHONPATH": f"{tmp_path}:{ROOT}"}
    code = (
        "import json\nfrom shared.lazy_packages import load_lazily\n"
        "assert load_lazily('pkg')\n"
        "import pkg.tool\n"
        "from pkg import tool\n"
        "print(json.dumps(type(tool).__name__))\n"
    )
    assert run(code, cwd=tmp_path, env=env) == "function"
