"""Turn feed text into the plain Unicode the model must see.

RSS summaries arrive with HTML tags and entities, and upstream systems sometimes
JSON-encode twice, so a title reaches us as ``astron\\u00f3mico``. The original
prototype fed such text to the model verbatim ("astron3mic"). Everything here is
pure string work: no Kafka, no model.
"""

from __future__ import annotations

import html
import re
import unicodedata
from html.parser import HTMLParser

__all__ = ("clean_text", "strip_html", "undo_json_escapes")

# A literal backslash-u escape left over from double JSON encoding, with an
# optional low surrogate so astral characters (emoji) decode as one character.
_JSON_ESCAPE = re.compile(r"\\u(d[89ab][0-9a-f]{2})\\u(d[c-f][0-9a-f]{2})|\\u([0-9a-f]{4})", re.IGNORECASE)
_BLOCK_TAGS = frozenset(
    {"p", "div", "br", "li", "ul", "ol", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "tr", "section", "article"}
)
_DROP_CONTENT_TAGS = frozenset({"script", "style", "noscript", "template", "iframe", "object"})
_SPACES = re.compile(r"[^\S\n]+")
_BLANK_LINES = re.compile(r"\s*\n\s*")
# Zero-width and bidi controls are invisible, carry no meaning for translation,
# and confuse tokenizers; the byte-order mark is the same kind of noise.
_INVISIBLE = dict.fromkeys(
    [
        0x200B,
        0x200C,
        0x200D,
        0x2060,
        0xFEFF,
        0x200E,
        0x200F,
        0x202A,
        0x202B,
        0x202C,
        0x202D,
        0x202E,
        0x2066,
        0x2067,
        0x2068,
        0x2069,
    ]
)


class _TextExtractor(HTMLParser):
    """Collects text nodes, turning block-level tags into line breaks."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skip_depth = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _DROP_CONTENT_TAGS:
            self._skip_depth += 1
        elif tag in _BLOCK_TAGS:
            self.parts.append("\n")

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _BLOCK_TAGS:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in _DROP_CONTENT_TAGS:
            self._skip_depth = max(0, self._skip_depth - 1)
        elif tag in _BLOCK_TAGS:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self._skip_depth:
            self.parts.append(data)


def _decode_escape(match: re.Match[str]) -> str:
    high, low, single = match.groups()
    if single is not None:
        code = int(single, 16)
        # A lone surrogate cannot be encoded; leave the escape as it was.
        return match.group(0) if 0xD800 <= code <= 0xDFFF else chr(code)
    return chr(0x10000 + ((int(high, 16) - 0xD800) << 10) + (int(low, 16) - 0xDC00))


def undo_json_escapes(text: str) -> str:
    """Decode ``\\uXXXX`` escapes left in text by double JSON encoding.

    Args:
        text: Already-decoded text that may still contain literal escapes.

    Returns:
        The text with each escape replaced by the character it names.
    """
    if "\\u" not in text and "\\U" not in text:
        return text
    return _JSON_ESCAPE.sub(_decode_escape, text)


def strip_html(text: str) -> str:
    """Remove tags (dropping script/style content) and resolve entities."""
    if "<" not in text and "&" not in text:
        return text
    parser = _TextExtractor()
    parser.feed(text)
    parser.close()
    # Entities double-escaped by the feed ("&amp;oacute;") survive one pass.
    return html.unescape("".join(parser.parts))


def clean_text(text: str) -> str:
    """Return ``text`` as clean NFC Unicode, ready for the tokenizer.

    Removes HTML, decodes leftover JSON escapes, drops control and invisible
    characters, collapses runs of spaces and keeps paragraph breaks as ``\\n``.
    """
    text = undo_json_escapes(text)
    text = strip_html(text)
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\t", " ").translate(_INVISIBLE)
    text = "".join(ch for ch in text if ch == "\n" or unicodedata.category(ch) != "Cc")
    text = unicodedata.normalize("NFC", text)
    text = _SPACES.sub(" ", text)
    return _BLANK_LINES.sub("\n", text).strip()
