"""Password policy and argon2id hashing."""

from __future__ import annotations

from functools import cache
from importlib import resources

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import current_app
from flask_babel import lazy_gettext as _l

from commentsvc.core.errors import Invalid

MIN_LENGTH = 8
# Long passphrases are welcome; far longer input is refused before it costs a hash.
MAX_LENGTH = 256


@cache
def common_passwords() -> frozenset[str]:
    """The bundled list of passwords seen most often in breaches, lower-cased."""
    text = resources.files("commentsvc").joinpath("data/common-passwords.txt").read_text("utf-8")
    return frozenset(line for line in text.splitlines() if line and not line.startswith("#"))


def check_policy(password: str) -> None:
    """Refuse passwords that are too short, too long or too common.

    There are no composition rules: length and rarity are what make a password strong.

    :raises Invalid: with a message for the reader.
    """
    if len(password) < MIN_LENGTH:
        raise Invalid(_l("Use at least %(n)d characters.", n=MIN_LENGTH), "password")
    if len(password) > MAX_LENGTH:
        raise Invalid(_l("Use at most %(n)d characters.", n=MAX_LENGTH), "password")
    if "\x00" in password:
        raise Invalid(_l("The password contains a character that cannot be used."), "password")
    if password.casefold() in common_passwords():
        raise Invalid(
            _l("This password is on a list of commonly used passwords. Choose another one."),
            "password",
        )


def _hasher() -> PasswordHasher:
    config = current_app.config
    return PasswordHasher(
        time_cost=config["ARGON2_TIME_COST"],
        memory_cost=config["ARGON2_MEMORY_COST"],
        parallelism=config["ARGON2_PARALLELISM"],
    )


def hash_password(password: str) -> str:
    """An argon2id hash of a password that passed check_policy()."""
    if len(password) > MAX_LENGTH:
        raise Invalid(_l("Use at most %(n)d characters.", n=MAX_LENGTH), "password")
    return _hasher().hash(password)


def verify_password(stored_hash: str, password: str) -> bool:
    """True when the password matches. Over-long input is refused without hashing."""
    if len(password) > MAX_LENGTH:
        return False
    try:
        return _hasher().verify(stored_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(stored_hash: str) -> bool:
    return _hasher().check_needs_rehash(stored_hash)


# A hash to verify against when no account matches, so a wrong address costs
# as much time as a wrong password and timing does not reveal which accounts exist.
@cache
def _dummy_hash(time_cost: int, memory_cost: int, parallelism: int) -> str:
    return PasswordHasher(time_cost, memory_cost, parallelism).hash("not a real password")


def burn_time(password: str) -> None:
    config = current_app.config
    dummy = _dummy_hash(
        config["ARGON2_TIME_COST"], config["ARGON2_MEMORY_COST"], config["ARGON2_PARALLELISM"]
    )
    verify_password(dummy, password)
