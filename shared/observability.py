"""Logger, Tracer and Metrics, configured from the POWERTOOLS_* environment of each function.

Log with keyword context (`logger.info("member confirmed", extra={"member_id": ...})`), never with
f-strings, and never log a name, an email address, a phone number or free text a person wrote.
"""

from aws_lambda_powertools import Logger, Metrics, Tracer

logger = Logger()
# Only what our code calls: AWS (botocore) and plain HTTP (httplib, the console's token exchange).
# `patch_all` would also import whatever else is installed (requests, sqlite3) just to patch it.
tracer = Tracer(patch_modules=("botocore", "httplib"))
metrics = Metrics()
