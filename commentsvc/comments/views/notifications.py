"""Unsubscribe links from e-mails (no sign-in needed), and the account page's settings."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from commentsvc.accounts import current
from commentsvc.accounts.forms import ActionForm
from commentsvc.accounts.models import Reader
from commentsvc.comments import notify
from commentsvc.comments.notify import Setting, Unsubscription
from commentsvc.core.errors import LinkInvalid
from commentsvc.core.extensions import csrf, limiter
from commentsvc.moderation import moderators

bp = Blueprint("notifications", __name__, url_prefix="/notifications")

Page = str | tuple[str, int] | Response


def describe(found: Unsubscription) -> str:
    """What the link turns off, in the reader's words."""
    if found.setting is Setting.COMMENT_REPLIES and found.comment is not None:
        thread = found.comment.thread
        return str(
            _(
                "E-mails about replies to your comment on “%(title)s”.",
                title=thread.title or thread.key,
            )
        )
    texts = {
        Setting.REPLY_EMAILS: lambda: _("E-mails about replies to your comments."),
        Setting.DECISION_EMAILS: lambda: _(
            "E-mails when a moderator approves or rejects your comments."
        ),
        Setting.MODERATOR_DIGEST: lambda: _("E-mails about comments waiting for moderation."),
        Setting.COMMENT_REPLIES: lambda: _("E-mails about replies to one of your comments."),
    }
    return str(texts[found.setting]())


def _invalid() -> tuple[str, int]:
    return render_template("notifications/link_invalid.html"), 400


@bp.get("/unsubscribe/<token>")
def unsubscribe(token: str) -> Page:
    """Ask before turning anything off: mail scanners follow links, people press buttons."""
    try:
        found = notify.read_unsubscribe(token)
    except LinkInvalid:
        return _invalid()
    return render_template(
        "notifications/unsubscribe.html", token=token, what=describe(found), done=False
    )


@bp.post("/unsubscribe/<token>")
# Exempt from the session CSRF token: mail clients send the RFC 8058 one-click POST
# ("List-Unsubscribe=One-Click") with no cookies at all. The signed, purpose-bound token
# in the URL protects it instead; it can only turn off the one setting it names.
@csrf.exempt
@limiter.limit("30 per minute")
def unsubscribe_post(token: str) -> Page:
    try:
        found = notify.unsubscribe(token)
    except LinkInvalid:
        return _invalid()
    return render_template(
        "notifications/unsubscribe.html", token=token, what=describe(found), done=True
    )


@bp.post("/settings")
def save_settings() -> Response:
    reader = current.reader()
    if reader is None:
        return redirect(url_for("auth.sign_in", next=url_for("account.index")), 303)
    if ActionForm().validate_on_submit():
        notify.update_settings(
            reader,
            reply_emails=request.form.get("reply_emails") == "y",
            decision_emails=request.form.get("decision_emails") == "y",
            # Only moderators see this box; everyone else keeps the default.
            moderator_digest=request.form.get("moderator_digest") == "y"
            if moderators.can_moderate(reader)
            else notify.settings_for(reader.id).moderator_digest,
        )
        flash(_("Your e-mail settings are saved."))
    return redirect(url_for("account.index") + "#notifications-heading", 303)


@bp.post("/comments/<int:comment_id>/reply-emails")
def comment_replies(comment_id: int) -> Response:
    """Turn reply e-mails for one of one's own comments on or off."""
    reader = current.reader()
    if reader is None:
        return redirect(url_for("auth.sign_in", next=url_for("account.index")), 303)
    if ActionForm().validate_on_submit():
        on = request.form.get("reply_emails") == "y"
        notify.set_comment_replies(reader, comment_id, on)
        if on:
            flash(_("You will get e-mails about replies to that comment."))
        else:
            flash(_("You will get no e-mails about replies to that comment."))
    return redirect(url_for("account.index") + "#notifications-heading", 303)


@bp.app_context_processor
def _account_helpers() -> dict[str, object]:
    """For the account page's e-mail section: called only where a template uses them."""

    def notification_settings(reader: Reader) -> dict[str, object]:
        return {
            "settings": notify.settings_for(reader.id),
            "choices": notify.comment_choices(reader.id),
            "moderator": moderators.can_moderate(reader),
        }

    def can_moderate() -> bool:
        reader = current.reader()
        return reader is not None and moderators.can_moderate(reader)

    return {"notification_settings": notification_settings, "can_moderate": can_moderate}
