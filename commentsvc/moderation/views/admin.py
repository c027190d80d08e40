"""Admins assign and remove each site's moderators (on the site's admin page)."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from commentsvc.accounts import current, step_up
from commentsvc.accounts.forms import ActionForm
from commentsvc.accounts.models import Reader
from commentsvc.comments import sites
from commentsvc.comments.forms import SiteForm
from commentsvc.comments.models import Site
from commentsvc.core import access
from commentsvc.core.errors import ServiceError
from commentsvc.moderation import moderators
from commentsvc.moderation.forms import AddModeratorForm

bp = Blueprint("moderators_admin", __name__, url_prefix="/admin")
access.restrict(bp, access.is_admin)

Page = str | tuple[str, int] | Response


# The site's admin page (sites_admin) includes the moderators section.
@bp.app_template_global()
def site_moderators(site: Site) -> list[Reader]:
    return moderators.list_moderators(site)


@bp.app_template_global()
def new_moderator_form() -> AddModeratorForm:
    return AddModeratorForm(prefix="moderator")


@bp.post("/sites/<slug>/moderators")
@step_up.recent_second_factor(
    lambda slug, **_args: url_for("sites_admin.edit_site", slug=slug) + "#moderators-heading"
)
def add_moderator(slug: str) -> Page:
    site = sites.require_site(slug)
    form = AddModeratorForm(prefix="moderator")
    if form.validate_on_submit():
        try:
            reader = moderators.add_moderator(current.signed_in(), site, form.email.data)
        except ServiceError as exc:
            form.email.errors = [*form.email.errors, str(exc)]
        else:
            flash(_("%(name)s now moderates %(site)s.", name=reader.display_name, site=site.name))
            return redirect(
                url_for("sites_admin.edit_site", slug=site.slug) + "#moderators-heading", 303
            )
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
    site = sites.require_site(slug)
    if ActionForm().validate_on_submit():
        moderators.remove_moderator(current.signed_in(), site, reader_id)
        flash(_("Moderator removed."))
    return redirect(url_for("sites_admin.edit_site", slug=site.slug) + "#moderators-heading", 303)
