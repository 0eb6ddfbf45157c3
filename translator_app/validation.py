"""Raw Kafka bytes in, a clean :class:`Article` or a dead letter out.

The original prototype skipped malformed messages with a log line. Here every
way a message can be wrong has a named reason, and the caller turns an
:class:`InvalidMessage` into a record on the dead-letter topic.
"""

from __future__ import annotations

import base64
import hashlib
import json
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from .cleaning import clean_text
from .records import Article, DeadLetter

__all__ = (
    "REASONS",
    "InvalidMessage",
    "Limits",
    "article_id",
    "dead_letter",
    "parse_article",
)

REASONS = (
    "oversize",
    "invalid_utf8",
    "invalid_json",
    "duplicate_keys",
    "wrong_shape",
    "wrong_type",
    "missing_text",
    "unsupported_language",
    "model_unavailable",
    "translation_failed",
)
_TEXT_FIELDS = ("title", "summary")
_META_FIELDS = ("id", "link", "published", "source", "language")


class InvalidMessage(ValueError):
    """A message that cannot become an article; ``reason`` is one of :data:`REASONS`."""

    def __init__(self, reason: str, detail: str) -> None:
        if reason not in REASONS:
            raise ValueError(f"unknown dead-letter reason {reason!r}")
        super().__init__(f"{reason}: {detail}")
        self.reason = reason
        self.detail = detail


@dataclass(frozen=True, slots=True)
class Limits:
    """Input bounds: anything over them is rejected as ``oversize``."""

    max_message_bytes: int = 256 * 1024
    max_field_chars: int = 20_000


def article_id(*, link: str, title: str, published: str) -> str:
    """Derive a stable id: from the link, or from title + published without one."""
    basis = f"link:{link.strip()}" if link.strip() else f"title:{title.strip()}|published:{published.strip()}"
    return hashlib.sha256(basis.encode("utf-8")).hexdigest()[:24]


def _reject_duplicate_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    keys = [key for key, _ in pairs]
    if len(keys) != len(set(keys)):
        dupes = sorted({key for key in keys if keys.count(key) > 1})
        # Which value would win is a parser detail; refuse rather than guess.
        raise InvalidMessage("duplicate_keys", f"duplicate keys: {', '.join(dupes)[:200]}")
    return dict(pairs)


def _optional_str(data: Mapping[str, Any], field: str) -> str:
    value = data.get(field)
    if value is None:
        return ""
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise InvalidMessage("wrong_type", f"field {field!r} must be a string, got {type(value).__name__}")
    return str(value)


def parse_article(raw: bytes | None, *, limits: Limits = Limits()) -> Article:
    """Validate and clean one input message.

    Args:
        raw: The message value exactly as it came off Kafka.
        limits: Size bounds.

    Returns:
        The cleaned article, with an id derived when the message had none.

    Raises:
        InvalidMessage: with the reason the message cannot be translated.
    """
    if raw is None:
        raise InvalidMessage("wrong_shape", "message has no value (tombstone)")
    if len(raw) > limits.max_message_bytes:
        raise InvalidMessage("oversize", f"{len(raw)} bytes, limit {limits.max_message_bytes}")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InvalidMessage("invalid_utf8", str(exc)) from None
    try:
        data = json.loads(text, object_pairs_hook=_reject_duplicate_keys)
    except json.JSONDecodeError as exc:
        raise InvalidMessage("invalid_json", str(exc)) from None
    except RecursionError:
        raise InvalidMessage("invalid_json", "nested too deeply") from None
    if not isinstance(data, dict):
        raise InvalidMessage("wrong_shape", f"expected a JSON object, got {type(data).__name__}")
    fields = {name: _optional_str(data, name) for name in (*_TEXT_FIELDS, *_META_FIELDS)}
    for name in _TEXT_FIELDS:
        if len(fields[name]) > limits.max_field_chars:
            raise InvalidMessage(
                "oversize", f"{name} has {len(fields[name])} characters, limit {limits.max_field_chars}"
            )
        fields[name] = clean_text(fields[name])
    if not fields["title"] and not fields["summary"]:
        raise InvalidMessage("missing_text", "no title and no summary after cleaning")
    meta = {name: clean_text(fields[name])[:2048] for name in _META_FIELDS}
    return Article(
        id=meta["id"] or article_id(link=meta["link"], title=fields["title"], published=meta["published"]),
        title=fields["title"],
        summary=fields["summary"],
        link=meta["link"],
        published=meta["published"],
        source=meta["source"],
        language=meta["language"][:16],
    )


def dead_letter(
    *,
    reason: str,
    detail: str,
    raw: bytes | None,
    topic: str,
    partition: int,
    offset: int,
    key: bytes | None,
    max_payload_bytes: int,
) -> DeadLetter:
    """Build the dead-letter record for a message, keeping its raw payload.

    The payload is kept as text when it is valid UTF-8 and as base64 otherwise,
    cut to ``max_payload_bytes`` so a 10 MB message cannot break the DLQ topic.
    """
    raw = raw or b""
    kept = raw[:max_payload_bytes]
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError:
        payload, encoding = base64.b64encode(kept).decode("ascii"), "base64"
    else:
        # The cut may split a multi-byte character; drop that partial tail.
        payload, encoding = kept.decode("utf-8", errors="ignore"), "utf-8"
    return DeadLetter(
        reason=reason,
        detail=detail[:1000],
        payload=payload,
        payload_encoding=encoding,
        payload_bytes=len(raw),
        payload_sha256=hashlib.sha256(raw).hexdigest(),
        payload_truncated=len(kept) < len(raw),
        topic=topic,
        partition=partition,
        offset=offset,
        key=None if key is None else key.decode("utf-8", errors="replace"),
        failed_at=time.time(),
    )
