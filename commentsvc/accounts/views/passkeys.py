"""Routes for passkeys: adding and removing them on the account page, and signing in
with one on the sign-in page (also in the widget's sign-in popup).

The ceremony runs in static/passkeys.js: it asks for options (a POST, so the CSRF token
is checked and no other site can make the browser start one), hands them to
navigator.credentials, and posts the answer back as JSON. The session holds only the
id of the challenge row it waits on (accounts.passkeys), and only until the answer.
"""

from __future__ import annotations

from typing import Any

from flask import flash, jsonify, redirect, request, session, url_for
from flask_babel import gettext as _
from flask_login import login_required
from werkzeug.wrappers import Response

from commentsvc.accounts import current, passkeys, security_events, two_step
from commentsvc.accounts.forms import ActionForm
from commentsvc.accounts.views import account
from commentsvc.accounts.views.auth import bp, finish_sign_in, ip_limit
from commentsvc.core.errors import Invalid, NotFound
from commentsvc.core.extensions import limiter
from commentsvc.core.links import safe_next_url

SIGN_IN_CHALLENGE = "passkey_sign_in"
REGISTER_CHALLENGE = "passkey_register"

JSONAnswer = tuple[Response, int]


def _answer() -> dict[str, Any]:
    data = request.get_json(silent=True)
    return data if isinstance(data, dict) else {}


def _credential(data: dict[str, Any]) -> str:
    credential = data.get("credential")
    return credential if isinstance(credential, str) else ""


def sent_credential() -> str:
    """The browser's answer to a ceremony, as the request's JSON sends it ("" if none)."""
    return _credential(_answer())


def refused(message: object, status: int = 403) -> JSONAnswer:
    return jsonify(error=str(message)), status


def options(ceremony: passkeys.Ceremony, key: str) -> JSONAnswer:
    session[key] = ceremony.challenge_id
    return Response(ceremony.options, mimetype="application/json"), 200


@bp.post("/passkey/options")
@limiter.limit(lambda: ip_limit("RATELIMIT_PASSKEY"))
def passkey_sign_in_options() -> JSONAnswer:
    return options(passkeys.begin_sign_in(), SIGN_IN_CHALLENGE)


@bp.post("/passkey/sign-in")
@limiter.limit(lambda: ip_limit("RATELIMIT_PASSKEY"))
def passkey_sign_in() -> JSONAnswer:
    """The browser's answer: signs the passkey's reader in (a passkey with user
    verification is two factors in one) and says where to go next."""
    challenge_id = session.pop(SIGN_IN_CHALLENGE, None)
    try:
        reader = passkeys.finish_sign_in(challenge_id, sent_credential())
    except passkeys.PasskeyRefused as exc:
        return refused(exc)
    target = finish_sign_in(
        reader, False, safe_next_url(request.args.get("next")), second_factor=True
    )
    return jsonify(redirect=target), 200


@account.bp.post("/passkeys/options")
@login_required
@limiter.limit(lambda: ip_limit("RATELIMIT_PASSKEY"))
def passkey_register_options() -> JSONAnswer:
    return options(passkeys.begin_registration(current.signed_in()), REGISTER_CHALLENGE)


@account.bp.post("/passkeys")
@login_required
@limiter.limit(lambda: ip_limit("RATELIMIT_PASSKEY"))
def add_passkey() -> JSONAnswer:
    data = _answer()
    name = data.get("name")
    challenge_id = session.pop(REGISTER_CHALLENGE, None)
    reader = current.signed_in()
    try:
        passkey = passkeys.finish_registration(
            reader, challenge_id, _credential(data), name if isinstance(name, str) else ""
        )
    except Invalid as exc:
        return refused(exc, 422)
    except passkeys.PasskeyRefused as exc:
        return refused(exc)
    # Adding a passkey proves possession of it: this browser has passed a second step.
    two_step.mark_session(reader)
    flash(_("Passkey “%(name)s” added. You can sign in with it now.", name=passkey.name))
    return jsonify(redirect=url_for("account.index")), 200


@account.bp.post("/passkeys/<int:passkey_id>/remove")
@login_required
@limiter.limit(lambda: ip_limit("RATELIMIT_PASSKEY"))
def remove_passkey(passkey_id: int) -> Response:
    if ActionForm().validate_on_submit():
        try:
            removed = passkeys.remove_passkey(current.signed_in(), passkey_id)
        except NotFound as exc:
            flash(str(exc))
        except security_events.LastFactor as exc:
            flash(str(exc))
        else:
            flash(_("Passkey “%(name)s” removed.", name=removed.name))
    return redirect(url_for("account.index") + "#passkeys-heading", 303)
