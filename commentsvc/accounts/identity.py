"""Normalising and checking e-mail addresses and display names."""

from __future__ import annotations

import re
import unicodedata

from email_validator import EmailNotValidError, validate_email
from flask_babel import lazy_gettext as _l

from commentsvc.core.errors import Invalid

EMAIL_MAX = 254
DISPLAY_NAME_MIN = 2
DISPLAY_NAME_MAX = 50


# Characters that look like Latin letters in common fonts. Mapping them before the
# uniqueness check stops "аdmin" (Cyrillic а) from impersonating "admin". The list
# covers the Cyrillic and Greek letters that are drawn like Latin ones; NFKC already
# folds fullwidth, mathematical and other compatibility forms.
_CONFUSABLES = str.maketrans(
    {
        # Cyrillic
        "а": "a",
        "в": "b",
        "е": "e",
        "ё": "e",
        "к": "k",
        "м": "m",
        "н": "h",
        "о": "o",
        "р": "p",
        "с": "c",
        "т": "t",
        "у": "y",
        "х": "x",
        "і": "i",
        "ї": "i",
        "ј": "j",
        "ѕ": "s",
        "ԁ": "d",
        "ԛ": "q",
        "ԝ": "w",
        "һ": "h",
        "ӏ": "l",
        "ү": "y",
        "ɡ": "g",
        # Greek
        "α": "a",
        "β": "b",
        "ε": "e",
        "η": "n",
        "ι": "i",
        "κ": "k",
        "ν": "v",
        "ο": "o",
        "ρ": "p",
        "τ": "t",
        "υ": "u",
        "χ": "x",
        "ω": "w",
        "ϲ": "c",
        "ϳ": "j",
        # Latin look-alikes and digits read as letters
        "ı": "i",
        "ℓ": "l",
        "0": "o",
        "1": "l",
        "|": "l",
    }
)

_SPACES = re.compile(r"\s+")


def normalise_email(raw: str) -> str:
    """Return the canonical, lower-cased form of an address.

    :raises Invalid: the address is malformed or too long.
    """
    candidate = raw.strip()
    if not candidate or len(candidate) > EMAIL_MAX:
        raise Invalid(_l("Enter a valid e-mail address."), "email")
    try:
        info = validate_email(candidate, check_deliverability=False)
    except EmailNotValidError as exc:
        raise Invalid(_l("Enter a valid e-mail address."), "email") from exc
    normalised = info.normalized.lower()
    if len(normalised) > EMAIL_MAX:
        raise Invalid(_l("Enter a valid e-mail address."), "email")
    return normalised


# Full stops an input method may type in place of "." (ideographic, fullwidth, halfwidth).
_FULL_STOPS = str.maketrans({"\u3002": ".", "\uff0e": ".", "\uff61": "."})
_DOTS = re.compile(r"\.{2,}")


def _fold_address(raw: str) -> str:
    """The address with every variation a mail system would ignore taken out.

    Used only where normalise_email() refuses the input, so that a malformed variant
    of an address (a trailing dot, a soft hyphen, a fullwidth "@") still lands on it.
    """
    folded = unicodedata.normalize("NFKC", raw[: EMAIL_MAX * 4]).translate(_FULL_STOPS)
    folded = "".join(c for c in folded if not (c.isspace() or _is_forbidden(c)))
    return _DOTS.sub(".", folded.casefold()).strip(".")


def email_limit_key(raw: str) -> str:
    """The key every per-address limit counts under: one bucket per account.

    It is the canonical address from normalise_email() (so letter case, fullwidth
    letters and ideographic full stops in the domain, and the punycode spelling all
    count as the one address they sign in to), with the local part folded further
    (NFKC, casefold), so look-alike local parts share the bucket too. Input that
    does not normalise is folded as far as possible, so no variant gets a fresh bucket.
    """
    try:
        address = normalise_email(raw)
    except Invalid:
        folded = _fold_address(raw)
        try:
            address = normalise_email(folded)
        except Invalid:
            return "malformed:" + folded[: EMAIL_MAX * 2]
    local, _, domain = address.rpartition("@")
    return unicodedata.normalize("NFKC", local).casefold() + "@" + domain


def _is_forbidden(char: str) -> bool:
    # Cc: control characters; Cf: format characters, which include zero-width
    # spaces and joiners and the bidi overrides (U+202A-U+202E, U+2066-U+2069);
    # Cs, Co, Cn: surrogates, private use and unassigned code points.
    return unicodedata.category(char) in {"Cc", "Cf", "Cs", "Co", "Cn"} or char == "\ufffd"


def normalise_display_name(raw: str) -> str:
    """Return the display name as it will be shown: NFC, trimmed, single spaces.

    :raises Invalid: it holds invisible or control characters, or has the wrong length.
    """
    if any(_is_forbidden(c) for c in raw):
        raise Invalid(
            _l("Display names cannot contain control or invisible characters."), "display_name"
        )
    name = _SPACES.sub(" ", unicodedata.normalize("NFC", raw)).strip()
    if not DISPLAY_NAME_MIN <= len(name) <= DISPLAY_NAME_MAX:
        raise Invalid(
            _l(
                "Display names are %(min)d to %(max)d characters long.",
                min=DISPLAY_NAME_MIN,
                max=DISPLAY_NAME_MAX,
            ),
            "display_name",
        )
    return name


def display_name_key(name: str) -> str:
    """The form two display names share when a reader would take them for the same name."""
    folded = unicodedata.normalize("NFKC", name).casefold()
    # Strip accents, so "Émile" and "Emile" collide too.
    decomposed = unicodedata.normalize("NFKD", folded)
    bare = "".join(c for c in decomposed if not unicodedata.combining(c))
    skeleton = confusable_skeleton(bare)
    return "".join(skeleton.split())


def confusable_skeleton(text: str) -> str:
    """text with each look-alike character replaced by the Latin letter it imitates
    (a Cyrillic a by a Latin one, the digit 0 by o); other characters stay as they are."""
    return text.translate(_CONFUSABLES)
