"""The OpenAPI 3.0 description of the worker's HTTP API, kept next to the views it describes."""

from __future__ import annotations

from typing import Any

from . import __version__

__all__ = ("openapi_document",)

_ERROR = {"$ref": "#/components/schemas/Error"}
_ERROR_CODES = {
    "400": "Unreadable body (not UTF-8, not JSON) or a missing LibreTranslate parameter",
    "401": "An API key is configured and none was given",
    "403": "Wrong API key",
    "404": "Not found",
    "413": "Body, item count or item length over the limit",
    "415": "Unsupported body type",
    "422": "Valid JSON of the wrong shape, or an unsupported language",
    "503": "Model not loaded, Kafka unreachable, or overloaded; retry",
}
_SECURITY: list[dict[str, list[str]]] = [{}, {"bearer": []}, {"apiKeyHeader": []}]


def _json(schema: dict[str, Any]) -> dict[str, Any]:
    return {"content": {"application/json": {"schema": schema}}}


def _responses(ok: dict[str, Any], *errors: str, ok_type: str = "application/json") -> dict[str, Any]:
    responses: dict[str, Any] = {"200": {"description": "OK", "content": {ok_type: {"schema": ok}}}}
    for code in errors:
        responses[code] = {"description": _ERROR_CODES[code], **_json(_ERROR)}
    return responses


def _body(schema: dict[str, Any], *, form: bool = False) -> dict[str, Any]:
    content = {"application/json": {"schema": schema}}
    if form:
        content["application/x-www-form-urlencoded"] = {"schema": schema}
    return {"required": True, "content": content}


_WRITE_ERRORS = ("400", "401", "403", "413", "415", "422", "503")
_STRING = {"type": "string"}
_CODE = {"type": "string", "minLength": 1, "maxLength": 16}
_Q = {"oneOf": [_STRING, {"type": "array", "items": _STRING, "minItems": 1}]}
_DETECTED: dict[str, Any] = {
    "type": "object",
    "required": ["language", "confidence"],
    "properties": {"language": _STRING, "confidence": {"type": "number"}},
}

_SCHEMAS: dict[str, Any] = {
    "Error": {
        "type": "object",
        "required": ["error", "detail"],
        "properties": {"error": _STRING, "detail": _STRING},
    },
    "TranslateTexts": {
        "type": "object",
        "required": ["text"],
        "properties": {
            "text": {"oneOf": [_STRING, {"type": "array", "items": _STRING, "minItems": 1}]},
            "source": {**_CODE, "default": "auto"},
            "target": {**_CODE, "default": "en"},
        },
    },
    "TranslateArticle": {
        "type": "object",
        "required": ["title"],
        "properties": {"title": _STRING, "summary": _STRING, "source": _CODE, "target": _CODE},
    },
    "TranslateResult": {
        "type": "object",
        "required": ["source", "target", "model", "detected"],
        "properties": {
            "source": _STRING,
            "target": _STRING,
            "model": _STRING,
            "detected": {**_DETECTED, "nullable": True},
            "translations": {"type": "array", "items": _STRING},
            "title": _STRING,
            "summary": _STRING,
        },
    },
    "FinalTranslation": {
        "type": "object",
        "required": ["id", "title", "summary", "original", "source_lang", "target_lang", "model", "timings"],
        "properties": {
            "id": _STRING,
            "title": _STRING,
            "summary": _STRING,
            "original": {"type": "object", "properties": {"title": _STRING, "summary": _STRING}},
            "link": _STRING,
            "published": _STRING,
            "source": _STRING,
            "source_lang": _STRING,
            "target_lang": _STRING,
            "model": _STRING,
            "ingested_at": {"type": "number"},
            "translated_at": {"type": "number"},
            "published_at": {"type": "number"},
            "language_confidence": {"type": "number"},
            "timings": {"type": "object"},
        },
    },
    "LtTranslate": {
        "type": "object",
        "required": ["q", "target"],
        "properties": {
            "q": _Q,
            "source": {**_CODE, "default": "auto"},
            "target": _CODE,
            "format": {"type": "string", "enum": ["text", "html"], "default": "text"},
            "api_key": _STRING,
        },
    },
    "LtDetect": {"type": "object", "required": ["q"], "properties": {"q": _Q, "api_key": _STRING}},
}


def openapi_document(libretranslate_prefix: str) -> dict[str, Any]:
    """Return the OpenAPI document; ``libretranslate_prefix`` is where the compatible routes live."""
    lt = libretranslate_prefix
    ref = {name: {"$ref": f"#/components/schemas/{name}"} for name in _SCHEMAS}
    paths: dict[str, Any] = {
        "/": {
            "get": {
                "summary": "Live page of the newest translations",
                "responses": _responses(_STRING, ok_type="text/html"),
            }
        },
        "/health": {
            "get": {
                "summary": "Liveness",
                "responses": _responses({"type": "object", "required": ["status"], "properties": {"status": _STRING}}),
            }
        },
        "/ready": {
            "get": {
                "summary": "Readiness: the model is loaded and Kafka answers",
                "responses": _responses({"type": "object", "required": ["status"]}, "503"),
            }
        },
        "/metrics": {"get": {"summary": "Prometheus metrics", "responses": _responses(_STRING, ok_type="text/plain")}},
        "/languages": {
            "get": {
                "summary": "Supported language pairs",
                "responses": _responses(
                    {
                        "type": "object",
                        "required": ["languages"],
                        "properties": {"languages": {"type": "array", "items": {"type": "object"}}},
                    }
                ),
            }
        },
        "/detect": {
            "post": {
                "summary": "Detect the language of a text",
                "security": _SECURITY,
                "requestBody": _body(
                    {"type": "object", "required": ["text"], "properties": {"text": {"type": "string", "minLength": 1}}}
                ),
                "responses": _responses(
                    {**_DETECTED, "properties": {**_DETECTED["properties"], "supported": {"type": "boolean"}}},
                    *_WRITE_ERRORS,
                ),
            }
        },
        "/translate": {
            "post": {
                "summary": "Translate texts or an article through the stream's batcher and cache",
                "security": _SECURITY,
                "requestBody": _body({"oneOf": [ref["TranslateTexts"], ref["TranslateArticle"]]}),
                "responses": _responses(ref["TranslateResult"], *_WRITE_ERRORS),
            }
        },
        "/articles": {
            "get": {
                "summary": "Newest final translations, newest first",
                "parameters": [
                    {
                        "name": "limit",
                        "in": "query",
                        "required": False,
                        "schema": {"type": "integer", "minimum": 1, "maximum": 500, "default": 20},
                    }
                ],
                "responses": _responses(
                    {
                        "type": "object",
                        "required": ["articles"],
                        "properties": {"articles": {"type": "array", "items": ref["FinalTranslation"]}},
                    },
                    "422",
                ),
            }
        },
        "/articles/{article_id}": {
            "get": {
                "summary": "The final translation of one article (routed to the worker that owns it)",
                "parameters": [{"name": "article_id", "in": "path", "required": True, "schema": _STRING}],
                "responses": _responses(ref["FinalTranslation"], "404"),
            }
        },
        f"{lt}/translate": {
            "post": {
                "summary": "LibreTranslate-compatible translate",
                "requestBody": _body(ref["LtTranslate"], form=True),
                "responses": _responses(
                    {"type": "object", "required": ["translatedText"], "properties": {"translatedText": _Q}},
                    *_WRITE_ERRORS,
                ),
            }
        },
        f"{lt}/detect": {
            "post": {
                "summary": "LibreTranslate-compatible detect",
                "requestBody": _body(ref["LtDetect"], form=True),
                "responses": _responses({"type": "array", "items": _DETECTED}, *_WRITE_ERRORS),
            }
        },
        f"{lt}/languages": {
            "get": {
                "summary": "LibreTranslate-compatible language list",
                "responses": _responses(
                    {"type": "array", "items": {"type": "object", "required": ["code", "name", "targets"]}}
                ),
            }
        },
    }
    return {
        "openapi": "3.0.3",
        "info": {"title": "translator_app", "version": __version__, "description": "Spanish→English news translation"},
        "paths": paths,
        "components": {
            "schemas": _SCHEMAS,
            "securitySchemes": {
                "bearer": {"type": "http", "scheme": "bearer"},
                "apiKeyHeader": {"type": "apiKey", "in": "header", "name": "X-API-Key"},
            },
        },
    }
