"""The sign-in popup's own pages: creating an account and resetting a password in the
window the widget opened, with a 6-digit code e-mailed to the reader.

Every page takes ?site=<slug>, the widget's site. The last step signs the reader in
here (first party) and goes on to auth.embed_sign_in, which hands the widget a
single-use code exactly as after a sign-in: the reader never leaves the article and
never types the password twice. While a code is awaited, the session holds only the
id of its row (accounts.email_codes), its purpose and the address as typed: never a
reader, and the same for an address with an account and one without.
"""

from __future__ import annotations

from typing import Any

from flask import flash, redirect, render_template, request, session, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_limiter.util import get_remote_address
from flask_login import current_user
from werkzeug.exceptions import NotFound
from werkzeug.wrappers import Response

from commentsvc.accounts import email_codes, readers, reset, signup
from commentsvc.accounts.forms import (
    ActionForm,
    CodeForm,
    ResetRequestForm,
    SignUpForm,
)
from commentsvc.accounts.identity import EMAIL_MAX, email_limit_key
from commentsvc.accounts.models import Reader
from commentsvc.accounts.views.auth import (
    Page,
    bp,
    ip_limit,
    render_form,
    reset_mail_allowed,
    sign_in_here,
    validate_sign_up,
    within_limit,
)
from commentsvc.accounts.views.reset_factor import (
    new_password_form,
    reset_account_limit,
    reset_factor_context,
    reset_ip_limit,
    save_new_password,
)
from commentsvc.comments import sites
from commentsvc.comments.models import Site
from commentsvc.core.errors import Invalid, LinkInvalid
from commentsvc.core.extensions import limiter

PENDING = "popup_code"


def _site() -> Site:
    site = sites.get_site(request.args.get("site", "")[:100])
    if site is None:
        raise NotFound(_("Unknown site."))
    return site


def _to(endpoint: str, site: Site) -> Response:
    return redirect(url_for(endpoint, site=site.slug), 303)


def _hand_over(site: Site, reader: Reader, second_factor: bool = False) -> Response:
    """Sign the reader in in the popup and go on to the widget's hand-off."""
    sign_in_here(reader, remember=False, second_factor=second_factor)
    return _to("auth.embed_sign_in", site)


def _await(code_id: int, purpose: str, email: str) -> None:
    session[PENDING] = {"id": code_id, "p": purpose, "email": email.strip()[:EMAIL_MAX]}


def _pending() -> dict[str, Any] | None:
    pending = session.get(PENDING)
    if not isinstance(pending, dict) or not isinstance(pending.get("id"), int):
        return None
    return pending


@bp.route("/embed-sign-up", methods=["GET", "POST"])
@limiter.limit(lambda: ip_limit("RATELIMIT_SIGN_UP"), methods=["POST"])
def embed_sign_up() -> Page:
    site = _site()
    if current_user.is_authenticated:
        return _to("auth.embed_sign_in", site)
    form = SignUpForm()
    if validate_sign_up(form):
        try:
            code_id = signup.sign_up(
                form.email.data,
                form.display_name.data,
                form.password.data,
                str(get_locale()),
                send_code=True,
            )
        except Invalid as exc:
            form[exc.field or "password"].errors.append(str(exc))
        except readers.DisplayNameTaken:
            form.display_name.errors.append(str(signup.NAME_TAKEN))
        else:
            _await(code_id, email_codes.VERIFY, form.email.data)
            return _to("auth.embed_code", site)
    return render_form("auth/sign_up.html", form, popup_site=site)


@bp.route("/embed-reset", methods=["GET", "POST"])
@limiter.limit(lambda: ip_limit("RATELIMIT_RESET"), methods=["POST"])
def embed_reset() -> Page:
    site = _site()
    form = ResetRequestForm()
    if form.validate_on_submit():
        email = form.email.data
        if reset_mail_allowed(email):
            code_id = reset.request_reset(email, send_code=True)
        else:
            code_id = reset.stand_in_code()
        _await(code_id, email_codes.RESET, email)
        return _to("auth.embed_code", site)
    return render_form("auth/reset_request.html", form, popup_site=site)


@bp.route("/embed-code", methods=["GET", "POST"])
@limiter.limit(lambda: ip_limit("RATELIMIT_CODE_CHECK"), methods=["POST"])
def embed_code() -> Page:
    """Type the e-mailed code: for a sign-up, the last step; for a reset, then a new password."""
    site = _site()
    pending = _pending()
    if pending is None:
        return _to("auth.embed_sign_up", site)
    form = CodeForm()
    if form.validate_on_submit():
        try:
            if pending["p"] == email_codes.VERIFY:
                verified = signup.verify_code(pending["id"], form.code.data)
                return _hand_over(site, verified.reader)
            token = reset.token_for_code(pending["id"], form.code.data)
        except LinkInvalid as exc:  # CodeDead, or the account changed meanwhile
            form.code.errors.append(str(exc) or str(email_codes.CodeDead()))
        except Invalid as exc:  # CodeWrong, or not six digits
            form.code.errors.append(str(exc))
        else:
            session.pop(PENDING, None)
            session["reset_token"] = token
            return _to("auth.embed_new_password", site)
    return render_form("auth/code.html", form, popup_site=site, pending=pending)


@bp.post("/embed-code/opened")
def embed_code_opened() -> Response:
    """ "I opened the link": go on if the link in the same e-mail verified the address."""
    site = _site()
    pending = _pending()
    if pending is None or pending["p"] != email_codes.VERIFY:
        return _to("auth.embed_sign_up", site)
    if ActionForm().validate_on_submit():
        verified = signup.verified_by_link(pending["id"])
        if verified is not None:
            return _hand_over(site, verified.reader)
        flash(_("Your address is not verified yet. Open the link in the e-mail, or type the code."))
    return _to("auth.embed_code", site)


@bp.post("/embed-code/resend")
def embed_code_resend() -> Page:
    """Send a new code (the older one dies), at most RATELIMIT_CODE_RESEND times per
    address and RATELIMIT_CODE_RESEND_IP per client address."""
    site = _site()
    pending = _pending()
    if pending is None:
        return _to("auth.embed_sign_up", site)
    if not ActionForm().validate_on_submit():
        return _to("auth.embed_code", site)
    email = str(pending.get("email", ""))
    # Both limits count every request (the same whether or not the address has an account).
    per_address = within_limit(
        "RATELIMIT_CODE_RESEND", "code-resend", "account:" + email_limit_key(email)
    )
    per_client = within_limit("RATELIMIT_CODE_RESEND_IP", "code-resend-ip", get_remote_address())
    if not (per_address and per_client):
        refused = _("You asked for new codes too often. Wait a few minutes, then try again.")
        page = render_template(
            "auth/code.html", form=CodeForm(), popup_site=site, pending=pending, refused=refused
        )
        return page, 429
    if pending["p"] == email_codes.VERIFY:
        code_id = signup.resend_code(pending["id"], email)
    else:
        email_codes.discard(pending["id"])
        if reset_mail_allowed(email):
            code_id = reset.request_reset(email, send_code=True)
        else:
            code_id = reset.stand_in_code()
    _await(code_id, pending["p"], email)
    flash(_("We sent a new code. Codes sent before it no longer work."))
    return _to("auth.embed_code", site)


@bp.route("/embed-new-password", methods=["GET", "POST"])
@reset_ip_limit
@reset_account_limit
def embed_new_password() -> Page:
    """The reset's last step: the new password, then signed in and handed to the widget."""
    site = _site()
    token = session.get("reset_token", "")
    try:
        reader = reset.reader_for_reset(token)
    except LinkInvalid:
        session.pop("reset_token", None)
        return render_template("auth/link_invalid.html", popup_site=site), 400
    form = new_password_form(reader)
    if form.validate_on_submit():
        second_factor = reset.needs_second_factor(reader)
        try:
            reader = save_new_password(form, token, reader)
        except Invalid as exc:
            form[exc.field if exc.field in form else "password"].errors.append(str(exc))
        except LinkInvalid:
            return render_template("auth/link_invalid.html", popup_site=site), 400
        else:
            return _hand_over(site, reader, second_factor)
    return render_form(
        "auth/new_password.html", form, popup_site=site, **reset_factor_context(reader)
    )
