"""A thread as moderators see it: lock or unlock it, pin, unpin or remove its comments."""

from __future__ import annotations

from flask import abort, render_template
from flask_babel import gettext as _

from commentsvc.comments.models import Thread
from commentsvc.moderation import decisions, queue
from commentsvc.moderation.forms import ActionForm
from commentsvc.moderation.views.common import Page, attempt, bp, int_arg, item_context, me, paging


def _thread(thread_id: int) -> Thread:
    return decisions.get_thread(me(), thread_id)


@bp.get("/threads/<int:thread_id>")
def thread(thread_id: int) -> Page:
    found = _thread(thread_id)
    page = queue.in_thread(me(), found, int_arg("before"))
    return render_template(
        "moderation/thread.html",
        thread=found,
        page=page,
        **paging("moderation.thread", "before", page.next_after, thread_id=thread_id),
        **item_context(),
    )


@bp.post("/threads/<int:thread_id>/lock")
def lock(thread_id: int) -> Page:
    return _lock(thread_id, True)


@bp.post("/threads/<int:thread_id>/unlock")
def unlock(thread_id: int) -> Page:
    return _lock(thread_id, False)


def _lock(thread_id: int, locked: bool) -> Page:
    if not ActionForm().validate():
        abort(400)
    return attempt(
        lambda: decisions.set_locked(me(), thread_id, locked),
        _("Thread locked: no new comments.") if locked else _("Thread unlocked."),
    )
