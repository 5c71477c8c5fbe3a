"""The one HTTP front door of every function behind the API: bad requests become 4xx here, once.

`HttpApi` is the Powertools HTTP resolver every handler uses. Before any route runs, it checks the
request body (`check_body`): a body that is too large (413), of a type we do not read (415),
not valid base64 or UTF-8, JSON that is malformed, nested too deep or holds an absurd number, or a
form or multipart body that does not parse (400) is refused with the API's JSON error shape, or a
readable page for a browser (`Accept: text/html`). What passes is handed on normalised: decoded
text, and multipart form fields re-encoded as an ordinary form post, so no route, no validation
error handler and no page ever meets raw bytes. The routes the next capabilities add get the same
checks by being on an `HttpApi`.

Every answer also gets the security headers a browser or proxy needs (`nosniff`, HSTS, and
`Cache-Control: no-store` unless a route chose its own caching).
"""

from __future__ import annotations

import base64
import binascii
import hmac
import json
import os
from collections.abc import Callable, Mapping
from typing import Any, ClassVar
from urllib.parse import parse_qs, parse_qsl, urlencode

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response
from aws_lambda_powertools.event_handler.exceptions import NotFoundError, ServiceError
from aws_lambda_powertools.event_handler.openapi.exceptions import (
    RequestUnsupportedContentType,
    RequestValidationError,
)

from shared.dynamo import BadCursor, as_domain_error
from shared.errors import BadLink, DomainError
from shared.forms import field_errors, is_list
from shared.observability import logger, metrics
from shared.web import ErrorBody, FieldError, admin_refusal, errors_body

MAX_BODY_BYTES = 32 * 1024  # every form and admin body we accept is a few hundred bytes
MAX_JSON_DEPTH = 8
MAX_INT_DIGITS = 15  # no field takes a number anywhere near this long
MAX_FORM_FIELDS = 100
HONEYPOT = "website"  # the public forms' hidden field a person leaves empty
JSON = "application/json"
FORM = "application/x-www-form-urlencoded"
MULTIPART = "multipart/form-data"
BODY_METHODS = frozenset({"POST", "PUT", "PATCH"})
# Set (in AWS, when the API sits behind CloudFront and its WAF) to the value of the header CloudFront
# adds to every request; a request without it came round the WAF and is refused.
ORIGIN_VERIFY_ENV = "ORIGIN_VERIFY"
ORIGIN_VERIFY_HEADER = "X-Origin-Verify"

SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Strict-Transport-Security": "max-age=63072000; includeSubDomains",
}

# what a browser is told for an address with no page
NOT_FOUND = ["If you typed the web address, check that it is right.", "If you used a link, it may be old."]

# (status, title, paragraphs) -> a page, for browsers
ProblemPage = Callable[[int, str, list[str]], Response[str]]
# (errors by field, what the browser sent) -> the form again, with the messages beside its fields
FormPage = Callable[[dict[str, str], dict[str, Any]], Response[str]]
# a domain error -> the page a browser is shown for it (instead of the plain problem page)
ErrorPage = Callable[[Any], Response[str]]


class BadRequestBody(Exception):
    """The request cannot be read. Carries the status and what to tell the sender."""

    def __init__(self, status: int, message: str, field: str = "body") -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.field = field


def _header(headers: Mapping[str, str] | None, name: str) -> str:
    for key, value in (headers or {}).items():
        if key.lower() == name:
            return str(value)
    return ""


def _raw_bytes(event: Mapping[str, Any], limit: int = MAX_BODY_BYTES) -> bytes:
    body = event.get("body")
    if not body:
        return b""
    if not isinstance(body, str):
        raise BadRequestBody(400, "The request body could not be read")
    if event.get("isBase64Encoded"):
        if len(body) > limit * 4 // 3 + 4:
            raise BadRequestBody(413, f"The request body is too large (at most {limit} bytes)")
        try:
            return base64.b64decode(body, validate=True)
        except (binascii.Error, ValueError):
            raise BadRequestBody(400, "The request body could not be read") from None
    try:
        return body.encode("utf-8")
    except UnicodeEncodeError:  # lone surrogates
        raise BadRequestBody(400, "The request body is not valid UTF-8 text") from None


def _text(raw: bytes) -> str:
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        raise BadRequestBody(400, "The request body is not valid UTF-8 text") from None


def _file_text(raw: bytes) -> str:
    """An uploaded text file: UTF-8, or else Windows-1252, which is what Excel's plain "CSV (Comma
    delimited)" saves in the UK. A file that is neither is refused, saying how to save it."""
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        pass
    try:
        return raw.decode("cp1252")
    except UnicodeDecodeError:
        raise BadRequestBody(
            400, "The file's text could not be read: save the spreadsheet as 'CSV UTF-8' and choose it again"
        ) from None


def _bounded_int(text: str) -> int:
    if len(text.lstrip("-")) > MAX_INT_DIGITS:
        raise ValueError("number too long")
    return int(text)


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def _depth_ok(data: Any) -> bool:
    stack = [(data, 1)]
    while stack:
        value, depth = stack.pop()
        if depth > MAX_JSON_DEPTH:
            return False
        if isinstance(value, dict):
            stack.extend((v, depth + 1) for v in value.values())
        elif isinstance(value, list):
            stack.extend((v, depth + 1) for v in value)
    return True


def _once_each(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """A JSON object that names a field twice (`{"email": "a", "email": "b"}`) is refused, never
    read as its last value."""
    data = dict(pairs)
    if len(data) != len(pairs):
        names = [k for k, _ in pairs]
        raise _RepeatedKey(next(k for k in names if names.count(k) > 1)[:100])
    return data


class _RepeatedKey(ValueError):
    pass


def _check_json(text: str) -> None:
    try:
        data = json.loads(
            text, parse_int=_bounded_int, parse_constant=_no_constant, object_pairs_hook=_once_each
        )
    except _RepeatedKey as repeated:
        raise BadRequestBody(
            400, "This field is sent more than once: send it once", field=str(repeated) or "body"
        ) from None
    except (ValueError, RecursionError):
        raise BadRequestBody(400, "The request body is not valid JSON") from None
    if not _depth_ok(data):
        raise BadRequestBody(400, "The request body is nested too deeply")


def _check_form(text: str) -> None:
    try:
        parse_qsl(text, keep_blank_values=True, errors="strict", max_num_fields=MAX_FORM_FIELDS)
    except UnicodeDecodeError:
        raise BadRequestBody(400, "The form holds text that is not valid UTF-8") from None
    except ValueError:
        raise BadRequestBody(400, "The form has too many fields") from None


def _multipart_as_form(content_type: str, raw: bytes, files: bool = False) -> str:
    """The text fields of a multipart/form-data body, as an urlencoded form. Files are refused, or
    with `files`, read as UTF-8 text fields (an import's spreadsheet)."""
    if "boundary=" not in content_type.lower():
        raise BadRequestBody(400, "A multipart/form-data body needs a boundary in its Content-Type")
    from email import policy  # the header parser loads for a multipart body only, not at import
    from email.parser import BytesParser

    try:
        message = BytesParser(policy=policy.HTTP).parsebytes(
            f"Content-Type: {content_type}\r\n\r\n".encode("latin-1") + raw
        )
    except Exception:  # the stdlib parser is lenient; anything it cannot read is a bad body
        raise BadRequestBody(400, "The multipart/form-data body could not be read") from None
    if not message.is_multipart():
        raise BadRequestBody(400, "The multipart/form-data body could not be read")
    fields: list[tuple[str, str]] = []
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        if not isinstance(name, str) or not name:
            raise BadRequestBody(400, "Each part of a multipart/form-data body needs a field name")
        if part.get_filename() is not None and not files:
            raise BadRequestBody(415, "Files are not accepted: send the form's text fields only")
        payload = part.get_payload(decode=True)
        data = payload if isinstance(payload, bytes) else b""
        fields.append((name, _file_text(data) if part.get_filename() is not None else _text(data)))
        if len(fields) > MAX_FORM_FIELDS:
            raise BadRequestBody(400, "The form has too many fields")
    return urlencode(fields)


def check_body(event: dict[str, Any], limit: int = MAX_BODY_BYTES, files: bool = False) -> None:
    """Refuse a body no route could read (BadRequestBody), or normalise it in place: decoded UTF-8
    text, multipart fields as an urlencoded form. Bodies of GET, HEAD and DELETE are never read.
    `limit` and `files`: a resolver whose routes take more (`HttpApi(max_body_bytes=..., files=True)`)."""
    method = str((event.get("requestContext") or {}).get("http", {}).get("method", "GET")).upper()
    if method not in BODY_METHODS:
        event["body"] = None
        event["isBase64Encoded"] = False
        return
    raw = _raw_bytes(event, limit)
    if len(raw) > limit:
        raise BadRequestBody(413, f"The request body is too large (at most {limit} bytes)")
    headers = event.setdefault("headers", {}) or {}
    content_type = _header(headers, "content-type").strip()
    media = content_type.split(";", 1)[0].strip().lower()
    if not raw:
        event["body"], event["isBase64Encoded"] = None, False
        return
    if media in ("", JSON) or media.endswith("+json"):
        text = _text(raw)
        _check_json(text)
    elif media == FORM:
        text = _text(raw)
        _check_form(text)
    elif media == MULTIPART:
        text = _multipart_as_form(content_type, raw, files)
        _check_form(text)
        for key in [k for k in headers if k.lower() == "content-type"]:
            del headers[key]
        headers["content-type"] = FORM
    else:
        raise BadRequestBody(415, f"Send the body as {FORM} (a form) or {JSON}")
    event["body"], event["isBase64Encoded"] = text, False


def wants_html(event: Mapping[str, Any]) -> bool:
    return "text/html" in _header(event.get("headers"), "accept").lower()


def _as_result(response: Response[Any]) -> dict[str, Any]:
    headers = {str(k): str(v) for k, v in (response.headers or {}).items() if isinstance(v, str)}
    return {
        "statusCode": response.status_code,
        "headers": headers,
        "body": response.body,
        "isBase64Encoded": False,
    }


def secure(result: dict[str, Any]) -> dict[str, Any]:
    headers = result.setdefault("headers", {}) or {}
    for name, value in SECURITY_HEADERS.items():
        headers.setdefault(name, value)
    if not any(key.lower() == "cache-control" for key in headers):
        headers["Cache-Control"] = "no-store"
    result["headers"] = headers
    return result


def actor(router: Any) -> str:
    """Who is making this request, for the audit trail: the signed-in caller's Cognito `sub`."""
    return str(router.context.get("actor", "unknown"))


def once_token(router: Any) -> str | None:
    """What this POST says it is one of (`shared.once`): a form's `once` field (shown fresh with the
    form), or a JSON client's `Idempotency-Key` header; None if it says nothing."""
    from urllib.parse import parse_qs

    from shared import once

    event = router.current_event
    token: str | None = (event.headers or {}).get(once.HEADER)
    if token is None and "form-urlencoded" in ((event.headers or {}).get("content-type") or ""):
        token = (parse_qs(event.decoded_body or "").get(once.FIELD) or [None])[-1]
    return token


def made_once(router: Any) -> str:
    """The id of the record this POST makes (`shared.once`): a console form's `once` field, or a JSON
    client's `Idempotency-Key` header, with who sent it and to where. A second submission gets the
    same id, so its conditional write finds the first's record."""
    from shared import once

    event = router.current_event
    token = once_token(router)
    if token is not None and not once.well_formed(token):
        raise BadOnceToken  # a key we would ignore would let a retry make a second record
    return once.once_id(token, actor(router), str(router.context.get("session", "")), event.path)


class BadOnceToken(DomainError):
    status = 400
    message = "The Idempotency-Key header must be 16 to 64 letters, digits, - or _."
    fields: ClassVar[dict[str, str]] = {
        "Idempotency-Key": "Use 16 to 64 letters, digits, - or _ (a fresh random value per new request)"
    }


class HttpApi(APIGatewayHttpResolver):
    """An `APIGatewayHttpResolver` with validation on, the body checks above, and the mappings every
    function shares: a bad cursor is a 400 naming `cursor`, an unsupported content type a 415."""

    def __init__(
        self,
        *,
        problem_page: ProblemPage | None = None,
        group: str | None = None,
        messages: Mapping[type[DomainError], str] | None = None,
        validation: bool = True,
        pages_only: bool = False,
        error_pages: Mapping[type[DomainError], ErrorPage] | None = None,
        max_body_bytes: int = MAX_BODY_BYTES,
        files: bool = False,
    ) -> None:
        """`group`: every route needs a signed-in caller in this Cognito group (checked before the
        request is parsed at all, so a caller without it learns nothing, not even a 400).
        `messages`: what this API's audience is told for a domain error, instead of its own message
        (members read "your details changed", administrators "the member changed").
        `pages_only`: every refusal is a `problem_page`, whatever the request accepts (the console).
        `error_pages`: the page a browser is shown for a domain error (and its subclasses), when its
        words alone would not do: a link's problem says how to get a new link.

        Bad input is answered here, once, for every route: the body's fields are named with the
        messages of the body's own model (`shared.forms.field_errors`), for JSON and forms alike; a
        browser gets the form again where the route registered one (`form_page`), else a page. A
        bad query or path parameter in a browser is a link that does not work (`BadLink`).
        `max_body_bytes` and `files`: a larger body, and a form's files read as text (an import)."""
        super().__init__(enable_validation=validation)
        self._max_body_bytes = max_body_bytes
        self._files = files
        self._problem_page = problem_page
        self._pages_only = pages_only
        self._group = group
        self._messages = dict(messages or {})
        self._error_pages = dict(error_pages or {})
        self._form_pages: dict[type[Any], FormPage] = {}
        self.exception_handler(BadCursor)(self._bad_cursor)
        self.exception_handler(RequestUnsupportedContentType)(self._unsupported)
        self.exception_handler(DomainError)(self._domain_error)
        self.exception_handler(NotFoundError)(self._no_route)
        self.exception_handler(RequestValidationError)(self._invalid)

    def form_page(self, model: type[Any]) -> Callable[[FormPage], FormPage]:
        """Register how a browser is shown the form whose body is `model` again, with its errors."""

        def register(page: FormPage) -> FormPage:
            self._form_pages[model] = page
            return page

        return register

    def _body_model(self) -> type[Any] | None:
        """The route's body model (of an optional body, the model itself)."""
        import typing

        route = self.context.get("_route")
        params = route.dependant.body_params if route is not None else []
        if not params:
            return None
        found = params[0].type_
        for candidate in typing.get_args(found) or (found,):
            if isinstance(candidate, type) and hasattr(candidate, "model_fields"):
                return candidate
        return None

    def typed(self) -> dict[str, Any]:
        """What a browser's form sent (the last value of each field, every value of a list field),
        to fill the form in again; never the honeypot."""
        model = self._body_model()
        fields = getattr(model, "model_fields", {})
        return {
            name: values if name in fields and is_list(fields[name].annotation) else values[-1]
            for name, values in parse_qs(self.current_event.decoded_body or "").items()
            if name != HONEYPOT
        }

    def _invalid(self, error: RequestValidationError) -> Response[Any]:
        items = list(error.errors())
        if self._page_wanted(self.current_event.raw_event) and any(
            str((item.get("loc") or ("",))[0]) in ("query", "path") for item in items
        ):
            return self._domain_error(BadLink())
        model = self._body_model()
        body = [item for item in items if str((item.get("loc") or ("",))[0]) not in ("query", "path")]
        errors = field_errors(model, body) if model is not None else {}
        for item in items:  # a query or path parameter, by its own name
            loc = [str(part) for part in item.get("loc", ()) if part not in ("query", "path")]
            if item not in body and loc:
                errors.setdefault(loc[0], str(item.get("msg")).removeprefix("Value error, "))
        return self.invalid_fields(errors or {"body": "Check what you sent"})

    def invalid_fields(self, errors: dict[str, str]) -> Response[Any]:
        """Bad input on any form: a browser gets the form again with the messages beside its fields
        (or, for a form with no page of its own, a page that says what to do), a JSON client the fields."""
        logger.info("request refused", extra={"bad_fields": sorted(errors)})
        if not self._page_wanted(self.current_event.raw_event):
            return errors_body(400, errors, "Some fields need correcting.")
        model = self._body_model()
        page = next(
            (self._form_pages[m] for m in getattr(model, "__mro__", ()) if m in self._form_pages), None
        )
        if page is not None:
            try:
                return page(errors, self.typed())
            except DomainError as refused:  # the form's page could not be made (its link is gone)
                return self._domain_error(refused)
        return self._page(
            400,
            "Something was wrong with the form",
            [*dict.fromkeys(errors.values()), "Go back to the page, and use its buttons to try again."],
        )

    def _page_wanted(self, event: Mapping[str, Any]) -> bool:
        return self._problem_page is not None and (self._pages_only or wants_html(event))

    def _page(self, status: int, title: str, paragraphs: list[str]) -> Response[str]:
        assert self._problem_page is not None  # only called when _page_wanted
        return self._problem_page(status, title, paragraphs)

    def _no_route(self, _: NotFoundError) -> Response[Any]:
        """No route here for this path: 405 (with `Allow`) if the path has routes for other methods,
        else 404. A browser gets a page that says what to do; a JSON client gets the error shape."""
        event = self.current_event
        path = event.path
        allowed = sorted(
            {route.method for route in self._static_routes + self._dynamic_routes if route.rule.match(path)}
        )
        headers = {"Allow": ", ".join(allowed)} if allowed else {}
        status = 405 if allowed else 404
        if self._page_wanted(event.raw_event):
            if allowed:
                title = "This page cannot be used like that"
                text = ["You may have used an old link, or sent a form twice."]
            else:
                title = "Page not found"
                text = NOT_FOUND
            response = self._page(status, title, text)
            response.headers.update(headers)
            return response
        message = "Method not allowed." if allowed else "Not found."
        response = errors_body(status, {}, message)
        response.headers.update(headers)
        return response

    def _domain_error(self, error: DomainError) -> Response[Any]:
        """Every domain error, in one place: its status, its message and its fields (or a page). An
        error about the form's fields is shown as bad input is: the form again, with the messages."""
        detail = next((self._messages[k] for k in type(error).__mro__ if k in self._messages), error.detail)
        if self._page_wanted(self.current_event.raw_event):
            page = next((self._error_pages[k] for k in type(error).__mro__ if k in self._error_pages), None)
            if page is not None:
                return page(error)
            if error.status == 400 and error.field_messages and self._body_model() is not None:
                return self.invalid_fields(dict(error.field_messages))
            return self._page(error.status, error.title, [detail])
        return errors_body(error.status, error.field_messages, detail)

    def _bad_cursor(self, _: BadCursor) -> Response[Any]:
        if self._page_wanted(self.current_event.raw_event):
            return self._page(
                400, "This page link does not work", ["Go back to the first page and use its links."]
            )
        return errors_body(400, {"cursor": "Use the `next` value from the previous page"}, "Bad cursor.")

    @staticmethod
    def _unsupported(_: RequestUnsupportedContentType) -> Response[Any]:
        return errors_body(415, {"body": f"Send {FORM} or {JSON}"}, "Unsupported content type.")

    def problem(
        self, event: Mapping[str, Any], status: int, message: str, field: str = "body"
    ) -> dict[str, Any]:
        if self._page_wanted(event):
            titles = {413: "Too much was sent", 415: "This cannot be read"}
            page = self._page(
                status,
                titles.get(status, "Something was wrong with the form"),
                [
                    message,
                    "Go back, check what you entered, and try again.",
                ],
            )
            return _as_result(page)
        body = ErrorBody(message=message, errors=[FieldError(field=field, message=message)])
        return {
            "statusCode": status,
            "headers": {"Content-Type": JSON},
            "body": body.model_dump_json(),
            "isBase64Encoded": False,
        }

    def resolve(self, event: Mapping[str, Any], context: Any) -> dict[str, Any]:
        event = {**event, "headers": dict(event.get("headers") or {})}  # normalised below, not the caller's
        expected = os.environ.get(ORIGIN_VERIFY_ENV)
        if expected and not hmac.compare_digest(
            _header(event.get("headers"), ORIGIN_VERIFY_HEADER.lower()).encode(), expected.encode()
        ):
            # Not through CloudFront (and so not through the WAF): the API's own endpoint, used directly.
            body = ErrorBody(message="Use the partnership's web address.", errors=[])
            return secure(
                {"statusCode": 403, "headers": {"Content-Type": JSON}, "body": body.model_dump_json()}
            )
        if self._group is not None:
            refusal, actor_id = admin_refusal(event, self._group)
            if refusal is not None:
                logger.warning(
                    "route refused: not signed in as the right group", extra={"status": refusal["statusCode"]}
                )
                return secure(refusal)
            self.append_context(actor=actor_id)  # type: ignore[no-untyped-call]
        try:
            check_body(event, self._max_body_bytes, self._files)
        except BadRequestBody as refused:
            return secure(self.problem(event, refused.status, refused.message, refused.field))
        try:
            result = super().resolve(event, context)
        except ServiceError as error:  # pragma: no cover - Powertools maps these itself
            return secure(self.problem(event, error.status_code, str(error.msg)))
        except Exception as error:
            # An AWS error that means "try again" (throttling after botocore's retries), from any
            # route, any repository call, or wrapped by a library: the domain error it stands for.
            domain = as_domain_error(error)
            if domain is None:
                raise
            logger.warning(
                "AWS throttled a call after its retries: answered 503", extra={"call": str(domain)}
            )
            metrics.add_metric(name="RequestsThrottled", unit="Count", value=1)
            result = _as_result(self._domain_error(domain))
            self.clear_context()  # type: ignore[no-untyped-call]
        return secure(result)
