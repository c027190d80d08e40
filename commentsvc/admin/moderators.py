"""Admins assign and remove each site's moderators (on the site's admin page)."""

from __future__ import annotations

from flask import flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.wrappers import Response

from commentsvc.admin import bp
from commentsvc.admin.forms import SiteForm
from commentsvc.auth.forms import ActionForm
from commentsvc.models import Reader
from commentsvc.moderation.forms import AddModeratorForm
from commentsvc.services import moderators, sites
from commentsvc.services.moderators import ModerationError

Page = str | tuple[str, int] | Response


def _admin() -> Reader:
    reader: Reader = current_user._get_current_object()
    return reader


@bp.context_processor
def _moderator_helpers() -> dict[str, object]:
    return {
        "site_moderators": moderators.list_moderators,
        "new_moderator_form": lambda: AddModeratorForm(prefix="moderator"),
    }


@bp.post("/sites/<slug>/moderators")
def add_moderator(slug: str) -> Page:
    site = sites.get_site_or_404(slug)
    form = AddModeratorForm(prefix="moderator")
    if form.validate_on_submit():
        try:
            reader = moderators.add_moderator(_admin(), site, form.email.data)
        except ModerationError as exc:
            form.email.errors = [*form.email.errors, str(exc)]
        else:
            flash(_("%(name)s now moderates %(site)s.", name=reader.display_name, site=site.name))
            return redirect(url_for("admin.edit_site", slug=site.slug) + "#moderators-heading", 303)
    site_form = SiteForm(
        data={
            "slug": site.slug,
            "name": site.name,
            "origins": "\n".join(site.origins),
            "moderation_policy": site.moderation_policy,
            "edit_window_minutes": site.edit_window_seconds // 60,
        }
    )
    page = render_template("admin/site_form.html", form=site_form, site=site, moderator_form=form)
    return page, 422


@bp.post("/sites/<slug>/moderators/<int:reader_id>/remove")
def remove_moderator(slug: str, reader_id: int) -> Page:
    site = sites.get_site_or_404(slug)
    if ActionForm().validate_on_submit():
        moderators.remove_moderator(_admin(), site, reader_id)
        flash(_("Moderator removed."))
    return redirect(url_for("admin.edit_site", slug=site.slug) + "#moderators-heading", 303)
