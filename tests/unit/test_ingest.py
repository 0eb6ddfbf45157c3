"""The feed producer sends each article once, across restarts, with validators kept."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import feedparser
import pytest

from translator_app.ingest import IngestState, entry_to_message, ingest_feed
from translator_app.validation import parse_article

FEED = Path(__file__).resolve().parents[2] / "data" / "sample_feed_es.xml"


async def test_feed_entries_are_sent_once_across_restarts(tmp_path: Path) -> None:
    sent: list[tuple[str, bytes]] = []

    async def send(ident: str, payload: bytes) -> None:
        sent.append((ident, payload))

    state = IngestState(tmp_path / "state.sqlite3")
    first = await ingest_feed(str(FEED), state=state, send=send)
    state.close()
    state = IngestState(tmp_path / "state.sqlite3")  # a restarted producer
    second = await ingest_feed(str(FEED), state=state, send=send)
    assert first.entries == 15 and first.sent == 15
    assert second.sent == 0 and second.skipped == 15
    assert len({ident for ident, _ in sent}) == 15


async def test_a_failed_send_is_not_marked_as_sent(tmp_path: Path) -> None:
    state = IngestState(tmp_path / "state.sqlite3")

    async def broken(ident: str, payload: bytes) -> None:
        raise ConnectionError("broker down")

    with pytest.raises(ConnectionError):
        await ingest_feed(str(FEED), state=state, send=broken)
    sent: list[str] = []

    async def send(ident: str, payload: bytes) -> None:
        sent.append(ident)

    assert (await ingest_feed(str(FEED), state=state, send=send)).sent == 15


async def test_etag_and_last_modified_are_sent_back(tmp_path: Path) -> None:
    calls: list[dict[str, Any]] = []

    def fake_parse(url: str, **kwargs: Any) -> Any:
        calls.append(kwargs)
        parsed = feedparser.parse(str(FEED))
        if kwargs.get("etag") == '"v1"':
            parsed["status"] = 304
            parsed.status = 304
            parsed["entries"] = []
        parsed["etag"], parsed["modified"] = '"v1"', "Fri, 13 Dec 2024 12:00:00 GMT"
        return parsed

    async def send(ident: str, payload: bytes) -> None:
        return None

    state = IngestState(tmp_path / "s.sqlite3")
    await ingest_feed("http://feed.example/rss", state=state, send=send, parse=fake_parse)
    again = await ingest_feed("http://feed.example/rss", state=state, send=send, parse=fake_parse)
    assert calls[1] == {"etag": '"v1"', "modified": "Fri, 13 Dec 2024 12:00:00 GMT"}
    assert again.not_modified


def test_messages_follow_the_input_schema_and_validate(tmp_path: Path) -> None:
    copy = tmp_path / "feed.xml"
    shutil.copy(FEED, copy)
    entry = feedparser.parse(str(copy)).entries[4]
    ident, payload = entry_to_message(entry, source="Noticias")
    body = json.loads(payload)
    assert set(body) == {"id", "title", "summary", "link", "published", "source"}
    article = parse_article(payload)
    assert article.id == ident
    assert "<p>" not in article.summary and "desaparecidas" in article.summary
