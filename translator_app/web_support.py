"""What every API view shares: JSON errors, the API key, bounded body reading, and readiness."""

from __future__ import annotations

import asyncio
import hmac
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any, cast
from urllib.parse import parse_qsl

from aiohttp import web
from faust.web import Request, Response, View

from .api_requests import ApiError, parse_json_body
from .app import app, settings

__all__ = ("ApiView", "KafkaProbe", "authorize", "json_errors", "read_body", "read_fields")

logger = logging.getLogger(__name__)


def _error_body(error: str, detail: str) -> dict[str, str]:
    return {"error": error, "detail": detail}


@web.middleware
async def json_errors(request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]) -> Any:
    """Render every error, aiohttp's own 404/405/413 included, as ``{"error", "detail"}`` JSON."""
    try:
        return await handler(request)
    except ApiError as exc:
        return web.json_response(_error_body(exc.error, exc.detail), status=exc.status)
    except web.HTTPException as exc:
        if exc.status < 400:
            raise
        name = exc.reason.lower().replace(" ", "_")
        # Keep only headers that mean something for an error (e.g. 405's Allow), not aiohttp's text body's.
        keep = {k: v for k, v in exc.headers.items() if k.lower() in ("allow", "retry-after")}
        return web.json_response(_error_body(name, exc.reason), status=exc.status, headers=keep)
    except Exception:  # a bug: answer with JSON, log it, keep the worker serving
        logger.exception("unhandled error in %s %s", request.method, request.path)
        return web.json_response(_error_body("internal_error", "see the worker log"), status=500)


class ApiView(View):
    """A Faust view whose errors are JSON ``{"error", "detail"}``."""

    def problem(self, status: int, error: str, detail: str, **headers: str) -> Response:
        """An error response."""
        return self.json(_error_body(error, detail), status=status, headers=headers or None)


def authorize(request: Request, *, form_key: str | None = None) -> None:
    """Require the API key, when one is configured.

    Accepts ``Authorization: Bearer <key>``, ``X-API-Key: <key>``, or (LibreTranslate
    routes) the ``api_key`` field. Compared in constant time; never logged.

    Raises:
        ApiError: 401 without a key, 403 with a wrong one.
    """
    if settings.api_key is None:
        return
    expected = settings.api_key.get_secret_value().encode()
    auth = request.headers.get("Authorization", "")
    offered = auth[7:].strip() if auth.lower().startswith("bearer ") else request.headers.get("X-API-Key", form_key)
    if not offered:
        raise ApiError(401, "unauthorized", "this endpoint needs an API key (Authorization: Bearer, or X-API-Key)")
    if not hmac.compare_digest(offered.encode(), expected):
        raise ApiError(403, "forbidden", "invalid API key")


async def read_body(request: Request) -> bytes:
    """Read the body, refusing more than ``api_max_body_bytes`` before reading it all.

    Raises:
        ApiError: 413 when the body is too large.
    """
    raw = cast(web.Request, request)
    limit = settings.api_max_body_bytes
    declared = raw.content_length
    if declared is not None and declared > limit:
        raise ApiError(413, "body_too_large", f"{declared} bytes; the limit is {limit}")
    body = await raw.content.read(limit + 1)
    if len(body) > limit:
        raise ApiError(413, "body_too_large", f"more than {limit} bytes; the limit is {limit}")
    return body


async def read_fields(request: Request) -> dict[str, Any]:
    """Read a JSON or form body into a dict; repeated form fields become lists.

    Raises:
        ApiError: 400/413/415/422 for bodies that cannot be read.
    """
    body = await read_body(request)
    kind = cast(web.Request, request).content_type
    if kind == "application/x-www-form-urlencoded":
        try:
            pairs = parse_qsl(body.decode("utf-8"), keep_blank_values=True)
        except UnicodeDecodeError:
            raise ApiError(400, "invalid_body", "form body is not UTF-8") from None
        grouped: dict[str, list[str]] = {}
        for key, value in pairs:
            grouped.setdefault(key, []).append(value)
        return {key: values[0] if len(values) == 1 else values for key, values in grouped.items()}
    if kind == "multipart/form-data":
        raise ApiError(415, "unsupported_media_type", "send JSON or application/x-www-form-urlencoded")
    if not body.strip():
        return {}
    data = parse_json_body(body)
    if not isinstance(data, dict):
        raise ApiError(422, "invalid_request", "the body must be a JSON object")
    return data


class KafkaProbe:
    """Answers "can this worker reach Kafka now?" with a cached metadata request."""

    def __init__(self, bootstrap: str, *, ttl_s: float = 2.0, timeout_s: float = 3.0) -> None:
        self.bootstrap = bootstrap
        self.ttl_s = ttl_s
        self.timeout_s = timeout_s
        self._client: Any = None
        self._checked_at = 0.0
        self._ok = False

    async def ok(self) -> bool:
        """True when a metadata request succeeded within the last ``ttl_s`` seconds."""
        now = time.monotonic()
        if now - self._checked_at < self.ttl_s:
            return self._ok
        self._checked_at = now
        try:
            if self._client is None:
                from aiokafka import AIOKafkaClient

                self._client = AIOKafkaClient(bootstrap_servers=self.bootstrap, request_timeout_ms=3000)
                await asyncio.wait_for(self._client.bootstrap(), self.timeout_s)
            await asyncio.wait_for(self._client.fetch_all_metadata(), self.timeout_s)
            self._ok = True
        except Exception as exc:  # any failure means "not ready"; the reason goes to the log
            logger.warning("Kafka is not reachable from the readiness probe: %r", exc)
            self._ok = False
            await self.close()
        return self._ok

    async def close(self) -> None:
        """Drop the client; the next check makes a new one."""
        client, self._client = self._client, None
        if client is not None:
            await client.close()


# Faust builds the aiohttp application; its middleware list is open until the server starts.
cast(Any, app.web).web_app.middlewares.append(json_errors)
