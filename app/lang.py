"""Choosing the language of a label: the asked language, then Dutch, then English, then any."""

from __future__ import annotations

import re
from collections.abc import Iterable

from rdflib import Literal
from rdflib.term import Node

FALLBACK = ("nl", "en")
_TAG = re.compile(r"^[A-Za-z]{1,8}(-[A-Za-z0-9]{1,8})*$")


def preferences(lang: str | None, accept_language: str | None) -> list[str]:
    """Languages in order of preference: `lang` wins over Accept-Language; fallbacks last."""
    asked: list[str] = []
    if lang:
        asked = [part.strip().lower() for part in lang.split(",") if _TAG.match(part.strip())]
    elif accept_language:
        weighted = []
        for index, part in enumerate(accept_language.split(",")[:20]):
            tag, _, params = part.strip().partition(";")
            quality = 1.0
            if params.strip().startswith("q="):
                try:
                    quality = float(params.strip()[2:])
                except ValueError:
                    quality = 0.0
            if tag and tag != "*" and _TAG.match(tag) and quality > 0:
                weighted.append((-quality, index, tag.lower()))
        asked = [tag for _, _, tag in sorted(weighted)]
    order: list[str] = []
    for tag in [*asked, *(t.split("-")[0] for t in asked), *FALLBACK]:
        if tag not in order:
            order.append(tag)
    return order


def pick(values: Iterable[Node], prefs: list[str]) -> Literal | None:
    """The best literal for the preferences; untagged literals count as 'any language'."""
    literals = [v for v in values if isinstance(v, Literal)]
    if not literals:
        return None

    def rank(literal: Literal) -> tuple[int, str]:
        language = (literal.language or "").lower()
        for position, tag in enumerate(prefs):
            if language == tag or language.split("-")[0] == tag:
                return position, str(literal)
        return len(prefs) + (0 if not language else 1), str(literal)

    return min(literals, key=rank)


def text(value: Literal | None) -> str | None:
    return None if value is None else str(value)
