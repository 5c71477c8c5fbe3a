"""`Model`: the base of every pydantic model here, with its validator built on first use.

A pydantic class normally builds its validator and serializer when the class is defined, so a
handler's cold import would pay for every model its module tree declares, including those only
other routes use (the admin routes declare about thirty). `defer_build` builds each one the first
time it validates, dumps or describes its schema: the same model, paid for by the route that needs it.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class Model(BaseModel):
    model_config = ConfigDict(defer_build=True)
