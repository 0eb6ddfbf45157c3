"""Parse and check on-demand translation requests: pure functions, no web framework, no model."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from .cleaning import clean_text

__all__ = ("ApiError", "RequestLimits", "TranslateRequest", "parse_json_body", "parse_translate_request")


class ApiError(Exception):
    """A request the API refuses: rendered as ``{"error": error, "detail": detail}`` with ``status``."""

    def __init__(self, status: int, error: str, detail: str) -> None:
        super().__init__(f"{status} {error}: {detail}")
        self.status = status
        self.error = error
        self.detail = detail


@dataclass(frozen=True, slots=True)
class RequestLimits:
    """Per-request bounds."""

    max_items: int
    max_item_chars: int


@dataclass(frozen=True, slots=True)
class TranslateRequest:
    """A validated ``POST /translate`` body.

    ``texts`` holds the items to translate; for an article, ``[title, summary]``.
    """

    texts: list[str]
    source: str
    target: str
    article: bool
    single: bool


def parse_json_body(raw: bytes) -> Any:
    """Decode a UTF-8 JSON body.

    Raises:
        ApiError: 400 for invalid UTF-8 or JSON.
    """
    try:
        return json.loads(raw.decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise ApiError(400, "invalid_body", f"body is not UTF-8: {exc.reason}") from None
    except (json.JSONDecodeError, RecursionError) as exc:
        raise ApiError(400, "invalid_json", str(exc)[:200]) from None


def _language(body: Mapping[str, Any], name: str, default: str) -> str:
    value = body.get(name, default)
    if not isinstance(value, str) or not value.strip() or len(value) > 16:
        raise ApiError(422, "invalid_request", f"{name!r} must be a language code such as 'es' or 'auto'")
    return value.strip().lower()


def _checked_text(value: Any, *, field: str, limits: RequestLimits) -> str:
    if not isinstance(value, str):
        raise ApiError(422, "invalid_request", f"{field} must be a string, got {type(value).__name__}")
    if len(value) > limits.max_item_chars:
        raise ApiError(
            413, "item_too_long", f"{field} has {len(value)} characters; the limit is {limits.max_item_chars}"
        )
    # The same cleaning as the stream: JSON escapes, HTML and invisible characters never reach the model.
    return clean_text(value)


def parse_translate_request(body: Any, *, limits: RequestLimits) -> TranslateRequest:
    """Validate a ``POST /translate`` body: ``{"text": str | [str]}`` or ``{"title", "summary"}``.

    Raises:
        ApiError: 422 for a wrong shape or type, 413 for too many or too long items.
    """
    if not isinstance(body, dict):
        raise ApiError(422, "invalid_request", "the body must be a JSON object")
    source = _language(body, "source", "auto")
    target = _language(body, "target", "en")
    if "text" in body:
        text = body["text"]
        single = isinstance(text, str)
        items = [text] if single else text
        if not isinstance(items, list) or not items:
            raise ApiError(422, "invalid_request", "'text' must be a string or a non-empty list of strings")
        if len(items) > limits.max_items:
            raise ApiError(413, "too_many_items", f"{len(items)} items; the limit is {limits.max_items}")
        texts = [_checked_text(item, field=f"text[{i}]", limits=limits) for i, item in enumerate(items)]
        return TranslateRequest(texts=texts, source=source, target=target, article=False, single=single)
    if "title" in body or "summary" in body:
        texts = [_checked_text(body.get(name, ""), field=name, limits=limits) for name in ("title", "summary")]
        return TranslateRequest(texts=texts, source=source, target=target, article=True, single=False)
    raise ApiError(422, "invalid_request", "give 'text' (a string or a list) or an article's 'title' and 'summary'")
