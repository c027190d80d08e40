"""E-mail and display-name rules: canonical forms, refused characters, look-alike names."""

from __future__ import annotations

import pytest

from commentsvc.accounts.identity import (
    display_name_key,
    email_limit_key,
    normalise_display_name,
    normalise_email,
)
from commentsvc.core.errors import Invalid
from tests.accounts.spellings import wide

INVISIBLE = "Display names cannot contain control or invisible characters."


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Reader@Example.ORG", "reader@example.org"),
        ("  reader@example.org \t", "reader@example.org"),
        ("Reader@BÜCHER.example", "reader@bücher.example"),
        # The ASCII (punycode) spelling of the same domain lands on the same address.
        ("reader@xn--bcher-kva.example", "reader@bücher.example"),
    ],
)
def test_addresses_are_normalised_to_one_canonical_form(raw, expected):
    assert normalise_email(raw) == expected


@pytest.mark.parametrize(
    "raw",
    [
        "",
        "   ",
        "no-at-sign.example.org",
        "reader@",
        "@example.org",
        "two@at@example.org",
        "with space@example.org",
        "reader@example..org",
        "reader@" + "a" * 250 + ".org",  # whole address over 254 characters
    ],
)
def test_malformed_or_over_long_addresses_are_refused(app, raw):
    with app.test_request_context(), pytest.raises(Invalid) as caught:
        normalise_email(raw)
    assert caught.value.field == "email"
    assert str(caught.value) == "Enter a valid e-mail address."


def test_an_address_of_exactly_254_characters_is_accepted():
    address = "r@" + ".".join(["a" * 63, "b" * 63, "c" * 63, "d" * 56]) + ".org"
    assert len(address) == 254
    assert normalise_email(address) == address


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("e\u0301mile", "émile"),  # decomposed accent becomes one character (NFC)
        ("Jane \u00a0 Q.   Public", "Jane Q. Public"),
        ("  Padded Name   ", "Padded Name"),
        ("Ёжик в тумане", "Ёжик в тумане"),
    ],
)
def test_display_names_are_stored_in_nfc_with_single_spaces(raw, expected):
    assert normalise_display_name(raw) == expected


def test_nfc_turns_a_decomposed_accent_into_the_composed_character():
    assert normalise_display_name("Rene\u0301e") == "Ren\u00e9e"
    assert len(normalise_display_name("Rene\u0301e")) == 5


@pytest.mark.parametrize(
    "raw",
    [
        "admin\u202etxt.exe",  # right-to-left override
        "ad\u200bmin",  # zero-width space
        "ad\u2066min\u2069",  # left-to-right isolate
        "ad\u200dmin",  # zero-width joiner
        "bell\x07",
        "esc\x1b[31mred",
        "new\nline",
        "tab\there",
        "nul\x00byte",
        "private\ue000use",
        "replacement\ufffdchar",
    ],
)
def test_display_names_with_invisible_or_control_characters_are_refused(app, raw):
    with app.test_request_context(), pytest.raises(Invalid) as caught:
        normalise_display_name(raw)
    assert caught.value.field == "display_name"
    assert str(caught.value) == INVISIBLE


@pytest.mark.parametrize("raw", ["", "a", "  a  ", "x" * 51, "e\u0301" + "x" * 50])
def test_display_names_outside_the_length_limits_are_refused(app, raw):
    with app.test_request_context(), pytest.raises(Invalid) as caught:
        normalise_display_name(raw)
    assert caught.value.field == "display_name"
    assert "2 to 50 characters" in str(caught.value)


def test_display_name_length_is_counted_after_normalising():
    # 50 letters plus a decomposed accent are 51 code points, but 50 once composed.
    assert normalise_display_name("e\u0301" + "x" * 49) == "é" + "x" * 49
    assert normalise_display_name("ab") == "ab"
    assert normalise_display_name("x" * 50) == "x" * 50


@pytest.mark.parametrize(
    "lookalike",
    [
        "Admin",
        "ADMIN",
        "\u0430dmin",  # Cyrillic small a
        "\uff21\uff24\uff2d\uff29\uff2e",  # fullwidth capitals
        "admin ",
        "ad min",
        "\u00e1dmin",  # á
        "a\u0301dmin",  # a + combining acute
        "\U0001d41a\U0001d41d\U0001d426\U0001d422\U0001d427",  # mathematical bold
    ],
)
def test_look_alike_names_share_a_key_with_admin(lookalike):
    assert display_name_key(lookalike) == display_name_key("admin")


@pytest.mark.parametrize(("one", "other"), [("alice", "bob"), ("admin", "admins"), ("Ann", "Anna")])
def test_different_names_keep_different_keys(one, other):
    assert display_name_key(one) != display_name_key(other)


@pytest.mark.parametrize(
    "variant",
    [
        "reader@example.org",
        " Reader@EXAMPLE.org ",
        "reader@" + wide("example") + "." + wide("org"),
        "reader@example\u3002org",
        "reader@example" + wide(".") + "org",
        wide("reader") + "@example.org",
        wide("READER@EXAMPLE.ORG"),
        # Malformed spellings are folded as far as possible, onto the same address.
        "reader@example.org.",
        "reader@example..org",
        "reader@exa\u00admple.org",
        "rea\u200bder@example.org",
        "re ader@example.org",
    ],
)
def test_every_spelling_of_an_address_has_one_limit_key(variant):
    assert email_limit_key(variant) == "reader@example.org"


def test_the_limit_key_of_an_unparsable_address_is_still_one_per_address():
    assert email_limit_key("no at sign") == email_limit_key("NO-AT-SIGN".replace("-", " "))
    assert email_limit_key("no at sign") != email_limit_key("other")
    assert email_limit_key("x" * 5000) == email_limit_key("x" * 5000 + "y")
