"""What every moderation page shares: who may enter, who is acting, where to go back to."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, TypeVar

from flask import flash, redirect, request, url_for
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from werkzeug.wrappers import Response

from commentsvc.accounts.models import Reader
from commentsvc.comments.models import Site
from commentsvc.comments.reports import reason_label
from commentsvc.core.errors import Conflict
from commentsvc.core.links import safe_next_url
from commentsvc.core.security import render_error
from commentsvc.moderation import moderators, rules
from commentsvc.moderation.decisions import status_label
from commentsvc.moderation.forms import ActionForm, AuthorForm, DecisionForm, template_choices
from commentsvc.moderation.models import AuditAction, BanKind
from commentsvc.moderation.views import bp

Page = str | tuple[str, int] | tuple[str | dict[str, str], int] | Response
T = TypeVar("T")


def me() -> Reader:
    reader: Reader = current_user._get_current_object()
    return reader


def my_site(slug: str) -> Site:
    """A site the acting moderator moderates; another site is refused (403), an
    unknown one not found (404)."""
    return moderators.get_site(me(), slug)


def site_filter(slug: str) -> int | None:
    """The id of the site a page is filtered by; None when none is chosen."""
    return my_site(slug).id if slug else None


def back(default: str = "moderation.queue", **values: Any) -> Response:
    """Redirect to the moderation page the form came from, or to default."""
    target = safe_next_url(request.form.get("next"))
    if not target or not target.startswith("/moderation"):
        target = url_for(default, **values)
    return redirect(target, 303)


def attempt(action: Callable[[], T], success: str | Callable[[T], str] | None = None) -> Response:
    """Run a moderation action and go back, with its outcome as a message.

    Another site's or a missing target stops with 403 or 404 (the error page); a
    decision that lost the race (or is otherwise impossible) goes back with the reason.
    """
    try:
        result = action()
    except Conflict as exc:
        flash(str(exc), "error")
        return back()
    if success is not None:
        flash(success(result) if callable(success) else success)
    return back()


def form_error(form: object) -> tuple[str | dict[str, str], int]:
    """A 422 page naming what was wrong with a submitted form."""
    errors = getattr(form, "errors", {})
    message = " ".join(str(e) for field in errors.values() for e in field)
    return render_error(422, message or None)


def int_arg(name: str) -> int | None:
    """A positive integer query parameter, or None (also for garbage)."""
    value = request.args.get(name, "")
    if value.isdigit() and 0 < len(value) <= 18:
        return int(value)
    return None


def item_context() -> dict[str, object]:
    """What every page listing comments needs to render them with their actions."""
    return {
        "hold_label": rules.hold_label,
        "report_label": reason_label,
        "decision_form": DecisionForm(),
        "author_form": AuthorForm(),
        "action_form": ActionForm(),
        "here": request.full_path.rstrip("?"),
        "is_admin": me().is_admin,
        "reason_templates": template_choices(),
    }


def paging(endpoint: str, key: str, next_value: int | None, **values: Any) -> dict[str, str | None]:
    """Links to the first and the next page of a keyset-paged list, keeping the filters."""
    args: dict[str, Any] = {k: v for k, v in request.args.items() if k != key}
    first = url_for(endpoint, **values, **args) if key in request.args else None
    following = url_for(endpoint, **{**values, **args, key: next_value}) if next_value else None
    return {"first_url": first, "next_url": following}


ACTION_LABELS: dict[str, object] = {
    AuditAction.APPROVE: _l("approved"),
    AuditAction.REJECT: _l("rejected"),
    AuditAction.SPAM: _l("marked as spam"),
    AuditAction.DELETE: _l("deleted"),
    AuditAction.UNDO: _l("undid a decision"),
    AuditAction.REQUEUE: _l("sent back to the queue (reports)"),
    AuditAction.DISMISS_REPORTS: _l("dismissed reports"),
    AuditAction.PIN: _l("pinned"),
    AuditAction.UNPIN: _l("unpinned"),
    AuditAction.LOCK: _l("locked"),
    AuditAction.UNLOCK: _l("unlocked"),
    AuditAction.BAN: _l("banned"),
    AuditAction.SUSPEND: _l("suspended"),
    AuditAction.UNBAN: _l("lifted a ban"),
    AuditAction.TRUST: _l("marked trusted"),
    AuditAction.UNTRUST: _l("removed trust"),
    AuditAction.HOLD_RULES: _l("changed hold rules"),
    AuditAction.WORD_LISTS: _l("changed word lists"),
    AuditAction.ADD_MODERATOR: _l("added a moderator"),
    AuditAction.REMOVE_MODERATOR: _l("removed a moderator"),
    AuditAction.SITE_CREATE: _l("registered a site"),
    AuditAction.SITE_UPDATE: _l("changed a site"),
}
TARGET_LABELS: dict[str, object] = {
    "comment": _l("comment"),
    "reader": _l("reader"),
    "thread": _l("thread"),
    "site": _l("site"),
}
BAN_LABELS: dict[str, object] = {BanKind.BAN: _l("banned"), BanKind.SUSPENSION: _l("suspended")}


def _label(labels: Mapping[str, object], code: str) -> str:
    return str(labels.get(code, code))


@bp.app_template_global()
def moderation_label(kind: str, code: str) -> str:
    """A translated name for a stored code: kind is action, target, status or ban."""
    if kind == "status":
        return status_label(code)
    tables: dict[str, Mapping[str, object]] = {
        "action": ACTION_LABELS,
        "target": TARGET_LABELS,
        "ban": BAN_LABELS,
    }
    return _label(tables[kind], code)
