"""Poll RSS/Atom feeds and turn new entries into input messages, each sent once.

What was sent (by article id) and each feed's ETag/Last-Modified are kept in a
small SQLite file, so a restart neither re-sends old articles nor re-downloads
unchanged feeds.
"""

from __future__ import annotations

import asyncio
import json
import logging
import sqlite3
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import feedparser

from .validation import article_id

__all__ = ("FeedStats", "IngestState", "entry_to_message", "ingest_feed")

logger = logging.getLogger(__name__)

Send = Callable[[str, bytes], Awaitable[None]]


class IngestState:
    """Persistent record of sent article ids and per-feed HTTP validators."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(path)
        self._db.execute("CREATE TABLE IF NOT EXISTS sent (id TEXT PRIMARY KEY, feed TEXT, sent_at REAL)")
        self._db.execute("CREATE TABLE IF NOT EXISTS feeds (url TEXT PRIMARY KEY, etag TEXT, modified TEXT)")
        self._db.commit()

    def was_sent(self, article: str) -> bool:
        """True if the article id was already published."""
        return self._db.execute("SELECT 1 FROM sent WHERE id = ?", (article,)).fetchone() is not None

    def mark_sent(self, article: str, feed: str) -> None:
        """Record that Kafka acknowledged the article."""
        self._db.execute("INSERT OR IGNORE INTO sent VALUES (?, ?, ?)", (article, feed, time.time()))
        self._db.commit()

    def validators(self, url: str) -> tuple[str | None, str | None]:
        """Return the feed's last ETag and Last-Modified."""
        row = self._db.execute("SELECT etag, modified FROM feeds WHERE url = ?", (url,)).fetchone()
        return (row[0], row[1]) if row else (None, None)

    def save_validators(self, url: str, etag: str | None, modified: str | None) -> None:
        """Remember the validators the server sent with the feed."""
        self._db.execute("INSERT OR REPLACE INTO feeds VALUES (?, ?, ?)", (url, etag, modified))
        self._db.commit()

    def close(self) -> None:
        """Close the database."""
        self._db.close()


@dataclass(frozen=True, slots=True)
class FeedStats:
    """What one poll of one feed did."""

    url: str
    entries: int
    sent: int
    skipped: int
    not_modified: bool = False


def entry_to_message(entry: Any, *, source: str) -> tuple[str, bytes]:
    """Map a feedparser entry to the input schema; return ``(id, JSON bytes)``.

    The summary keeps its HTML: cleaning belongs to the worker, which must
    cope with HTML from any producer anyway.
    """
    title = str(entry.get("title", ""))
    link = str(entry.get("link", ""))
    published = str(entry.get("published", "") or entry.get("updated", ""))
    ident = article_id(link=link, title=title, published=published)
    message = {
        "id": ident,
        "title": title,
        "summary": str(entry.get("summary", "")),
        "link": link,
        "published": published,
        "source": source,
    }
    return ident, json.dumps(message, ensure_ascii=False).encode("utf-8")


async def ingest_feed(
    url: str, *, state: IngestState, send: Send, parse: Callable[..., Any] = feedparser.parse
) -> FeedStats:
    """Fetch one feed (conditionally) and send the entries not sent before.

    ``send`` must return only after Kafka acknowledged the message; only then
    is the article marked as sent.
    """
    etag, modified = state.validators(url)
    # feedparser blocks on the network; keep the event loop (and producer) alive.
    parsed = await asyncio.to_thread(parse, url, etag=etag, modified=modified)
    if getattr(parsed, "status", None) == 304:
        return FeedStats(url=url, entries=0, sent=0, skipped=0, not_modified=True)
    if parsed.get("bozo") and not parsed.entries:
        raise ValueError(f"cannot parse feed {url}: {parsed.get('bozo_exception')}")
    source = str(parsed.feed.get("title", "")) or url
    sent = skipped = 0
    for entry in parsed.entries:
        ident, payload = entry_to_message(entry, source=source)
        if state.was_sent(ident):
            skipped += 1
            continue
        await send(ident, payload)
        state.mark_sent(ident, url)
        sent += 1
    state.save_validators(url, parsed.get("etag"), parsed.get("modified"))
    logger.info("feed %s: %d entries, %d sent, %d already sent", url, len(parsed.entries), sent, skipped)
    return FeedStats(url=url, entries=len(parsed.entries), sent=sent, skipped=skipped)
