"""Response hardening and request size limits, applied to every route."""

from __future__ import annotations

from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .errors import PROBLEM_JSON

BASE_HEADERS = [
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"strict-origin-when-cross-origin"),
    (b"x-frame-options", b"DENY"),
    (b"cross-origin-opener-policy", b"same-origin"),
]
HTML_CSP = (b"default-src 'self'; img-src 'self' data: https:; style-src 'self'; script-src 'self'; "
            b"connect-src 'self'; frame-ancestors 'none'; base-uri 'self'; form-action 'self'; object-src 'none'")


class SecurityHeaders:
    """nosniff, framing and referrer rules everywhere; a strict CSP on HTML unless a page sets its own."""

    def __init__(self, app: ASGIApp, csp: bytes = HTML_CSP) -> None:
        self.app = app
        self.csp = csp

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_hardened(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                names = {name.lower() for name, _ in headers}
                headers += [(n, v) for n, v in BASE_HEADERS if n not in names]
                content_type = next((v for n, v in headers if n.lower() == b"content-type"), b"")
                if content_type.startswith(b"text/html") and b"content-security-policy" not in names:
                    headers.append((b"content-security-policy", self.csp))
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, send_hardened)


class BodyLimit:
    """413 problem+json for bodies over the limit, by Content-Length or while streaming, before any
    handler reads them. Upload routes (prefixes in `large`) get the larger upload limit."""

    def __init__(self, app: ASGIApp, limit: int, upload_limit: int, large: tuple[str, ...]) -> None:
        self.app = app
        self.limit = limit
        self.upload_limit = upload_limit
        self.large = large

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.upload_limit if scope["path"].startswith(self.large) else self.limit
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > limit):
            await _too_large(send, limit)
            return
        received = 0

        async def counting_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:  # a streamed body: the error handlers render this as 413
                    raise HTTPException(413, f"The request body is larger than the limit of {limit} bytes")
            return message

        await self.app(scope, counting_receive, send)


class IdentityBodiesOnly:
    """415 for request bodies sent with a Content-Encoding (gzip, deflate, br…): nothing here inflates
    them, so a gzip bomb is refused before a byte of it is read, and a compressed body is never
    mistaken for a broken document. RFC 7694: the answer names the one coding accepted."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            coding = dict(scope["headers"]).get(b"content-encoding", b"identity").strip().lower()
            if coding not in (b"", b"identity"):
                await _problem(send, 415, "Unsupported Media Type",
                               f"Request bodies are not decoded: send them without Content-Encoding "
                               f"(got {coding.decode('latin-1')[:40]!r})", [(b"accept-encoding", b"identity")])
                return
        await self.app(scope, receive, send)


async def _too_large(send: Send, limit: int) -> None:
    await _problem(send, 413, "Content Too Large", f"The request body is larger than the limit of {limit} bytes")


async def _problem(send: Send, status: int, title: str, detail: str,
                   extra: list[tuple[bytes, bytes]] | None = None) -> None:
    """A problem+json answer from middleware, before any route (or its error handlers) runs."""
    import json

    body = json.dumps({"type": "about:blank", "title": title, "status": status, "detail": detail}).encode()
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", PROBLEM_JSON.encode()), (b"content-length", str(len(body)).encode()),
                            *(extra or [])]})
    await send({"type": "http.response.body", "body": body})
