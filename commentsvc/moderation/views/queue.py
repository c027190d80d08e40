"""The moderation queue, decisions on comments (one, bulk, by author), recent decisions
with undo, and reported comments."""

from __future__ import annotations

from datetime import datetime, timedelta

from flask import abort, flash, render_template, request
from flask_babel import format_date, format_datetime, format_timedelta, ngettext
from flask_babel import gettext as _

from commentsvc.core.errors import ServiceError
from commentsvc.core.extensions import utcnow
from commentsvc.moderation import bans, decisions, moderators, queue
from commentsvc.moderation.decisions import Decision
from commentsvc.moderation.forms import ActionForm, AuthorForm, BulkForm, DecisionForm, reason_text
from commentsvc.moderation.models import HoldReason
from commentsvc.moderation.moderators import NotModerator
from commentsvc.moderation.queue import QueueFilters
from commentsvc.moderation.views.common import (
    Page,
    attempt,
    back,
    bp,
    form_error,
    int_arg,
    item_context,
    me,
    paging,
    site_filter,
)
from commentsvc.moderation.views.live import held_state

DONE = {
    Decision.APPROVE: lambda: _("Comment approved."),
    Decision.REJECT: lambda: _("Comment rejected."),
    Decision.SPAM: lambda: _("Comment marked as spam."),
    Decision.DELETE: lambda: _("Comment deleted."),
}


@bp.app_template_filter()
def moderation_age(when: datetime) -> str:
    """How long ago, in the reader's language ("5 minutes ago"); a date after a week."""
    ago = utcnow() - when
    if ago > timedelta(days=7):
        return str(format_date(when, "medium"))
    if ago < timedelta(minutes=1):
        return str(_("just now"))
    return str(format_timedelta(-ago, granularity="minute", add_direction=True))


@bp.app_template_filter()
def moderation_when(when: datetime) -> str:
    """A moment in full, in the reader's language, with the time zone named."""
    return str(format_datetime(when, "medium")) + " UTC"


@bp.app_template_filter()
def moderation_date(when: datetime) -> str:
    return str(format_date(when, "medium"))


def _filters() -> QueueFilters:
    """The queue's filters from the query string. A site the moderator does not
    moderate is refused; unknown reasons are ignored."""
    site_id = site_filter(request.args.get("site", ""))
    reason = request.args.get("reason", "")
    return QueueFilters(
        site_id=site_id,
        thread_id=int_arg("thread"),
        reason=reason if reason in set(HoldReason) else None,
        author_id=int_arg("author"),
        text=request.args.get("q", "")[: queue.SEARCH_MAX],
    )


@bp.get("/", endpoint="queue")
def queue_page() -> Page:
    filters = _filters()
    page = queue.pending(me(), filters, int_arg("after"))
    sites = moderators.sites_for(me())
    # Another site's reader is not found, as an unknown id is: the name never shows.
    author = moderators.visible_reader(me(), filters.author_id) if filters.author_id else None
    return render_template(
        "moderation/queue.html",
        page=page,
        filters=filters,
        sites=sites,
        counts=held_state()["sites"],
        author=author,
        reasons=list(HoldReason),
        bulk_form=BulkForm(),
        **paging("moderation.queue", "after", page.next_after),
        **item_context(),
    )


@bp.post("/comments/<int:comment_id>/decide")
def decide(comment_id: int) -> Page:
    form = DecisionForm()
    if not form.validate():
        return form_error(form)
    decision = Decision(form.action.data)
    reason = reason_text(form.reason_template.data, form.reason.data)
    return attempt(
        lambda: decisions.decide(me(), comment_id, decision, reason, form.expected.data),
        DONE[decision](),
    )


@bp.post("/comments/bulk")
def bulk() -> Page:
    form = BulkForm()
    raw_ids = request.form.getlist("ids")
    if not form.validate() or not all(v.isdigit() and len(v) <= 18 for v in raw_ids):
        return form_error(form)
    if not raw_ids:
        flash(_("Select comments first (x, or the check boxes)."), "error")
        return back()
    decision = Decision(form.action.data)
    reason = reason_text(form.reason_template.data, form.reason.data)
    try:
        done, skipped = decisions.decide_many(me(), [int(v) for v in raw_ids], decision, reason)
    except ServiceError as exc:
        flash(str(exc), "error")
        return back()
    flash(ngettext("%(num)d comment decided.", "%(num)d comments decided.", done))
    for message in skipped:
        flash(message, "error")
    return back()


@bp.post("/comments/<int:comment_id>/approve-author")
def approve_author(comment_id: int) -> Page:
    form = AuthorForm()
    if not form.validate():
        return form_error(form)
    return attempt(
        lambda: decisions.decide_author(me(), comment_id, Decision.APPROVE),
        lambda result: ngettext(
            "Approved %(num)d pending comment by %(name)s.",
            "Approved %(num)d pending comments by %(name)s.",
            result[1],
            name=result[0].display_name,
        ),
    )


@bp.post("/comments/<int:comment_id>/ban-author")
def ban_author(comment_id: int) -> Page:
    form = AuthorForm()
    if not form.validate():
        return form_error(form)
    if form.all_sites.data and not me().is_admin:
        abort(403, str(NotModerator(_("Only an admin can ban a reader from every site."))))
    return attempt(
        lambda: bans.ban_author(me(), comment_id, form.reason.data or "", form.all_sites.data),
        lambda result: ngettext(
            "%(name)s is banned; %(num)d pending comment rejected.",
            "%(name)s is banned; %(num)d pending comments rejected.",
            result[1],
            name=result[0].display_name,
        ),
    )


@bp.get("/decided")
def decided() -> Page:
    return render_template(
        "moderation/decided.html",
        items=queue.recently_decided(me()),
        minutes=int(decisions.undo_window().total_seconds() // 60),
        action_form=ActionForm(),
    )


@bp.post("/comments/<int:comment_id>/undo")
def undo(comment_id: int) -> Page:
    if not ActionForm().validate():
        abort(400)
    return attempt(lambda: decisions.undo(me(), comment_id), _("The comment is back in the queue."))


@bp.post("/comments/<int:comment_id>/pin")
def pin(comment_id: int) -> Page:
    return _pin(comment_id, True)


@bp.post("/comments/<int:comment_id>/unpin")
def unpin(comment_id: int) -> Page:
    return _pin(comment_id, False)


def _pin(comment_id: int, pinned: bool) -> Page:
    if not ActionForm().validate():
        abort(400)
    return attempt(
        lambda: decisions.set_pinned(me(), comment_id, pinned),
        _("Comment pinned.") if pinned else _("Comment unpinned."),
    )


@bp.post("/comments/<int:comment_id>/dismiss-reports")
def dismiss_reports(comment_id: int) -> Page:
    if not ActionForm().validate():
        abort(400)
    return attempt(
        lambda: decisions.dismiss_reports(me(), comment_id),
        _("Reports dismissed; the comment stays as it is."),
    )


@bp.get("/reports")
def reports_page() -> Page:
    site_id = site_filter(request.args.get("site", ""))
    page = queue.reported(me(), site_id, int_arg("after"))
    return render_template(
        "moderation/reports.html",
        page=page,
        sites=moderators.sites_for(me()),
        **paging("moderation.reports_page", "after", page.next_after),
        **item_context(),
    )
