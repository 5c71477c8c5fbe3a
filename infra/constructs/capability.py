"""One construct per declared capability: its functions, built by the one helper, with their routes
on the HTTP API. The construct's id is the capability's name (`members` -> `Members`), so a function
keeps its logical ids as long as its capability and name do."""

from __future__ import annotations

from constructs import Construct

from infra.constructs.api import ApiConstruct
from infra.constructs.function import DeclaredFunction, FunctionRuntime
from infra.declaration import Capability


def construct_id(name: str) -> str:
    return "".join(part.title() for part in name.split("_"))


class CapabilityConstruct(Construct):
    """The functions of one capability, built by the one helper, with their routes on the API."""

    def __init__(
        self,
        scope: Construct,
        construct_id_: str,
        *,
        capability: Capability,
        runtime: FunctionRuntime,
        api: ApiConstruct,
    ) -> None:
        super().__init__(scope, construct_id_)
        self.capability = capability
        self.functions: dict[str, DeclaredFunction] = {}
        for spec in capability.functions:
            declared = DeclaredFunction(self, construct_id(spec.name), spec=spec, runtime=runtime)
            if spec.http_routes:
                api.add_function_routes(declared)
            self.functions[spec.name] = declared
