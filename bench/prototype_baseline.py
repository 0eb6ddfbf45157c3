"""The original prototype's architecture, rebuilt only as a benchmark baseline.

The prototype's stream step sent each article, one at a time, to a FastAPI
service that called opus-mt once per message. Here: an aiohttp endpoint
``POST /translate`` that translates one article's title and then its summary,
each as a batch of one, and a client that posts the articles one after
another, waiting for each answer. Same model and backend as the pipeline; no
batching, no Kafka.
"""

from __future__ import annotations

import asyncio
import json
import threading
import time
import urllib.request
from typing import Any

from aiohttp import web

from translator_app.engine.backend import MarianBackend

__all__ = ("run_baseline",)


def _app(backend: MarianBackend) -> web.Application:
    async def translate(request: web.Request) -> web.Response:
        article = await request.json()
        loop = asyncio.get_running_loop()
        # One model call per field per message, as the prototype's service did.
        title = (await loop.run_in_executor(None, backend.translate, [article["title"]]))[0]
        summary = (
            (await loop.run_in_executor(None, backend.translate, [article["summary"]]))[0] if article["summary"] else ""
        )
        return web.json_response({"id": article["id"], "title": title, "summary": summary})

    app = web.Application()
    app.router.add_post("/translate", translate)
    return app


def run_baseline(backend: MarianBackend, articles: list[dict[str, Any]], *, port: int) -> float:
    """Serve the per-message endpoint, post every article in turn, and return articles/s."""
    loop = asyncio.new_event_loop()
    runner = web.AppRunner(_app(backend))
    loop.run_until_complete(runner.setup())
    loop.run_until_complete(web.TCPSite(runner, "127.0.0.1", port).start())
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    try:
        started = time.perf_counter()
        for article in articles:
            request = urllib.request.Request(
                f"http://127.0.0.1:{port}/translate",
                data=json.dumps(article).encode(),
                headers={"Content-Type": "application/json"},
            )
            with urllib.request.urlopen(request, timeout=300) as response:
                assert json.load(response)["id"] == article["id"]
        return len(articles) / (time.perf_counter() - started)
    finally:
        asyncio.run_coroutine_threadsafe(runner.cleanup(), loop).result(timeout=30)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(timeout=10)
