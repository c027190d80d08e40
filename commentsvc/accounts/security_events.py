"""What follows every change to how a reader signs in (a passkey or a second factor
added or removed, new recovery codes): an e-mail to the reader, an audit entry for
staff, and the refusal to remove the last second factor of staff who must have one.

Each function joins the caller's transaction; nothing here commits.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from sqlalchemy import exists, func, select

from commentsvc.accounts import factor_rules
from commentsvc.accounts.models import Passkey, Reader, TotpFactor
from commentsvc.core import mail
from commentsvc.core.errors import Conflict
from commentsvc.core.extensions import db
from commentsvc.core.links import public_url
from commentsvc.moderation import audit
from commentsvc.moderation.models import AuditAction


class LastFactor(Conflict):
    """Staff who must have a second factor cannot remove their last one."""

    def __init__(self) -> None:
        super().__init__(
            _l(
                "Your role needs a second factor: add another passkey or an authenticator "
                "app before you remove this one."
            )
        )


def check_can_remove(
    reader: Reader, *, passkey_count: int | None = None, totp_left: bool | None = None
) -> None:
    """:raises LastFactor: after the removal the reader, who must have a second factor,
    would have none. The arguments say what remains of the factor being removed."""
    if not factor_rules.must_have_factor(reader):
        return
    if passkey_count is None:
        passkey_count = int(
            db.session.scalar(select(func.count(Passkey.id)).where(Passkey.reader_id == reader.id))
            or 0
        )
    if totp_left is None:
        totp_left = bool(
            db.session.scalar(
                select(
                    exists().where(
                        TotpFactor.reader_id == reader.id, TotpFactor.confirmed_at.is_not(None)
                    )
                )
            )
        )
    if passkey_count <= 0 and not totp_left:
        raise LastFactor


def _announce(
    reader: Reader,
    action: AuditAction,
    headline: object,
    detail: object,
    label: str = "",
    by_service: bool = False,
) -> None:
    mail.queue_email(
        reader.email,
        "sign_in_method_changed",
        reader.locale,
        reader=reader,
        headline=headline,
        detail=detail,
        account_url=public_url("account.index"),
    )
    if factor_rules.is_staff(reader):
        audit.record(
            None if by_service else reader,
            action,
            target_type="reader",
            target_id=reader.id,
            target_label=reader.display_name,
            details={"name": label} if label else None,
        )


def passkey_added(reader: Reader, passkey: Passkey) -> None:
    _announce(
        reader,
        AuditAction.PASSKEY_ADD,
        _l("A passkey was added to your account"),
        _l("A passkey named “%(name)s” can now sign in to your account.", name=passkey.name),
        passkey.name,
    )


def passkey_removed(reader: Reader, passkey: Passkey) -> None:
    _announce(
        reader,
        AuditAction.PASSKEY_REMOVE,
        _l("A passkey was removed from your account"),
        _l("The passkey named “%(name)s” no longer signs in to your account.", name=passkey.name),
        passkey.name,
    )


def totp_added(reader: Reader) -> None:
    _announce(
        reader,
        AuditAction.TOTP_ADD,
        _l("Two-step sign-in was turned on"),
        _l("An authenticator app now gives the second step of signing in to your account."),
    )


def totp_removed(reader: Reader) -> None:
    _announce(
        reader,
        AuditAction.TOTP_REMOVE,
        _l("An authenticator app was removed"),
        _l("The authenticator app no longer gives the second step of signing in."),
    )


def recovery_codes_made(reader: Reader) -> None:
    _announce(
        reader,
        AuditAction.RECOVERY_CODES,
        _l("New recovery codes were made"),
        _l("Your account has new recovery codes; the ones made before no longer work."),
    )


def every_factor_removed(reader: Reader) -> None:
    """An operator removed every passkey and second factor (`flask users reset-two-step`)."""
    _announce(
        reader,
        AuditAction.TOTP_REMOVE,
        _l("Your passkeys and two-step sign-in were removed"),
        _l(
            "An administrator of the service removed every passkey and second factor of "
            "your account. Add new ones on your account page."
        ),
        "*",
        by_service=True,
    )
