"""What every moderation page shares: the blueprint and who may enter, who is acting,
where to go back to."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from flask import Blueprint, flash, redirect, request, url_for
from flask_babel import lazy_gettext as _l
from werkzeug.wrappers import Response

from commentsvc.accounts import current
from commentsvc.accounts.models import Reader
from commentsvc.comments.models import CommentStatus, ReportReason, Site
from commentsvc.core import access
from commentsvc.core.errors import Conflict
from commentsvc.core.links import safe_next_url
from commentsvc.core.security import render_error
from commentsvc.moderation import moderators
from commentsvc.moderation.forms import ActionForm, AuthorForm, DecisionForm, template_choices
from commentsvc.moderation.models import AuditAction, BanKind, HoldReason

bp = Blueprint("moderation", __name__, url_prefix="/moderation")
# Every page here is for admins and site moderators.
access.restrict(bp, moderators.can_moderate)

Page = str | tuple[str, int] | tuple[str | dict[str, str], int] | Response
T = TypeVar("T")


def me() -> Reader:
    """The acting moderator or admin."""
    return current.signed_in()


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
        "hold_label": HoldReason.label_of,
        "report_label": ReportReason.label_of,
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


TARGET_LABELS: dict[str, object] = {
    "comment": _l("comment"),
    "reader": _l("reader"),
    "thread": _l("thread"),
    "site": _l("site"),
}


@bp.app_template_global()
def moderation_label(kind: str, code: str) -> str:
    """A translated name for a stored code: kind is action, target, status or ban."""
    if kind == "status":
        return CommentStatus.label_of(code)
    if kind == "action":
        return AuditAction.label_of(code)
    if kind == "ban":
        return BanKind.label_of(code)
    return str(TARGET_LABELS.get(code, code))
