"""Logger and Metrics, configured from the POWERTOOLS_* environment of each function.

Log with keyword context (`logger.info("member confirmed", extra={"member_id": ...})`), never with
f-strings, and never log a name, an email address, a phone number or free text a person wrote.

Tracing is Lambda's own (active tracing, set on every function by `infra/constructs/function.py`):
X-Ray records each invocation and its initialisation, with no SDK in the function. The X-Ray SDK,
which Powertools' Tracer is built on, has been in maintenance mode since 25 February 2026 and loses
support on 25 February 2027 (AWS's X-Ray SDK and daemon timeline); it also added about 60 modules
to every cold start. Calls to AWS are counted and timed by the logs and metrics instead.
"""

from aws_lambda_powertools import Logger, Metrics

logger = Logger()
metrics = Metrics()
