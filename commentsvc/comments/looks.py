"""How the widget looks on a site: the reader's light/dark theme from the snippet, and the
site's accent colour and font, served as a small stylesheet of custom properties.

The theme comes from the snippet (`data-theme="auto|light|dark"`; embed.js puts it in
the frame's URL as `theme=light|dark`, and leaves it out for auto). The site's admin
sets an accent colour (`#rrggbb` only) and a font from a fixed list of stacks; the
widget links `/embed/<site>/theme.css?v=<hash>` only when the site set one of them.
No CSS text from anyone ever reaches a page: the stylesheet is built from a validated
colour and a stack of our own.

Contrast: the accent is the colour of links and of buttons (with --accent-fg on them),
so it must read at WCAG AA (4.5:1) on every background of the theme. An accent that does
not is darkened (light theme) or lightened (dark theme) in small steps until it does,
and the text on it is whichever of dark or white reads better. The admin's page shows
the colours actually used.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

from flask import request, url_for
from flask_babel import lazy_gettext as _l
from sqlalchemy import update

from commentsvc.accounts.models import Reader
from commentsvc.comments.models import Site, Thread
from commentsvc.core import links
from commentsvc.core.errors import Invalid
from commentsvc.core.extensions import db
from commentsvc.moderation import audit
from commentsvc.moderation.models import AuditAction

# The themes a frame URL may ask for; anything else (or nothing) is "auto".
THEMES = ("light", "dark")
AUTO = "auto"

ACCENT_RE = re.compile(r"#[0-9a-f]{6}")

# Font stacks (modernfontstacks.com): families found on the reader's own system, so the
# widget never downloads a font. Keys are what the site row stores.
FONTS: dict[str, str] = {
    "humanist": (
        "Seravek, 'Gill Sans Nova', Ubuntu, Calibri, 'DejaVu Sans', source-sans-pro, sans-serif"
    ),
    "grotesque": "Inter, Roboto, 'Helvetica Neue', 'Arial Nova', 'Nimbus Sans', Arial, sans-serif",
    "transitional": "Charter, 'Bitstream Charter', 'Sitka Text', Cambria, serif",
    "old-style": "'Iowan Old Style', 'Palatino Linotype', 'URW Palladio L', P052, serif",
    "classic": "Georgia, 'Times New Roman', Times, serif",
}
FONT_LABELS = {
    "humanist": _l("Humanist sans-serif (Seravek, Ubuntu, Calibri)"),
    "grotesque": _l("Grotesque sans-serif (Helvetica, Roboto, Arial)"),
    "transitional": _l("Transitional serif (Charter, Cambria)"),
    "old-style": _l("Old-style serif (Palatino, Iowan)"),
    "classic": _l("Classic serif (Georgia, Times)"),
}

# The backgrounds an accent must read on, per theme (widget.css: --bg, --surface,
# --info-bg), and the dark text used on light accents.
LIGHT_BACKGROUNDS = ("#ffffff", "#f6f8fa", "#eef5fc")
DARK_BACKGROUNDS = ("#0f1419", "#171d24", "#14222f")
DARK_TEXT = "#0b1420"
AA = 4.5


def requested_theme() -> str:
    """The theme the frame's URL asks for: "light", "dark" or "auto".

    A form posted from the frame carries the page's URL in its "next" field, so a page
    answered to a POST (a refused comment) keeps the theme too (links.page_args).
    """
    value = links.page_args().get("theme")
    return value if value in THEMES else AUTO


def theme_arg_is_canonical() -> bool:
    """Whether the URL names its theme as embed.js would: no theme, light or dark.

    Anything else is shown as auto but not kept in the shared caches, so made-up values
    cannot fill them with copies of the same page."""
    value = request.args.get("theme")
    return value is None or value in THEMES


# --- colours ------------------------------------------------------------------------------


def _rgb(hex_colour: str) -> tuple[int, int, int]:
    return int(hex_colour[1:3], 16), int(hex_colour[3:5], 16), int(hex_colour[5:7], 16)


def _hex(rgb: tuple[float, float, float]) -> str:
    return "#" + "".join(f"{round(min(255.0, max(0.0, c))):02x}" for c in rgb)


def luminance(hex_colour: str) -> float:
    """WCAG 2 relative luminance."""

    def channel(c: int) -> float:
        s = c / 255
        return s / 12.92 if s <= 0.04045 else ((s + 0.055) / 1.055) ** 2.4

    r, g, b = (channel(c) for c in _rgb(hex_colour))
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(a: str, b: str) -> float:
    la, lb = sorted((luminance(a), luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


def _readable(accent: str, backgrounds: tuple[str, ...], toward: str) -> str:
    """accent, mixed toward black or white in 4 % steps until it reads on every background."""
    start, end = _rgb(accent), _rgb(toward)
    for step in range(26):
        t = step * 0.04
        colour = _hex(tuple(s + (e - s) * t for s, e in zip(start, end, strict=True)))  # type: ignore[arg-type]
        if all(contrast(colour, bg) >= AA for bg in backgrounds):
            return colour
    return toward


def _text_on(accent: str) -> str:
    return max(("#ffffff", DARK_TEXT), key=lambda fg: contrast(fg, accent))


@dataclass(frozen=True)
class Palette:
    """The accent as used in each theme, and the text colour on it."""

    light: str
    light_fg: str
    dark: str
    dark_fg: str


def palette(accent: str) -> Palette:
    light = _readable(accent, LIGHT_BACKGROUNDS, "#000000")
    dark = _readable(accent, DARK_BACKGROUNDS, "#ffffff")
    return Palette(light, _text_on(light), dark, _text_on(dark))


# --- the site's settings -------------------------------------------------------------------


def parse_accent(text: str | None) -> str | None:
    """The accent as stored ("#rrggbb", lower case), None for no accent.

    :raises Invalid: anything but a #rrggbb colour.
    """
    value = (text or "").strip().lower()
    if not value:
        return None
    if len(value) > 7 or not ACCENT_RE.fullmatch(value):
        raise Invalid(_l("Give the colour as # and six hex digits, e.g. #0b5cad."), "accent")
    return value


def parse_font(key: str | None) -> str | None:
    """The font's key as stored, None for the widget's default.

    :raises Invalid: not one of FONTS.
    """
    if not key:
        return None
    if key not in FONTS:
        raise Invalid(_l("Choose one of the listed fonts."), "font")
    return key


def save_look(site: Site, accent: str | None, font: str | None, by: Reader | None = None) -> None:
    """Set the site's accent colour and font (None: the widget's defaults).

    The widget pages link the site's stylesheet by its version, so every thread of the
    site gets a new version: kept pages are rendered again with the new link.

    :raises Invalid: a bad colour or an unknown font.
    """
    accent, font = parse_accent(accent), parse_font(font)
    site.accent_color, site.font_stack = accent, font
    db.session.execute(
        update(Thread).where(Thread.site_id == site.id).values(version=Thread.version + 1)
    )
    if by is not None:
        audit.record_site_change(by, AuditAction.SITE_UPDATE, site)
    db.session.commit()


def stylesheet(site: Site) -> str | None:
    """The site's stylesheet for the widget; None when it set nothing."""
    if not site.accent_color and not site.font_stack:
        return None
    light: list[str] = []
    dark: list[str] = []
    if site.font_stack in FONTS:
        light.append(f"--font:{FONTS[site.font_stack]}")
    if site.accent_color:
        p = palette(site.accent_color)
        light += [f"--accent:{p.light}", f"--accent-fg:{p.light_fg}", f"--focus:{p.light}"]
        dark += [f"--accent:{p.dark}", f"--accent-fg:{p.dark_fg}", f"--focus:{p.dark}"]
    css = f"/* {site.slug} */\nbody.framed{{{';'.join(light)}}}\n"
    if dark:
        rule = ";".join(dark)
        # The same selectors as widget.css's dark values, loaded after them.
        auto = f":root:not([data-theme=light]) body.framed{{{rule}}}"
        css += f"@media (prefers-color-scheme:dark){{{auto}}}\n"
        css += f":root[data-theme=dark] body.framed{{{rule}}}\n"
    return css


def version(site: Site) -> str | None:
    css = stylesheet(site)
    return hashlib.sha256(css.encode()).hexdigest()[:12] if css is not None else None


def stylesheet_url(site: Site | None) -> str | None:
    """The URL of the site's stylesheet for frame.html; None when there is none."""
    if site is None or not isinstance(site, Site):
        return None
    v = version(site)
    if v is None:
        return None
    return url_for("looks.stylesheet", site_slug=site.slug, v=v)
