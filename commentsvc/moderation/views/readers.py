"""Readers as moderators see them: find them, ban, suspend, unban, mark trusted."""

from __future__ import annotations

from datetime import UTC

from flask import abort, flash, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from wtforms import SelectChoice

from commentsvc.accounts.models import Reader
from commentsvc.core.errors import Conflict
from commentsvc.moderation import bans, history, moderators
from commentsvc.moderation.forms import BanForm, ScopeForm
from commentsvc.moderation.views.common import Page, attempt, back, bp, int_arg, me, my_site

ALL_SITES = "*"


def _reader(reader_id: int) -> Reader:
    return moderators.visible_reader(me(), reader_id)


def _site_choices(everywhere: bool) -> list[SelectChoice]:
    choices = [SelectChoice(s.slug, s.name) for s in moderators.sites_for(me())]
    if everywhere and me().is_admin:
        choices.append(SelectChoice(ALL_SITES, _l("Every site")))
    return choices


def _site_id(slug: str) -> int | None:
    """The chosen site's id; None for every site (the service lets only admins do that)."""
    if slug == ALL_SITES:
        return None
    return my_site(slug).id


@bp.get("/readers")
def readers() -> Page:
    text = request.args.get("q", "")
    found = bans.search(me(), text) if text.strip() else []
    return render_template("moderation/readers.html", q=text, found=found)


@bp.get("/readers/<int:reader_id>")
def reader(reader_id: int) -> Page:
    return _reader_page(_reader(reader_id))


@bp.get("/readers/<int:reader_id>/panel")
def reader_panel(reader_id: int) -> Page:
    """The reader's record as a fragment, for the queue's side panel (the same as the
    reader page shows, with only the latest comments)."""
    person = _reader(reader_id)
    return render_template(
        "moderation/_reader_panel.html",
        person=person,
        standing=bans.standing(me(), person),
        bans=bans.history(me(), person),
        record=history.comments_of(me(), person),
        is_admin=me().is_admin,
    )


def _reader_page(
    person: Reader, status: int = 200, ban_form: BanForm | None = None
) -> tuple[str, int]:
    if ban_form is None:
        ban_form = BanForm()
    ban_form.site.choices = _site_choices(everywhere=True)
    scope_form = ScopeForm()
    before = int_arg("before")
    record = history.comments_of(me(), person, before, history.PAGE_SIZE)
    return (
        render_template(
            "moderation/reader.html",
            person=person,
            standing=bans.standing(me(), person),
            history=bans.history(me(), person),
            record=record,
            first_url=url_for("moderation.reader", reader_id=person.id) + "#comments"
            if before
            else None,
            next_url=url_for("moderation.reader", reader_id=person.id, before=record.next_before)
            + "#comments"
            if record.next_before
            else None,
            ban_form=ban_form,
            scope_form=scope_form,
            is_admin=me().is_admin,
        ),
        status,
    )


@bp.post("/readers/<int:reader_id>/ban")
def ban(reader_id: int) -> Page:
    person = _reader(reader_id)
    form = BanForm()
    form.site.choices = _site_choices(everywhere=True)
    if not form.validate():
        return _reader_page(person, 422, form)
    until = form.until.data.replace(tzinfo=UTC) if form.until.data else None
    site_id = _site_id(form.site.data)
    try:
        bans.ban(me(), person.id, site_id, form.reason.data or "", until)
    except Conflict as exc:
        form.until.errors = [*form.until.errors, str(exc)]
        return _reader_page(person, 422, form)
    if until:
        flash(_("%(name)s is suspended.", name=person.display_name))
    else:
        flash(_("%(name)s is banned.", name=person.display_name))
    return back()


def _scope(reader_id: int, everywhere: bool) -> tuple[Reader, int | None]:
    person = _reader(reader_id)
    form = ScopeForm()
    form.site.choices = _site_choices(everywhere)
    if not form.validate():
        abort(422, " ".join(str(e) for e in form.site.errors))
    return person, _site_id(form.site.data)


@bp.post("/readers/<int:reader_id>/unban")
def unban(reader_id: int) -> Page:
    person, site_id = _scope(reader_id, everywhere=True)
    return attempt(
        lambda: bans.unban(me(), person.id, site_id),
        _("%(name)s may comment again.", name=person.display_name),
    )


@bp.post("/readers/<int:reader_id>/trust")
def trust(reader_id: int) -> Page:
    return _trust(reader_id, True)


@bp.post("/readers/<int:reader_id>/untrust")
def untrust(reader_id: int) -> Page:
    return _trust(reader_id, False)


def _trust(reader_id: int, trusted: bool) -> Page:
    person, site_id = _scope(reader_id, everywhere=False)
    if site_id is None:
        abort(422)
    return attempt(
        lambda: bans.set_trust(me(), person.id, site_id, trusted),
        _("%(name)s is trusted: their comments skip the holds.", name=person.display_name)
        if trusted
        else _("%(name)s is no longer trusted.", name=person.display_name),
    )
