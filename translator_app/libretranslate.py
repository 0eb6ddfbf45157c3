"""LibreTranslate-compatible routes, so existing LibreTranslate clients work unchanged.

Served under ``TRANSLATOR_LIBRETRANSLATE_PREFIX`` (``/libretranslate``):
``POST /translate``, ``POST /detect`` and ``GET|POST /languages``, with
LibreTranslate's request shapes (JSON or form; ``q`` a string or a list;
``source`` a code or ``auto``; ``format`` ``text`` or ``html``; ``api_key``)
and response shapes (``translatedText``, ``detectedLanguage`` with a 0-100
confidence). Errors keep our ``{"error", "detail"}`` body, whose ``error``
key is what LibreTranslate clients read.
"""

from __future__ import annotations

from typing import Any

from faust.web import Request, Response

from .api_requests import ApiError
from .api_translation import translate_texts
from .app import app, settings
from .cleaning import clean_text
from .html_text import HtmlFragment
from .translation import engine
from .web_support import ApiView, authorize, read_fields

__all__ = ("LtDetectView", "LtLanguagesView", "LtTranslateView")

PREFIX = settings.libretranslate_prefix
NAMES = {"es": "Spanish", "en": "English", "fr": "French", "ko": "Korean", "de": "German", "it": "Italian"}


def _api_key(fields: dict[str, Any]) -> str | None:
    key = fields.get("api_key")
    return key if isinstance(key, str) and key else None


def _q(fields: dict[str, Any]) -> tuple[list[str], bool]:
    q = fields.get("q")
    if isinstance(q, str):
        items, single = [q], True
    elif isinstance(q, list) and q and all(isinstance(item, str) for item in q):
        items, single = q, False
    else:
        raise ApiError(400, "invalid_request", "Invalid request: missing q parameter (a string or a list of strings)")
    if len(items) > settings.api_max_items:
        raise ApiError(413, "too_many_items", f"{len(items)} items; the limit is {settings.api_max_items}")
    too_long = next((len(item) for item in items if len(item) > settings.api_max_item_chars), None)
    if too_long is not None:
        raise ApiError(413, "item_too_long", f"{too_long} characters; the limit is {settings.api_max_item_chars}")
    return items, single


def _code(fields: dict[str, Any], name: str, default: str | None) -> str:
    value = fields.get(name, default)
    if not isinstance(value, str) or not value.strip() or len(value) > 16:
        raise ApiError(400, "invalid_request", f"Invalid request: missing {name} parameter")
    return value.strip().lower()


@app.page(f"{PREFIX}/translate")
class LtTranslateView(ApiView):
    """LibreTranslate ``POST /translate``."""

    async def post(self, request: Request) -> Response:
        """Translate ``q`` (text or HTML) and answer in LibreTranslate's shape."""
        fields = await read_fields(request)
        authorize(request, form_key=_api_key(fields))
        items, single = _q(fields)
        source, target = _code(fields, "source", "auto"), _code(fields, "target", None)
        kind = fields.get("format", "text")
        if kind not in ("text", "html"):
            raise ApiError(400, "invalid_request", "Invalid request: format must be 'text' or 'html'")
        fragments = [HtmlFragment.parse(item) for item in items] if kind == "html" else []
        texts = [t for f in fragments for t in f.texts] if kind == "html" else [clean_text(item) for item in items]
        done = await translate_texts(texts, source=source, target=target)
        if kind == "html":
            out, cursor = [], 0
            for fragment in fragments:
                out.append(fragment.render(done.translations[cursor : cursor + len(fragment.slots)]))
                cursor += len(fragment.slots)
        else:
            out = done.translations
        body: dict[str, Any] = {"translatedText": out[0] if single else out}
        if done.detection is not None:
            detected = {"confidence": round(done.detection.confidence * 100, 1), "language": done.language}
            body["detectedLanguage"] = detected if single else [detected] * len(out)
        return self.json(body)


@app.page(f"{PREFIX}/detect")
class LtDetectView(ApiView):
    """LibreTranslate ``POST /detect``: ``[{"confidence": 0-100, "language": code}]``."""

    async def post(self, request: Request) -> Response:
        """Detect the language of ``q``."""
        fields = await read_fields(request)
        authorize(request, form_key=_api_key(fields))
        items, _ = _q(fields)
        ranking = engine.detector.ranking("\n".join(items))
        return self.json([{"confidence": round(d.confidence * 100, 1), "language": d.language} for d in ranking[:3]])


@app.page(f"{PREFIX}/languages")
class LtLanguagesView(ApiView):
    """LibreTranslate ``GET /languages``: every code with the codes it translates to."""

    def _languages(self) -> Response:
        target = settings.target_lang
        entries = [{"code": lang, "name": NAMES.get(lang, lang), "targets": [target]} for lang in engine.languages]
        if target not in engine.config.models:
            entries.append({"code": target, "name": NAMES.get(target, target), "targets": []})
        return self.json(entries)

    async def get(self, request: Request) -> Response:
        """The supported languages."""
        return self._languages()

    async def post(self, request: Request) -> Response:
        """Same as GET; some clients POST their ``api_key`` here."""
        await read_fields(request)
        return self._languages()
