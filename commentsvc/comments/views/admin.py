"""Routes for admins: list, register and edit sites."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from commentsvc.accounts import current
from commentsvc.comments import sites
from commentsvc.comments.forms import SiteForm
from commentsvc.core import access
from commentsvc.core.errors import Invalid

bp = Blueprint("sites_admin", __name__, url_prefix="/admin")
access.restrict(bp, access.is_admin)

Page = str | tuple[str, int] | Response


def _origins(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line.strip()]


@bp.get("/sites")
def list_sites() -> str:
    return render_template("admin/sites.html", sites=sites.list_sites())


@bp.route("/sites/new", methods=["GET", "POST"])
def new_site() -> Page:
    form = SiteForm()
    if form.validate_on_submit():
        try:
            site = sites.create_site(
                form.slug.data,
                form.name.data,
                _origins(form.origins.data),
                form.moderation_policy.data,
                form.edit_window_minutes.data * 60,
                by=current.signed_in(),
            )
        except Invalid as exc:
            form[exc.field if exc.field in form else "origins"].errors.append(str(exc))
        except sites.SiteExists:
            form.slug.errors.append(_("A site with this slug already exists."))
        else:
            flash(_("Site %(name)s registered.", name=site.name))
            return redirect(url_for("sites_admin.edit_site", slug=site.slug), 303)
    status = 422 if request.method == "POST" else 200
    return render_template("admin/site_form.html", form=form, site=None), status


@bp.route("/sites/<slug>", methods=["GET", "POST"])
def edit_site(slug: str) -> Page:
    site = sites.require_site(slug)
    form = SiteForm(
        data=None
        if request.method == "POST"
        else {
            "slug": site.slug,
            "name": site.name,
            "origins": "\n".join(site.origins),
            "moderation_policy": site.moderation_policy,
            "edit_window_minutes": site.edit_window_seconds // 60,
        }
    )
    if form.validate_on_submit():
        try:
            sites.update_site(
                site,
                form.name.data,
                _origins(form.origins.data),
                form.moderation_policy.data,
                form.edit_window_minutes.data * 60,
                by=current.signed_in(),
            )
        except Invalid as exc:
            form[exc.field if exc.field in form else "origins"].errors.append(str(exc))
        else:
            flash(_("Site %(name)s saved.", name=site.name))
            return redirect(url_for("sites_admin.edit_site", slug=site.slug), 303)
    status = 422 if request.method == "POST" else 200
    return render_template("admin/site_form.html", form=form, site=site), status
