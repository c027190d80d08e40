"""Routes for signing up, in and out, verifying an address and resetting a password."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

from flask import (
    Blueprint,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user
from limits import parse_many
from werkzeug.wrappers import Response

from commentsvc.accounts import readers, reset, sessions, signup, two_step, widget_sign_in
from commentsvc.accounts.cookies import is_embed_request
from commentsvc.accounts.forms import (
    ActionForm,
    ResetRequestForm,
    SignInForm,
    SignUpForm,
)
from commentsvc.accounts.identity import email_limit_key
from commentsvc.accounts.models import Reader
from commentsvc.accounts.views.reset_factor import (
    new_password_form,
    reset_account_limit,
    reset_factor_context,
    reset_ip_limit,
    save_new_password,
)
from commentsvc.comments import sites
from commentsvc.comments.models import Site
from commentsvc.consent import policies
from commentsvc.core import links
from commentsvc.core.errors import Invalid, LinkInvalid
from commentsvc.core.extensions import limiter, utcnow
from commentsvc.core.links import safe_next_url
from commentsvc.moderation import moderators

bp = Blueprint("auth", __name__, url_prefix="/auth")

Page = str | tuple[str, int] | Response


def _form_email() -> str:
    """Rate-limit key for per-account limits: the address in the form, as
    identity.email_limit_key() folds it, so every spelling of an account shares one bucket."""
    return "account:" + email_limit_key(request.form.get("email", ""))


def reset_mail_allowed(email: str) -> bool:
    """Count a reset request against its address; False once RATELIMIT_RESET_MAIL is used up.

    Every request counts, whether or not the address has an account, and the page
    looks the same either way: the limit neither tells who has an account nor that
    it was reached. It keys on the same folded address as the other per-address limits.
    """
    return within_limit("RATELIMIT_RESET_MAIL", "reset-mail", "account:" + email_limit_key(email))


def within_limit(config_key: str, scope: str, key: str) -> bool:
    """Count one hit of the limit named by config_key against key; False once it is used up.

    For answers that must not be the usual 429 page (Flask-Limiter's own storage counts).
    """
    config = current_app.config
    if not config["RATELIMIT_ENABLED"]:
        return True
    prefix = str(config.get("RATELIMIT_KEY_PREFIX") or "")
    identifiers = [*([prefix] if prefix else []), scope, key]
    results = [
        limiter.limiter.hit(item, *identifiers) for item in parse_many(str(config[config_key]))
    ]
    return all(results)


def ip_limit(name: str) -> str:
    return str(current_app.config[name])


@bp.route("/sign-up", methods=["GET", "POST"])
@limiter.limit(lambda: ip_limit("RATELIMIT_SIGN_UP"), methods=["POST"])
def sign_up() -> Page:
    form = SignUpForm()
    if validate_sign_up(form):
        try:
            signup.sign_up(
                form.email.data, form.display_name.data, form.password.data, str(get_locale())
            )
        except Invalid as exc:
            form[exc.field or "password"].errors.append(str(exc))
        except readers.DisplayNameTaken:
            form.display_name.errors.append(str(signup.NAME_TAKEN))
        else:
            return render_template("auth/check_inbox.html", email=form.email.data)
    return render_form("auth/sign_up.html", form)


def validate_sign_up(form: SignUpForm) -> bool:
    """Check a posted sign-up form, every field at once: the form's own rules, then the
    service's (address, display name, password strength) for each field they passed."""
    if not form.is_submitted():
        return False
    form.validate()
    found = signup.check_sign_up(
        form.email.data or "", form.display_name.data or "", form.password.data or ""
    )
    for name, message in found.items():
        if not form[name].errors:
            form[name].errors = [message]
    return not form.errors


def render_form(template: str, form: object, **context: object) -> Page:
    """Render a form page; 422 when it was submitted with errors."""
    status = 422 if request.method == "POST" else 200
    return render_template(template, form=form, **context), status


@bp.route("/sign-in", methods=["GET", "POST"])
@limiter.limit(lambda: ip_limit("RATELIMIT_SIGN_IN_IP"), methods=["POST"])
@limiter.limit(
    lambda: ip_limit("RATELIMIT_SIGN_IN_ACCOUNT"),
    key_func=_form_email,
    methods=["POST"],
    # Only failed attempts count against an account.
    deduct_when=lambda response: response.status_code == 422,
)
def sign_in() -> Page:
    form = SignInForm()
    next_url = safe_next_url(request.args.get("next"))
    if form.validate_on_submit():
        try:
            reader = sessions.authenticate(form.email.data, form.password.data)
        except sessions.SignInFailed:
            form.password.errors.append(_("Wrong e-mail address or password."))
        else:
            remember = bool(form.remember.data)
            if two_step.asks_second_step(reader):
                await_second_step(reader, remember, next_url)
                return redirect(url_for("auth.second_step"), 303)
            return redirect(finish_sign_in(reader, remember, next_url), 303)
    return render_form(
        "auth/sign_in.html", form, next_url=next_url, popup_site=popup_site_of(next_url)
    )


SECOND_STEP = "second_step"


def await_second_step(reader: Reader, remember: bool, next_url: str | None) -> None:
    """The password was right and a second factor is due: the session (fresh, so
    nothing from before survives) names the reader until the second step, for
    PASSKEY_CHALLENGE_MAX_AGE seconds."""
    session.clear()
    session[SECOND_STEP] = {
        "id": reader.id,
        "remember": remember,
        "next": next_url or "",
        "at": int(utcnow().timestamp()),
    }


def finish_sign_in(
    reader: Reader, remember: bool, next_url: str | None, second_factor: bool = False
) -> str:
    """Sign the reader in here and return where to go: next_url, else their landing
    page; new terms or privacy policy first, if any."""
    sign_in_here(reader, remember, second_factor=second_factor)
    target = next_url or _landing(reader)
    if policies.pending_acceptances(reader):
        target = url_for("consent.accept_policies", next=target)
    return target


def popup_site_of(next_url: str | None) -> Site | None:
    """The site whose widget opened this sign-in page as its popup (then next_url is
    the popup's hand-off page), else None."""
    if not next_url:
        return None
    parts = urlsplit(next_url)
    if parts.path != url_for("auth.embed_sign_in"):
        return None
    return sites.get_site(parse_qs(parts.query).get("site", [""])[0])


def _landing(reader: Reader) -> str:
    """Where a sign-in without ?next= leads: admins to the admin home, site moderators
    to their queue, readers to their account."""
    if reader.is_admin:
        return url_for("admin_home.home")
    if moderators.can_moderate(reader):
        return url_for("moderation.queue")
    return url_for("account.index")


def sign_in_here(reader: Reader, remember: bool, second_factor: bool = False) -> None:
    # A fresh session cookie: nothing from before sign-in (including its CSRF
    # token) survives, so a planted session id cannot be fixated.
    session.clear()
    sessions.start_session(reader, remember, request.user_agent.string, second_factor=second_factor)
    login_user(reader, remember=remember)


@bp.post("/sign-out")
def sign_out() -> Response:
    form = ActionForm()
    if form.validate_on_submit() and current_user.is_authenticated:
        sessions.end_session(current_user.session_token)
        # Clear first: logout_user() then marks the remember cookie for deletion.
        session.clear()
        logout_user()
        flash(_("You have signed out."))
    return redirect(url_for("main.index"), 303)


@bp.get("/verify/<token>")
def verify_email(token: str) -> Page:
    """The link in the verification e-mail. Signed in here, it leads to the account page;
    otherwise (often a new tab beside the sign-in popup) it says the address is verified:
    the popup goes on by itself (static/popup.js) or with its "Continue" button."""
    try:
        verified = signup.verify_email(token)
    except LinkInvalid:
        return render_template("auth/link_invalid.html"), 400
    if verified.name_taken is None:
        message = _("Thank you: your e-mail address is verified.")
    else:
        message = _(
            "Thank you: your e-mail address is verified. Someone else verified an account "
            "named “%(taken)s” (or a name that looks the same) before you, so for now your "
            "name is “%(name)s”. Please choose another name on your account page.",
            taken=verified.name_taken,
            name=verified.reader.display_name,
        )
    if current_user.is_authenticated:
        flash(message)
        return redirect(url_for("account.index"), 303)
    return render_template("auth/verified.html", message=message)


@bp.post("/verify/resend")
@login_required
@limiter.limit("3 per hour", key_func=lambda: f"resend:{current_user.id}")
def resend_verification() -> Response:
    if ActionForm().validate_on_submit():
        signup.resend_verification(current_user)
        flash(_("We sent a new verification link to %(email)s.", email=current_user.email))
    return redirect(safe_next_url(request.form.get("next")) or url_for("account.index"), 303)


@bp.route("/reset", methods=["GET", "POST"])
@limiter.limit(lambda: ip_limit("RATELIMIT_RESET"), methods=["POST"])
@limiter.limit(lambda: ip_limit("RATELIMIT_RESET"), key_func=_form_email, methods=["POST"])
def request_reset() -> Page:
    form = ResetRequestForm()
    if form.validate_on_submit():
        if reset_mail_allowed(form.email.data):
            reset.request_reset(form.email.data)
        # The same page whether or not the address has an account.
        return render_template("auth/reset_sent.html", email=form.email.data)
    return render_form("auth/reset_request.html", form)


@bp.get("/reset/<token>")
def reset_link(token: str) -> Page:
    """Move the token from the URL into the session, then show the form.

    The form page's URL holds no token, so it cannot leak through Referer or history.
    """
    try:
        reset.reader_for_reset(token)
    except LinkInvalid:
        return render_template("auth/link_invalid.html"), 400
    session["reset_token"] = token
    return redirect(url_for("auth.new_password"), 303)


@bp.route("/reset/new-password", methods=["GET", "POST"])
@reset_ip_limit
@reset_account_limit
def new_password() -> Page:
    token = session.get("reset_token", "")
    try:
        reader = reset.reader_for_reset(token)
    except LinkInvalid:
        session.pop("reset_token", None)
        return render_template("auth/link_invalid.html"), 400
    form = new_password_form(reader)
    if form.validate_on_submit():
        try:
            save_new_password(form, token, reader)
        except Invalid as exc:
            form[exc.field if exc.field in form else "password"].errors.append(str(exc))
        except LinkInvalid:
            return render_template("auth/link_invalid.html"), 400
        else:
            # Clear first: logout_user() then marks the remember cookie for deletion.
            session.clear()
            logout_user()
            flash(_("Your password has been changed. Sign in with the new one."))
            return redirect(url_for("auth.sign_in"), 303)
    return render_form("auth/new_password.html", form, **reset_factor_context(reader))


def load_reader(token: str) -> Reader | None:
    """Flask-Login's user loader: the cookie holds a session token, not a reader id."""
    reader = sessions.load_session(token)
    # A widget's session is valid under /embed only, even if its token is replayed
    # in the first-party cookie: first-party pages need no check of their own.
    if reader is not None and reader.session_site_id is not None and not is_embed_request():
        return None
    return reader


@bp.get("/embed-sign-in")
def embed_sign_in() -> Page:
    """The sign-in popup's last step: hand a single-use code to the widget that opened it.

    The code goes to window.opener by postMessage with the service's own origin as
    the exact target, so only the widget's iframe (same origin) can receive it.
    """
    site = sites.get_site(request.args.get("site", ""))
    if site is None:
        return render_template("errors/error.html", status=404, message=_("Unknown site.")), 404
    if not current_user.is_authenticated:
        return redirect(url_for("auth.sign_in", next=request.full_path), 303)
    code = widget_sign_in.create_embed_code(current_user, site.id)
    return render_template(
        "auth/embed_handoff.html",
        code=code,
        site=site,
        popup_site=site,
        target_origin=links.own_origin(),
    )
