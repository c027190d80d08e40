"""Routes for the account page: name, password, e-mail, imported comments, sessions,
export, deletion."""

from __future__ import annotations

import json

from flask import Blueprint, flash, redirect, render_template, session, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user, login_required, login_user, logout_user
from werkzeug.wrappers import Response

from commentsvc.accounts import current, passkeys, profile, readers, sessions, two_step
from commentsvc.accounts.forms import (
    ActionForm,
    ChangeEmailForm,
    ChangePasswordForm,
    DeleteAccountForm,
    DisplayNameForm,
    PasskeyNameForm,
)
from commentsvc.consent import policies, records
from commentsvc.core.errors import Invalid, LinkInvalid
from commentsvc.core.extensions import limiter
from commentsvc.transfer import claims

bp = Blueprint("account", __name__, url_prefix="/account")

Page = str | tuple[str, int] | Response


def _forms() -> dict[str, object]:
    # Prefixes keep field ids unique: several forms on one page ask for the password.
    return {
        "name_form": DisplayNameForm(prefix="name", display_name=current_user.display_name),
        "password_form": ChangePasswordForm(prefix="password"),
        "email_form": ChangeEmailForm(prefix="email"),
        "delete_form": DeleteAccountForm(prefix="delete"),
        "action_form": ActionForm(),
        "passkey_form": PasskeyNameForm(prefix="passkey"),
    }


def _page(status: int = 200, **overrides: object) -> tuple[str, int]:
    forms = {**_forms(), **overrides}
    return (
        render_template(
            "account/index.html",
            sessions=sessions.active_sessions(current_user),
            acceptances=policies.acceptance_history(current_user),
            consent_history=records.reader_history(current_user),
            claimable=claims.claimable(current_user),
            passkeys=passkeys.list_passkeys(current_user),
            factors=two_step.factor_summary(current_user),
            **forms,
        ),
        status,
    )


@bp.get("")
@login_required
def index() -> Page:
    return _page()


@bp.post("/display-name")
@login_required
def change_display_name() -> Page:
    form = DisplayNameForm(prefix="name")
    if form.validate_on_submit():
        try:
            profile.change_display_name(current_user, form.display_name.data)
        except Invalid as exc:
            form.display_name.errors.append(str(exc))
        except readers.DisplayNameTaken:
            form.display_name.errors.append(
                _("This display name, or one that looks the same, is already taken.")
            )
        else:
            flash(_("Your display name is now %(name)s.", name=current_user.display_name))
            return redirect(url_for("account.index"), 303)
    return _page(422, name_form=form)


@bp.post("/password")
@login_required
def change_password() -> Page:
    form = ChangePasswordForm(prefix="password")
    if form.validate_on_submit():
        reader = current.signed_in()
        try:
            remember = profile.change_password(
                reader,
                form.current_password.data,
                form.new_password.data,
                keep_token=reader.session_token,
            )
        except profile.PasswordIncorrect:
            form.current_password.errors.append(_("That is not your current password."))
        except Invalid as exc:
            form.new_password.errors.append(str(exc))
        else:
            # This browser's new session (see profile.change_password) in fresh cookies:
            # the old session and remember-me cookies are worth nothing now.
            session.clear()
            login_user(reader, remember=remember)
            flash(_("Your password has been changed. Other devices have been signed out."))
            return redirect(url_for("account.index"), 303)
    return _page(422, password_form=form)


@bp.post("/email")
@login_required
def change_email() -> Page:
    form = ChangeEmailForm(prefix="email")
    if form.validate_on_submit():
        try:
            profile.request_email_change(
                current_user, form.current_password.data, form.new_email.data
            )
        except profile.PasswordIncorrect:
            form.current_password.errors.append(_("That is not your current password."))
        except Invalid as exc:
            form.new_email.errors.append(str(exc))
        else:
            flash(
                _(
                    "To finish, follow the link we sent to %(email)s. "
                    "Until then your address stays the same.",
                    email=form.new_email.data,
                )
            )
            return redirect(url_for("account.index"), 303)
    return _page(422, email_form=form)


@bp.get("/email/confirm/<token>")
def confirm_email(token: str) -> Page:
    try:
        reader = profile.confirm_email_change(token)
    except LinkInvalid:
        return render_template("auth/link_invalid.html"), 400
    flash(_("Your e-mail address is now %(email)s.", email=reader.email))
    return redirect(
        url_for("account.index" if current_user.is_authenticated else "auth.sign_in"), 303
    )


@bp.get("/email/cancel/<token>")
def cancel_email_change(token: str) -> Page:
    """The link in the notice to the old address. Ask before acting: mail scanners
    follow links, people press buttons. No sign-in needed."""
    try:
        profile.reader_for_cancel(token)
    except LinkInvalid:
        return render_template("auth/link_invalid.html"), 400
    return render_template("account/cancel_email_change.html", form=ActionForm(), done=False)


@bp.post("/email/cancel/<token>")
@limiter.limit("30 per minute")
def cancel_email_change_post(token: str) -> Page:
    if not ActionForm().validate_on_submit():
        return redirect(url_for("account.cancel_email_change", token=token), 303)
    try:
        profile.cancel_email_change(token)
    except LinkInvalid:
        return render_template("auth/link_invalid.html"), 400
    return render_template("account/cancel_email_change.html", done=True)


@bp.post("/claim-comments")
@login_required
def claim_comments() -> Response:
    if ActionForm().validate_on_submit():
        claimed = claims.claim(current.signed_in())
        if claimed:
            flash(
                ngettext(
                    "%(num)d comment now shows under your name.",
                    "%(num)d comments now show under your name.",
                    claimed,
                )
            )
        else:
            flash(_("There are no comments to claim."))
    return redirect(url_for("account.index"), 303)


@bp.post("/sign-out-everywhere")
@login_required
def sign_out_everywhere() -> Response:
    if ActionForm().validate_on_submit():
        sessions.sign_out_everywhere(current_user)
        # Clear first: logout_user() then marks the remember cookie for deletion.
        session.clear()
        logout_user()
        flash(_("You have been signed out on every device."))
        return redirect(url_for("auth.sign_in"), 303)
    return redirect(url_for("account.index"), 303)


@bp.post("/export")
@login_required
def export() -> Response:
    # POST (with CSRF) rather than GET: another site cannot make the browser fetch it.
    if not ActionForm().validate_on_submit():
        return redirect(url_for("account.index"), 303)
    body = json.dumps(profile.export_data(current_user), indent=2, ensure_ascii=False)
    return Response(
        body,
        mimetype="application/json",
        headers={"Content-Disposition": 'attachment; filename="commentsvc-my-data.json"'},
    )


@bp.post("/delete")
@login_required
def delete() -> Page:
    form = DeleteAccountForm(prefix="delete")
    if form.validate_on_submit():
        try:
            profile.delete_account(current_user, form.current_password.data)
        except profile.PasswordIncorrect:
            form.current_password.errors.append(_("That is not your current password."))
        else:
            # Clear first: logout_user() then marks the remember cookie for deletion.
            session.clear()
            logout_user()
            flash(_("Your account has been deleted."))
            return redirect(url_for("main.index"), 303)
    return _page(422, delete_form=form)
