"""On-demand translation for the HTTP views: language choice, limits, timeouts, errors as ApiError."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from .api_requests import ApiError
from .app import settings
from .engine import Detection, ModelUnavailableError, UnsupportedLanguageError
from .translation import engine

__all__ = ("ApiTranslation", "choose_source", "translate_texts")


@dataclass(frozen=True, slots=True)
class ApiTranslation:
    """Translations in request order, the language used and how it was chosen."""

    translations: list[str]
    language: str
    detection: Detection | None
    model: str


def choose_source(texts: list[str], source: str) -> tuple[str, Detection | None]:
    """Resolve ``source`` ("auto" or a code) to a supported language.

    Raises:
        ApiError: 422 ``unsupported_language`` when no model serves it.
    """
    try:
        if source == "auto":
            detection = engine.choose_language("\n".join(texts))
            return detection.language, detection
        return engine.choose_language("", declared=source).language, None
    except UnsupportedLanguageError as exc:
        raise ApiError(422, "unsupported_language", str(exc)) from None


async def translate_texts(texts: list[str], *, source: str, target: str) -> ApiTranslation:
    """Translate through the shared engine (same batches and cache as the stream).

    Raises:
        ApiError: 422 for an unsupported language pair, 503 when the model is not
            loaded yet, cannot load, or does not answer within ``api_timeout_s``.
    """
    if target != settings.target_lang:
        raise ApiError(422, "unsupported_language", f"target {target!r} is not supported; use {settings.target_lang!r}")
    if not engine.ready:
        raise ApiError(503, "not_ready", "the model is still loading")
    language, detection = choose_source(texts, source)
    try:
        translations = await asyncio.wait_for(
            engine.translate_texts(texts, language=language, origin="api"), settings.api_timeout_s
        )
    except TimeoutError:
        # The segments stay queued and will land in the cache; a retry is cheap.
        raise ApiError(503, "overloaded", f"no translation within {settings.api_timeout_s:g} s; retry later") from None
    except ModelUnavailableError as exc:
        raise ApiError(503, "model_unavailable", str(exc)) from None
    return ApiTranslation(
        translations=translations, language=language, detection=detection, model=engine.config.models[language]
    )
