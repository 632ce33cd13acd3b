"""One error envelope: RFC 9457 problem+json. Domain code raises these; one handler renders them."""

from __future__ import annotations

from typing import Any

PROBLEM_JSON = "application/problem+json"


class Problem(Exception):
    """A failure the client can act on; `status` decides the HTTP status."""

    status = 500
    title = "Internal Server Error"

    def __init__(self, detail: str, *, errors: list[dict[str, Any]] | None = None,
                 headers: dict[str, str] | None = None, status: int | None = None,
                 title: str | None = None) -> None:
        super().__init__(detail)
        self.detail = detail
        self.errors = errors
        self.headers = headers or {}
        if status is not None:
            self.status = status
        if title is not None:
            self.title = title

    def body(self) -> dict[str, Any]:
        return problem_body(self.status, self.title, self.detail, self.errors)


class BadRequest(Problem):
    status, title = 400, "Bad Request"


class Unauthorized(Problem):
    status, title = 401, "Unauthorized"


class Forbidden(Problem):
    status, title = 403, "Forbidden"


class NotFound(Problem):
    status, title = 404, "Not Found"


class NotAcceptable(Problem):
    status, title = 406, "Not Acceptable"


class Conflict(Problem):
    status, title = 409, "Conflict"


class PreconditionFailed(Problem):
    status, title = 412, "Precondition Failed"


class PayloadTooLarge(Problem):
    status, title = 413, "Content Too Large"


class UnsupportedMediaType(Problem):
    status, title = 415, "Unsupported Media Type"


class Unprocessable(Problem):
    status, title = 422, "Unprocessable Content"


class PreconditionRequired(Problem):
    status, title = 428, "Precondition Required"


class TooManyRequests(Problem):
    status, title = 429, "Too Many Requests"


class StoreUnavailable(Problem):
    status, title = 503, "Service Unavailable"


class QueryTimeout(Problem):
    """A user query ran past its time limit."""

    status, title = 503, "Query Timeout"


class ResultTooLarge(Problem):
    """A user query produced more rows than the endpoint returns: the client should add a LIMIT."""

    status, title = 400, "Result Too Large"


def problem_body(status: int, title: str, detail: str,
                 errors: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {"type": "about:blank", "title": title, "status": status, "detail": detail}
    if errors:
        body["errors"] = errors
    return body
