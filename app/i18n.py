"""The UI's two languages (SPEC section 10): English and Korean.

One message catalog per language, ``app/i18n/<lang>.json`` (flat ``"area.name": "text"`` keys,
``{name}`` placeholders), serves both the templates (``t``) and the front end: each page inlines
its own catalog as ``<script type="application/json" id="messages">``, which
``static/js/i18n.js`` reads, so a word is written once for Jinja and JavaScript alike. The API's
own messages (422s) stay English; only what a page shows is translated.
"""

import json
import re
from functools import lru_cache
from pathlib import Path
from typing import Literal, cast, get_args

Language = Literal["en", "ko"]
LANGUAGES: tuple[Language, ...] = get_args(Language)
DEFAULT_LANGUAGE: Language = "en"
CATALOGS = Path(__file__).resolve().parent / "i18n"

_PLACEHOLDER = re.compile(r"\{(\w+)\}")


@lru_cache
def catalog(lang: Language) -> dict[str, str]:
    """Every message of one language, by key."""
    return json.loads((CATALOGS / f"{lang}.json").read_text(encoding="utf-8"))


def translate(lang: Language, key: str, **params: object) -> str:
    """The message `key` of `lang` with its {placeholders} filled from `params` (others kept as
    written, such as Plotly's %{x}); a missing key is an error, so a test finds it."""
    return _PLACEHOLDER.sub(
        lambda m: str(params[m[1]]) if m[1] in params else m[0], catalog(lang)[key]
    )


def _preferences(accept_language: str) -> list[str]:
    """The primary language tags of an Accept-Language header, most preferred first (those with
    q = 0, which the reader refuses, left out)."""
    ranked: list[tuple[float, int, str]] = []
    for k, item in enumerate(accept_language.split(",")):
        tag, _, params = item.strip().partition(";")
        quality = 1.0
        for param in params.split(";"):
            name, _, value = param.strip().partition("=")
            if name.strip().lower() == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        if tag and quality > 0:
            ranked.append((-quality, k, tag.strip().split("-")[0].lower()))
    return [tag for *_, tag in sorted(ranked)]


def negotiate(requested: str | None, accept_language: str | None) -> Language:
    """A page's language: `requested` (its ``lang=``) when it is one of ours, else the first of
    ours in Accept-Language (by quality, then order), else English."""
    if requested in LANGUAGES:
        return cast(Language, requested)
    for tag in _preferences(accept_language or ""):
        if tag in LANGUAGES:
            return cast(Language, tag)
    return DEFAULT_LANGUAGE
