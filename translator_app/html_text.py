"""Translate the text of an HTML fragment and keep its markup (LibreTranslate's ``format=html``)."""

from __future__ import annotations

import html
import re
from dataclasses import dataclass

__all__ = ("HtmlFragment",)

_TOKENS = re.compile(r"(<!--.*?-->|<[^>]*>)", re.DOTALL)
_RAW_TEXT = re.compile(r"<\s*(script|style)\b", re.IGNORECASE)
_RAW_END = re.compile(r"<\s*/\s*(script|style)\s*>", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class HtmlFragment:
    """An HTML fragment cut into markup and translatable text nodes.

    ``texts`` are the unescaped text nodes that contain words (not markup, not
    whitespace, not ``<script>``/``<style>`` bodies); :meth:`render` puts
    translations back in their place, escaped.
    """

    parts: tuple[str, ...]
    slots: tuple[int, ...]

    @classmethod
    def parse(cls, fragment: str) -> HtmlFragment:
        """Split ``fragment`` into parts and find the translatable ones."""
        parts = tuple(_TOKENS.split(fragment))
        slots: list[int] = []
        raw = False
        for index, part in enumerate(parts):
            if index % 2 == 1:  # a tag or comment
                if _RAW_TEXT.match(part):
                    raw = True
                elif _RAW_END.match(part):
                    raw = False
                continue
            if not raw and part.strip():
                slots.append(index)
        return cls(parts=parts, slots=tuple(slots))

    @property
    def texts(self) -> list[str]:
        """The text nodes to translate, unescaped, without their outer whitespace."""
        return [html.unescape(self.parts[i]).strip() for i in self.slots]

    def render(self, translations: list[str]) -> str:
        """Rebuild the fragment with ``translations`` in place of :attr:`texts`.

        Raises:
            ValueError: if the number of translations differs from the number of texts.
        """
        if len(translations) != len(self.slots):
            raise ValueError(f"{len(translations)} translations for {len(self.slots)} text nodes")
        parts = list(self.parts)
        for index, translated in zip(self.slots, translations, strict=True):
            original = parts[index]
            lead = original[: len(original) - len(original.lstrip())]
            trail = original[len(original.rstrip()) :]
            parts[index] = lead + html.escape(translated, quote=False) + trail
        return "".join(parts)
