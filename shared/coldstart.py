"""Garbage collection paused while a Lambda function initialises.

A handler's import makes about 90,000 objects the collector tracks (botocore's service models,
pydantic's classes, Powertools, our modules), and almost none of them is garbage; CPython's collector
still walks them again and again as their number grows: about 3.5% of a handler's cold start, in
instructions (`make bench`). So in Lambda (`LAMBDA_TASK_ROOT` is set) the handlers' package pauses
it before anything else is imported (`functions/__init__.py`), and the first invocation starts it
again (`shared.observability.logger.inject_lambda_context`, which every handler wears), after
freezing what initialisation made, so later collections skip those objects (`gc.freeze`, as Python's
documentation advises for a program's start-up). The price: the little cyclic garbage
initialisation leaves (about 160 KB for the largest handler, once) is never freed. Local mode sets
`LAMBDA_TASK_ROOT` as Lambda does, so it pauses too; tests and tools do not, and nothing changes there.
"""

import gc
import os

_paused = False


def pause() -> None:
    global _paused
    if os.environ.get("LAMBDA_TASK_ROOT") and gc.isenabled():
        gc.disable()
        _paused = True


def resume() -> None:
    """Start collecting again, once: the objects made so far are frozen (never collected)."""
    global _paused
    if _paused:
        _paused = False
        gc.freeze()
        gc.enable()
