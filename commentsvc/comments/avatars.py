"""Readers' avatars, drawn here as inline SVG: initials on a colour of their own.

No request leaves the page (no Gravatar): the colour comes from a hash of the reader's
id, never of their e-mail address, and the initials from the name the page shows
anyway. Avatars are decorative (aria-hidden): the author's name stands next to them.
"""

from __future__ import annotations

import hashlib

from markupsafe import Markup, escape

# Readers whose account is gone, and deleted comments: a neutral outline of a person.
NEUTRAL = Markup(
    '<svg class="avatar neutral" aria-hidden="true" viewBox="0 0 32 32" width="32" height="32">'
    '<circle class="bg" cx="16" cy="16" r="16"/>'
    '<circle class="fg" cx="16" cy="12.5" r="5.5"/>'
    '<path class="fg" d="M6.5 26.5c1.8-5 5.3-7.5 9.5-7.5s7.7 2.5 9.5 7.5z"/></svg>'
)


def initials(name: str) -> str:
    """Up to two letters: of the first two words of the name that start with one."""
    letters = [word[0] for word in name.split() if word[0].isalnum()][:2]
    if not letters and name.strip():
        letters = [name.strip()[0]]
    return "".join(letters).upper()


def hue(reader_id: int) -> int:
    """The reader's colour on the colour wheel: stable, and unrelated to anything secret."""
    digest = hashlib.sha256(f"commentsvc avatar {reader_id}".encode()).digest()
    return int.from_bytes(digest[:2], "big") % 360


def avatar(reader_id: int | None, name: str | None) -> Markup:
    """The avatar of a reader (NEUTRAL without one). The dark background keeps the
    white initials readable on every hue. How the initials are drawn (white, bold,
    centred) is in the style sheet: a page of comments says it once."""
    if reader_id is None or not name or not initials(name):
        return NEUTRAL
    # Only numbers and escaped initials go into the markup.
    return Markup(  # noqa: S704
        '<svg class="avatar" aria-hidden="true" viewBox="0 0 32 32" width="32" height="32">'
        f'<circle cx="16" cy="16" r="16" fill="hsl({hue(reader_id)} 55% 32%)"/>'
        f'<text x="16" y="21">{escape(initials(name))}</text></svg>'
    )
