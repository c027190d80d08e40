"""Writing the look-alike spellings of an address without look-alike characters in the source."""

from __future__ import annotations


def wide(text: str) -> str:
    """text with its printable ASCII characters in their fullwidth forms (U+FF01-U+FF5E)."""
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in text)
