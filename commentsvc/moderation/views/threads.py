"""A thread as moderators see it: lock or unlock it, correct its title and URL, pin, unpin
or remove its comments."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _

from commentsvc.comments.models import Thread
from commentsvc.comments.thread_forms import ThreadIdentityForm
from commentsvc.core.errors import Invalid
from commentsvc.moderation import decisions, queue
from commentsvc.moderation.forms import ActionForm
from commentsvc.moderation.views.common import Page, attempt, bp, int_arg, item_context, me, paging


def _thread(thread_id: int) -> Thread:
    return decisions.get_thread(me(), thread_id)


@bp.get("/threads/<int:thread_id>")
def thread(thread_id: int) -> Page:
    found = _thread(thread_id)
    form = ThreadIdentityForm(formdata=None, data={"title": found.title, "url": found.url})
    return _thread_page(found, form)


def _thread_page(found: Thread, form: ThreadIdentityForm, status: int = 200) -> Page:
    page = queue.in_thread(me(), found, int_arg("before"))
    html = render_template(
        "moderation/thread.html",
        thread=found,
        page=page,
        identity_form=form,
        **paging("moderation.thread", "before", page.next_after, thread_id=found.id),
        **item_context(),
    )
    return html, status


@bp.post("/threads/<int:thread_id>/identity")
def thread_identity(thread_id: int) -> Page:
    """The site's staff correct the title and URL; page views no longer change them."""
    found = _thread(thread_id)
    form = ThreadIdentityForm()
    if form.validate():
        try:
            decisions.correct_thread(me(), found.id, form.title.data or "", form.url.data or "")
        except Invalid as exc:
            form[exc.field if exc.field in form else "title"].errors = [str(exc)]
        else:
            flash(_("Title and URL saved; page views no longer change them."))
            return redirect(url_for("moderation.thread", thread_id=found.id), 303)
    return _thread_page(found, form, 422)


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
