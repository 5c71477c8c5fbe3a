"""`Model`: the base of every pydantic model here, with its validator built on first use.

A pydantic class normally builds its validator and serializer when the class is defined, so a
handler's cold import would pay for every model its module tree declares, including those only
other routes use (the admin routes declare about thirty). `defer_build` builds each one the first
time it validates, dumps or describes its schema: the same model, paid for by the route that needs it.

Modules that declare models do not use `from __future__ import annotations`. With it, every field's
annotation is a string that pydantic compiles and evaluates when the class is defined, which nearly
doubles the cost of defining a model (measured: 30 five-field models, 22 ms against 12 ms under
Python 3.13); without it Python evaluates them once, as ordinary code. A name defined further down
the module is written in quotes (`def contact(self) -> "Contact"`).
"""

from pydantic import BaseModel, ConfigDict


class Model(BaseModel):
    # an error's text never quotes the value (a stored name or role would reach a log line)
    model_config = ConfigDict(defer_build=True, hide_input_in_errors=True)
