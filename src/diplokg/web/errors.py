"""The one place that turns errors into HTTP responses.

Every :class:`~diplokg.errors.DiploKGError` becomes a response with its class's
``http_status``; Werkzeug's HTTP exceptions (404, 405 with ``Allow``, 413…) keep
their status and headers; anything else is a bare 500 that tells nothing of the
internals (the traceback goes to the server log). The body has one shape, in the
format the client's ``Accept`` prefers: JSON ``{"ok": false, "status": N,
"error": "…", "detail"?: {…}}``, or the same as text, HTML or XML.
"""

from __future__ import annotations

import json
import logging
from typing import Any
from xml.sax.saxutils import escape, quoteattr

from flask import Flask, Response, render_template, request
from werkzeug.exceptions import HTTPException, RequestEntityTooLarge

from diplokg import conneg
from diplokg.errors import DiploKGError, PayloadTooLarge, QuerySyntaxError, ServiceUnavailable

log = logging.getLogger(__name__)


def error_body(status: int, message: str, detail: dict[str, Any] | None = None) -> dict[str, Any]:
    """The error document: ``ok``, ``status``, ``error`` and, when known, ``detail``."""
    body: dict[str, Any] = {"ok": False, "status": status, "error": message}
    if detail:
        body["detail"] = detail
    return body


def error_response(
    status: int,
    message: str,
    detail: dict[str, Any] | None = None,
    headers: dict[str, str] | None = None,
) -> Response:
    """Write an error in the format the client prefers.

    Args:
        status: The HTTP status.
        message: What went wrong, for a person.
        detail: Machine-readable particulars (e.g. line and column).
        headers: Extra headers (``Allow``, ``Retry-After``).

    Returns:
        The response.
    """
    kind = conneg.error_kind(conneg.parse_accept(request.headers.get("Accept")))
    doc = error_body(status, message, detail)
    if kind == "html":
        text = render_template("error.html", error=doc, query=_query_text())
        mimetype = "text/html"
    elif kind == "xml":
        items = "".join(
            f"<{k}>{escape(str(v))}</{k}>" for k, v in (detail or {}).items() if k.isidentifier()
        )
        text = (
            f'<?xml version="1.0" encoding="utf-8"?>\n<error status={quoteattr(str(status))}>'
            f"<message>{escape(message)}</message>{items}</error>\n"
        )
        mimetype = "application/xml"
    elif kind == "text":
        text = f"{status} {_reason(status)}: {message}\n"
        mimetype = "text/plain"
    else:
        text = json.dumps(doc, ensure_ascii=False) + "\n"
        mimetype = "application/json"
    response = Response(text, status=status, mimetype=mimetype)
    response.headers["Cache-Control"] = "no-store"
    response.vary.add("Accept")
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


def _reason(status: int) -> str:
    from http import HTTPStatus

    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"


def _query_text() -> str | None:
    if request.path.rstrip("/").endswith("/sparql"):
        try:
            return request.values.get("query")
        except (HTTPException, UnicodeDecodeError):
            return None
    return None


def handle_diplokg_error(error: DiploKGError) -> Response:
    """Map a DiploKG error to its status, with line/column or Retry-After when known."""
    detail: dict[str, Any] = {}
    headers: dict[str, str] = {}
    if isinstance(error, QuerySyntaxError):
        detail = {"line": error.line, "column": error.column}
        detail = {k: v for k, v in detail.items() if v is not None}
    if isinstance(error, ServiceUnavailable):
        headers["Retry-After"] = str(error.retry_after)
    return error_response(error.http_status, error.message, detail or None, headers)


def handle_http_exception(error: HTTPException) -> Response:
    """Keep Werkzeug's status and headers (``Allow`` on 405); write our body."""
    if isinstance(error, RequestEntityTooLarge):
        limit = getattr(error, "limit", None)
        return handle_diplokg_error(PayloadTooLarge(_too_large(limit)))
    status = error.code or 500
    headers = {
        k: v for k, v in error.get_headers() if k.lower() not in ("content-type", "content-length")
    }
    message = error.description or _reason(status)
    if status == 405 and "Allow" in headers:
        message = f"method {request.method} is not allowed here; allowed: {headers['Allow']}"
    return error_response(status, message, None, headers)


def _too_large(limit: int | None) -> str:
    return "the request body is too large" + (f" (limit {limit} bytes)" if limit else "")


def handle_unexpected(error: Exception) -> Response:
    """A bug: log it, answer a bare 500."""
    if isinstance(error, HTTPException):
        return handle_http_exception(error)
    log.exception("unexpected error on %s %s", request.method, request.path)
    return error_response(500, "internal server error")


def init_app(app: Flask) -> None:
    """Register the handlers."""
    app.register_error_handler(DiploKGError, handle_diplokg_error)
    app.register_error_handler(HTTPException, handle_http_exception)
    app.register_error_handler(Exception, handle_unexpected)
