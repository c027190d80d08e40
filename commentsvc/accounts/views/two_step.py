"""Routes for the second step of signing in (an app's code, a recovery code or a
passkey), setting up an authenticator app and recovery codes, and the gate in front of
every staff page.

After a right password, staff with a second factor (and anyone with an app) get here
before any session exists: the session names only the reader waiting, for a few
minutes. A signed-in staff member whose session never proved a factor is sent here
too by the gate, and stays signed in meanwhile.
"""

from __future__ import annotations

from typing import Any

from flask import flash, jsonify, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from werkzeug.wrappers import Response

from commentsvc.accounts import (
    current,
    factor_rules,
    passkeys,
    security_events,
    totp,
    two_step,
)
from commentsvc.accounts.forms import ActionForm, SecondStepForm, TotpConfirmForm
from commentsvc.accounts.models import Reader
from commentsvc.accounts.views import account
from commentsvc.accounts.views.auth import (
    SECOND_STEP,
    Page,
    bp,
    finish_sign_in,
    ip_limit,
    popup_site_of,
    render_form,
)
from commentsvc.accounts.views.passkeys import JSONAnswer, options, refused, sent_credential
from commentsvc.accounts.views.reset_factor import RESET_FACTOR, resetting
from commentsvc.core.errors import Conflict, Invalid
from commentsvc.core.extensions import db, limiter, utcnow
from commentsvc.core.links import safe_next_url

STEP_CHALLENGE = "passkey_second_step"


def _waiting() -> tuple[Reader, dict[str, Any]] | None:
    """The reader whose password was right and who owes the second step (and what the
    session keeps for them), or None when nobody waits or the wait is over."""
    pending = session.get(SECOND_STEP)
    if not isinstance(pending, dict) or not isinstance(pending.get("id"), int):
        return None
    age = utcnow().timestamp() - float(pending.get("at", 0))
    if not 0 <= age <= passkeys.challenge_lifetime().total_seconds():
        session.pop(SECOND_STEP, None)
        return None
    reader = db.session.get(Reader, pending["id"])
    return (reader, pending) if reader is not None else None


def _step_key() -> str:
    """Rate-limit key of the account owing the step (the client address if none)."""
    waiting = _waiting()
    if waiting is not None:
        return f"second-step:{waiting[0].id}"
    if current_user.is_authenticated:
        return f"second-step:{current_user.id}"
    return f"second-step-ip:{request.remote_addr}"


def _who() -> tuple[Reader, dict[str, Any] | None] | None:
    waiting = _waiting()
    if waiting is not None:
        return waiting
    reader = current.reader()
    return (reader, None) if reader is not None else None


def _done(reader: Reader, pending: dict[str, Any] | None) -> str:
    """The step passed: sign in (or mark this session) and say where to go."""
    if pending is None:
        two_step.mark_session(reader)
        return safe_next_url(request.args.get("next")) or url_for("account.index")
    next_url = safe_next_url(str(pending.get("next") or "")) or None
    return finish_sign_in(reader, bool(pending.get("remember")), next_url, second_factor=True)


@bp.route("/two-step", methods=["GET", "POST"])
@limiter.limit(lambda: ip_limit("RATELIMIT_SECOND_STEP_IP"), methods=["POST"])
# One count per account with the codes typed at a reset (auth.reset_account_limit).
@limiter.shared_limit(
    lambda: ip_limit("RATELIMIT_SECOND_STEP_ACCOUNT"),
    scope="second-step",
    key_func=_step_key,
    methods=["POST"],
)
def second_step() -> Page:
    who = _who()
    if who is None:
        flash(_("Your sign-in took too long. Please sign in again."))
        return redirect(url_for("auth.sign_in"), 303)
    reader, pending = who
    form = SecondStepForm()
    if form.validate_on_submit():
        try:
            used = two_step.check_code(reader, form.code.data)
        except Invalid as exc:
            form.code.errors.append(str(exc))
        else:
            if used == "recovery":
                flash(
                    _(
                        "You used a recovery code; each works only once. Make new ones "
                        "on your account page if few are left."
                    )
                )
            return redirect(_done(reader, pending), 303)
    next_url = str(pending.get("next") or "") if pending else None
    return render_form(
        "auth/second_step.html",
        form,
        has_passkey=two_step.has_passkey(reader),
        has_app=totp.is_set_up(reader),
        popup_site=popup_site_of(next_url),
    )


@bp.post("/two-step/passkey/options")
@limiter.limit(lambda: ip_limit("RATELIMIT_PASSKEY"))
def second_step_passkey_options() -> JSONAnswer:
    who = _who()
    if who is None:
        return refused(_("Your sign-in took too long. Please sign in again."))
    return options(passkeys.begin_sign_in(who[0]), STEP_CHALLENGE)


@bp.post("/two-step/passkey")
@limiter.limit(lambda: ip_limit("RATELIMIT_PASSKEY"))
def second_step_passkey() -> JSONAnswer:
    who = _who()
    challenge_id = session.pop(STEP_CHALLENGE, None)
    if who is None:
        return refused(_("Your sign-in took too long. Please sign in again."))
    reader, pending = who
    try:
        passkeys.finish_sign_in(challenge_id, sent_credential(), reader)
    except passkeys.PasskeyRefused as exc:
        return refused(exc)
    return jsonify(redirect=_done(reader, pending)), 200


# --- setting up an authenticator app -------------------------------------------------


@account.bp.route("/two-step/app", methods=["GET", "POST"])
@login_required
@limiter.limit(lambda: ip_limit("RATELIMIT_SECOND_STEP_IP"), methods=["POST"])
def set_up_app() -> Page:
    reader = current.signed_in()
    try:
        setup = totp.begin_setup(reader)
    except Conflict as exc:
        flash(str(exc))
        return redirect(url_for("account.index") + "#two-step-heading", 303)
    form = TotpConfirmForm()
    if form.validate_on_submit():
        try:
            codes = totp.confirm_setup(reader, form.code.data)
        except Invalid as exc:
            form.code.errors.append(str(exc))
        except Conflict as exc:
            flash(str(exc))
            return redirect(url_for("account.set_up_app"), 303)
        else:
            # The right code proves this browser holds the factor now.
            two_step.mark_session(reader)
            return render_template("account/recovery_codes.html", codes=codes, first=True)
    return render_form("account/two_step_app.html", form, setup=setup)


@account.bp.post("/two-step/app/remove")
@login_required
@limiter.limit("10 per hour", key_func=lambda: f"remove-app:{current_user.id}")
def remove_app() -> Response:
    if ActionForm().validate_on_submit():
        try:
            totp.remove(current.signed_in())
        except security_events.LastFactor as exc:
            flash(str(exc))
        else:
            flash(_("The authenticator app was removed, with its recovery codes."))
    return redirect(url_for("account.index") + "#two-step-heading", 303)


@account.bp.post("/two-step/recovery-codes")
@login_required
@limiter.limit("10 per hour", key_func=lambda: f"recovery-codes:{current_user.id}")
def new_recovery_codes() -> Page:
    if not ActionForm().validate_on_submit():
        return redirect(url_for("account.index"), 303)
    try:
        codes = totp.new_recovery_codes(current.signed_in())
    except Conflict as exc:
        flash(str(exc))
        return redirect(url_for("account.index") + "#two-step-heading", 303)
    return render_template("account/recovery_codes.html", codes=codes, first=False)


# --- the gate in front of staff pages ------------------------------------------------


def staff_gate(reader: Reader) -> Response | None:
    """Before every staff page: staff who must have a second factor and have none are
    sent to add one; staff whose session has not proved theirs, to prove it."""
    if two_step.session_proved_factor(reader):
        return None
    if not two_step.has_factor(reader):
        if factor_rules.must_have_factor(reader):
            flash(
                _(
                    "Your role needs two-step sign-in. Add a passkey or an authenticator "
                    "app to go on."
                )
            )
            return redirect(url_for("account.index") + "#two-step-heading", 303)
        return None
    return redirect(url_for("auth.second_step", next=request.full_path.rstrip("?")), 303)


# --- a password reset's second factor, by passkey -------------------------------------

RESET_CHALLENGE = "passkey_reset"


@bp.post("/reset/passkey/options")
@limiter.limit(lambda: ip_limit("RATELIMIT_PASSKEY"))
def reset_passkey_options() -> JSONAnswer:
    reader = resetting()
    if reader is None or not two_step.has_passkey(reader):
        return refused(_("This link has expired or was already used."))
    return options(passkeys.begin_sign_in(reader), RESET_CHALLENGE)


@bp.post("/reset/passkey")
@limiter.limit(lambda: ip_limit("RATELIMIT_PASSKEY"))
def reset_passkey() -> JSONAnswer:
    """A passkey proves the second factor of a reset: the new-password form then asks
    for no code (the session names the reader until the password is saved)."""
    reader = resetting()
    challenge_id = session.pop(RESET_CHALLENGE, None)
    if reader is None:
        return refused(_("This link has expired or was already used."))
    try:
        passkeys.finish_sign_in(challenge_id, sent_credential(), reader)
    except passkeys.PasskeyRefused as exc:
        return refused(exc)
    session[RESET_FACTOR] = reader.id
    back = safe_next_url(request.args.get("next")) or url_for("auth.new_password")
    return jsonify(redirect=back), 200
