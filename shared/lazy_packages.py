"""Third-party packages whose `__init__` only re-exports, made to load each name when it is first used.

Powertools' `aws_lambda_powertools.event_handler` imports every resolver it has in its `__init__`
(AppSync's brings in asyncio; Bedrock, VPC Lattice, Lambda function URLs come too), and
`aws_lambda_powertools.utilities.data_classes` imports all of its forty-odd event classes. Importing
any one submodule, such as `event_handler.api_gateway`, runs that `__init__` first, so every cold
start of every handler paid for modules it never uses: 74 of them for members_public (56 to 133
across the handlers), about 8% of its cold import's instructions and more of its wall time (`make
bench`). (Powertools made its parser's envelopes lazy in the same way in September 2026, upstream
pull request 8405; the same change to these two packages would make this module unnecessary.)

`load_lazily(name)` registers such a package without running its `__init__`. The package keeps its
real location, so its submodules import as before; each name its `__init__` re-exports is imported
from its own submodule the first time something asks for it (PEP 562's module `__getattr__`), and
`__all__` and `dir()` still list them all. It reads the re-exports from the `__init__` itself, so
they cannot drift from the installed version. When the `__init__` does anything other than
re-export (any statement besides a docstring, `from … import …` and `__all__ = [...]`), or the
package is already imported, it changes nothing and the package imports as usual.

The handlers' package (`functions/__init__.py`) calls it before any handler module is imported.
"""

from __future__ import annotations

import ast
import importlib
import importlib.util
import sys
import types
from importlib.machinery import ModuleSpec
from typing import Any


def _reexports(origin: str, package: str) -> tuple[dict[str, tuple[str, str]], list[str]] | None:
    """Each re-exported name -> (its module, its name there), and `__all__`; None if the
    `__init__` at `origin` does anything but re-export, or cannot be read."""
    if not origin.endswith(".py"):
        return None  # shipped without source: nothing to read the re-exports from
    try:
        with open(origin, encoding="utf-8") as source:
            tree = ast.parse(source.read(), origin)
    except (OSError, SyntaxError, UnicodeDecodeError, ValueError):
        return None
    names: dict[str, tuple[str, str]] = {}
    exported: list[str] = []
    for index, node in enumerate(tree.body):
        if index == 0 and isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant):
            continue  # the docstring
        if isinstance(node, ast.ImportFrom) and node.module != "__future__":
            if node.module is None or any(alias.name == "*" for alias in node.names):
                return None  # `from . import submodule` or a star import: not plain re-exports
            module = importlib.util.resolve_name("." * node.level + node.module, package)
            for alias in node.names:
                names[alias.asname or alias.name] = (module, alias.name)
        elif isinstance(node, ast.Assign) and [getattr(t, "id", None) for t in node.targets] == ["__all__"]:
            try:
                exported = [str(item) for item in ast.literal_eval(node.value)]
            except (ValueError, TypeError):  # not a plain list of names
                return None
        else:
            return None
    return names, exported


class _LazyPackage(types.ModuleType):
    """A package namespace that imports each re-exported name from its submodule on first access.

    Importing a submodule binds it on its package (`data_classes.event_source`, the module); the real
    `__init__` then rebinds the name to what it re-exports (`event_source`, the decorator). Here the
    `__init__` does not run, so a submodule bound under a re-exported name is replaced at once by
    that name's object, as the `__init__` would have left it."""

    def __init__(self, spec: ModuleSpec, reexports: dict[str, tuple[str, str]], exported: list[str]):
        super().__init__(spec.name)
        self.__dict__["_reexports"] = reexports
        self.__spec__ = spec
        self.__file__ = spec.origin
        self.__path__ = list(spec.submodule_search_locations or ())
        self.__package__ = spec.name
        self.__loader__ = spec.loader
        self.__all__ = exported or list(reexports)

    def __getattr__(self, attribute: str) -> Any:
        if attribute not in self._reexports:
            raise AttributeError(f"module {self.__name__!r} has no attribute {attribute!r}")
        module, original = self._reexports[attribute]
        value = getattr(importlib.import_module(module), original)
        setattr(self, attribute, value)
        return value

    def __dir__(self) -> list[str]:
        return sorted({*self.__dict__, *self._reexports})

    def __setattr__(self, attribute: str, value: Any) -> None:
        reexports = self.__dict__.get("_reexports", {})
        if attribute in reexports and isinstance(value, types.ModuleType):
            module, original = reexports[attribute]
            if value.__name__ == module:
                value = getattr(value, original)
        super().__setattr__(attribute, value)


def load_lazily(name: str) -> bool:
    """Register package `name` so that its re-exports load on first use. True if it did."""
    if name in sys.modules:
        return False
    spec = importlib.util.find_spec(name)
    if spec is None or spec.origin is None or spec.submodule_search_locations is None:
        return False
    found = _reexports(spec.origin, name)
    if found is None:
        return False
    sys.modules[name] = package = _LazyPackage(spec, *found)
    parent, _, child = name.rpartition(".")
    if parent:
        setattr(sys.modules[parent], child, package)
    return True
