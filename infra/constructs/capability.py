"""One construct per capability, each owning the declared functions whose handlers live under
`functions/<capability>/`, and binding their routes to the HTTP API.

Which capability a function belongs to is read from its handler path, so the declaration stays the
one place that lists functions; `infra.stack` fails the synth if a declared function is left unowned.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import ClassVar

from constructs import Construct

from infra.constructs.api import ApiConstruct
from infra.constructs.function import DeclaredFunction, FunctionRuntime
from infra.declaration import FunctionSpec


def capability_of(spec: FunctionSpec) -> str:
    """`functions.members.public.lambda_handler` belongs to the `members` capability."""
    parts = spec.handler.split(".")
    if len(parts) < 3 or parts[0] != "functions":
        raise ValueError(f"{spec.name}: handler {spec.handler!r} is not under functions/<capability>/")
    return parts[1]


def construct_id(name: str) -> str:
    return "".join(part.title() for part in name.split("_"))


class CapabilityConstruct(Construct):
    """The functions of one capability, built by the one helper, with their routes on the API."""

    capability: ClassVar[str]

    def __init__(
        self,
        scope: Construct,
        construct_id_: str,
        *,
        runtime: FunctionRuntime,
        api: ApiConstruct,
        functions: Iterable[FunctionSpec],
    ) -> None:
        super().__init__(scope, construct_id_)
        self.functions: dict[str, DeclaredFunction] = {}
        for spec in functions:
            if capability_of(spec) != self.capability:
                continue
            declared = DeclaredFunction(self, construct_id(spec.name), spec=spec, runtime=runtime)
            if spec.routes:
                api.add_function_routes(declared)
            self.functions[spec.name] = declared
