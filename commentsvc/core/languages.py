"""The languages the service speaks: the one list every other place reads.

Adding a language: add it here, create its catalogue (see the README's "Translations"
section) and give the consent banner its built-in texts in consent/texts.py.
"""

from __future__ import annotations

DEFAULT_LANGUAGE = "en"

# Each language's own name for itself, as a language picker shows it.
LANGUAGE_NAMES: dict[str, str] = {
    "en": "English",
    "az": "Azərbaycanca",
    "ru": "Русский",
    "tr": "Türkçe",
}

LANGUAGES: tuple[str, ...] = tuple(LANGUAGE_NAMES)
