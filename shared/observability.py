"""Logger, Tracer and Metrics, configured from the POWERTOOLS_* environment of each function.

Log with keyword context (`logger.info("member confirmed", extra={"member_id": ...})`), never with
f-strings, and never log a name, an email address, a phone number or free text a person wrote.
"""

from aws_lambda_powertools import Logger, Metrics, Tracer

logger = Logger()
tracer = Tracer()
metrics = Metrics()
