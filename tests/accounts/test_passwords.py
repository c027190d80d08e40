"""Password policy (length and rarity, no composition rules) and argon2id hashing."""

from __future__ import annotations

import pytest

from commentsvc.accounts import passwords
from commentsvc.core.errors import Invalid

PASSPHRASE_64 = "the quick brown fox jumps over the lazy dog while it rains on main"[:64]


def refusal(app, password: str) -> str:
    """The message check_policy gives for password (fails the test if it accepts it)."""
    with app.test_request_context(), pytest.raises(Invalid) as caught:
        passwords.check_policy(password)
    assert caught.value.field == "password"
    return str(caught.value)


def test_the_bundled_list_holds_many_common_passwords():
    common = passwords.common_passwords()
    assert len(common) >= 10_000
    assert {"password", "qwerty", "123456", "password1", "qwerty123", "iloveyou"} <= common
    # The header comment is not taken for a password.
    assert not any(entry.startswith("#") for entry in common)


@pytest.mark.parametrize("password", ["", "a", "seven77"])
def test_passwords_under_eight_characters_are_refused(app, password):
    assert refusal(app, password) == "Use at least 8 characters."


def test_passwords_over_256_characters_are_refused(app):
    assert refusal(app, "x" * 257) == "Use at most 256 characters."
    passwords.check_policy("x" * 256)


@pytest.mark.parametrize("password", ["password", "PassWord1", "QWERTY123", "iLoveYou", "Passw0rd"])
def test_common_passwords_are_refused_whatever_their_case(app, password):
    assert "commonly used passwords" in refusal(app, password)


def test_a_nul_byte_is_refused(app):
    assert "cannot be used" in refusal(app, "long enough\x00password")


@pytest.mark.parametrize(
    "password",
    [
        PASSPHRASE_64,
        "all lower case words with no digits",
        "onlylowercaseletters",
        "ééééééééé",
        "пароль для сайта новостей",
        "12345678987654321234",
    ],
)
def test_long_or_uncommon_passwords_are_accepted_without_composition_rules(password):
    passwords.check_policy(password)


def test_a_64_character_passphrase_is_accepted():
    assert len(PASSPHRASE_64) == 64
    passwords.check_policy(PASSPHRASE_64)


def test_hashes_are_argon2id_and_salted(app):
    with app.app_context():
        first = passwords.hash_password(PASSPHRASE_64)
        second = passwords.hash_password(PASSPHRASE_64)
    assert first.startswith("$argon2id$")
    assert first != second
    assert PASSPHRASE_64 not in first


def test_verify_password_accepts_only_the_exact_password(app):
    with app.app_context():
        stored = passwords.hash_password(PASSPHRASE_64)
        assert passwords.verify_password(stored, PASSPHRASE_64)
        assert not passwords.verify_password(stored, PASSPHRASE_64[:-1])
        assert not passwords.verify_password(stored, PASSPHRASE_64 + "!")
        assert not passwords.verify_password(stored, PASSPHRASE_64.upper())
        assert not passwords.verify_password("not a hash", PASSPHRASE_64)


def test_a_password_differing_after_character_64_does_not_verify(app):
    long_password = "a" * 64 + "first ending"
    with app.app_context():
        stored = passwords.hash_password(long_password)
        assert passwords.verify_password(stored, long_password)
        assert not passwords.verify_password(stored, "a" * 64 + "other ending")
        assert not passwords.verify_password(stored, "a" * 64)


def test_over_long_input_is_refused_without_hashing(app):
    with app.app_context():
        stored = passwords.hash_password(PASSPHRASE_64)
    # Outside an app context there is no hasher: reaching argon2 would raise.
    with pytest.raises(RuntimeError):
        passwords.verify_password(stored, PASSPHRASE_64)
    assert passwords.verify_password(stored, "x" * 257) is False
    assert passwords.verify_password(stored, "x" * 100_000) is False
    with pytest.raises(Invalid):
        passwords.hash_password("x" * 257)
