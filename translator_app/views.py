"""HTTP views on the worker's built-in web server (Faust's aiohttp). No model code here.

Every response is JSON (errors are ``{"error", "detail"}``), except ``/`` (the
live page) and ``/metrics`` (Prometheus text).
"""

from __future__ import annotations

from importlib import resources
from typing import Any

from faust.web import Request, Response
from prometheus_client import REGISTRY, generate_latest

from .api_requests import ApiError, RequestLimits, parse_translate_request
from .api_translation import translate_texts
from .app import app, settings
from .commands import bootstrap_servers
from .openapi import openapi_document
from .records import FinalTranslation
from .tables import final_table, recent_table
from .translation import engine
from .web_support import ApiView, KafkaProbe, authorize, read_fields

__all__ = (
    "ArticleView",
    "ArticlesView",
    "DetectView",
    "HealthView",
    "LanguagesView",
    "MetricsView",
    "OpenApiView",
    "PageView",
    "ReadyView",
    "TranslateView",
)

LIMITS = RequestLimits(max_items=settings.api_max_items, max_item_chars=settings.api_max_item_chars)
MAX_LIST = 500
_PAGE = resources.files("translator_app").joinpath("static/index.html").read_bytes()
_probe = KafkaProbe(",".join(bootstrap_servers(settings.broker)))


@app.page("/")
class PageView(ApiView):
    """``GET /``: the live page (newest translations, throughput, latency)."""

    async def get(self, request: Request) -> Response:
        """Serve the static page; it polls ``/articles``."""
        return self.bytes(_PAGE, content_type="text/html", headers={"Cache-Control": "no-cache"})


@app.page("/health")
class HealthView(ApiView):
    """``GET /health``: liveness; 200 whenever the event loop answers."""

    async def get(self, request: Request) -> Response:
        """Always ``{"status": "ok"}``."""
        return self.json({"status": "ok"})


@app.page("/ready")
class ReadyView(ApiView):
    """``GET /ready``: 200 once the model is loaded and Kafka answers, else 503."""

    async def get(self, request: Request) -> Response:
        """Check the model, then Kafka (a cached metadata request)."""
        model = engine.ready
        kafka = await _probe.ok()
        if model and kafka:
            return self.json({"status": "ready", "model": True, "kafka": True})
        missing = ", ".join(name for name, ok in (("model not loaded", model), ("Kafka unreachable", kafka)) if not ok)
        return self.problem(503, "not_ready", missing, **{"Retry-After": "5"})


@app.page("/metrics")
class MetricsView(ApiView):
    """``GET /metrics``: Prometheus text format."""

    async def get(self, request: Request) -> Response:
        """Render every registered collector."""
        return self.bytes(generate_latest(REGISTRY), content_type="text/plain")


@app.page("/languages")
class LanguagesView(ApiView):
    """``GET /languages``: the supported language pairs."""

    async def get(self, request: Request) -> Response:
        """One entry per configured source language."""
        pairs = [
            {"source": lang, "target": settings.target_lang, "model": engine.config.models[lang]}
            for lang in engine.languages
        ]
        return self.json({"languages": pairs})


@app.page("/detect")
class DetectView(ApiView):
    """``POST /detect``: the language of ``{"text": str}``."""

    async def post(self, request: Request) -> Response:
        """Detect with the same offline model the stream uses."""
        authorize(request)
        fields = await read_fields(request)
        text = fields.get("text")
        if not isinstance(text, str) or not text.strip():
            raise ApiError(422, "invalid_request", "'text' must be a non-empty string")
        if len(text) > settings.api_max_item_chars:
            raise ApiError(413, "item_too_long", f"{len(text)} characters; the limit is {settings.api_max_item_chars}")
        detection = engine.detector.detect(text)
        return self.json(
            {
                "language": detection.language,
                "confidence": detection.confidence,
                "supported": detection.language in engine.config.models,
            }
        )


@app.page("/translate")
class TranslateView(ApiView):
    """``POST /translate``: texts or an article, through the stream's batcher and cache."""

    async def post(self, request: Request) -> Response:
        """Translate; results in request order."""
        authorize(request)
        fields = await read_fields(request)
        parsed = parse_translate_request(fields, limits=LIMITS)
        done = await translate_texts(parsed.texts, source=parsed.source, target=parsed.target)
        body: dict[str, Any] = {
            "source": done.language,
            "target": parsed.target,
            "model": done.model,
            "detected": None
            if done.detection is None
            else {"language": done.detection.language, "confidence": done.detection.confidence},
        }
        if parsed.article:
            body.update(title=done.translations[0], summary=done.translations[1])
        else:
            body["translations"] = done.translations
        return self.json(body)


@app.page("/articles")
class ArticlesView(ApiView):
    """``GET /articles?limit=N``: the newest final translations, newest first."""

    async def get(self, request: Request) -> Response:
        """Read the recent-translations ring (a global table, so any worker can answer)."""
        raw = request.query.get("limit", "20")
        if not raw.isdigit() or not 1 <= int(raw) <= MAX_LIST:
            raise ApiError(422, "invalid_request", f"'limit' must be an integer from 1 to {MAX_LIST}")
        records: list[FinalTranslation] = list(recent_table.values())
        records.sort(key=lambda r: r.published_at, reverse=True)
        return self.json({"articles": [r.asdict() for r in records[: int(raw)]]})


@app.page("/articles/{article_id}")
class ArticleView(ApiView):
    """``GET /articles/{id}``: the final translation of one article, or 404."""

    @app.table_route(table=final_table, match_info="article_id")  # type: ignore[arg-type]
    async def get(self, request: Request, article_id: str) -> Response:
        """Answer from the worker that owns the id's partition; Faust forwards the rest."""
        record: FinalTranslation | None = final_table.get(article_id.encode("utf-8"))
        if record is None:
            return self.problem(404, "not_found", f"no translation for article {article_id!r}")
        return self.json(record.asdict())


@app.page("/openapi.json")
class OpenApiView(ApiView):
    """``GET /openapi.json``: the OpenAPI 3.0 description of every route above."""

    async def get(self, request: Request) -> Response:
        """The document, with the LibreTranslate prefix in force."""
        return self.json(openapi_document(settings.libretranslate_prefix))


# Registers the LibreTranslate-compatible routes.
from . import libretranslate  # noqa: E402,F401
