"""The Lambda handlers, one package per capability.

Before any handler module is imported, garbage collection pauses until the first invocation (in
Lambda only: `shared.coldstart`), and three of Powertools' packages are registered to load each name
on first use instead of importing every resolver and event class they have (`shared.lazy_packages`).
"""

from shared import coldstart

coldstart.pause()  # until the first invocation: see shared/coldstart.py

from shared.lazy_packages import load_lazily  # noqa: E402

for _package in (
    "aws_lambda_powertools.event_handler",
    # its `__init__` loads the OpenAPI merge tool (ast, fnmatch, importlib.util), which only a build
    # step uses; a handler needs only the exceptions, params and validation middleware
    "aws_lambda_powertools.event_handler.openapi",
    "aws_lambda_powertools.utilities.data_classes",
):
    load_lazily(_package)
