"""Routes for admins: list, register and edit sites, their snippet signing, the snippets
to paste ("Install") and a live preview of the widget."""

from __future__ import annotations

from flask import (
    Blueprint,
    current_app,
    flash,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from commentsvc.accounts import current, step_up
from commentsvc.comments import install, looks, sites
from commentsvc.comments.forms import SiteForm, SiteLookForm
from commentsvc.comments.models import Site
from commentsvc.comments.thread_forms import ThreadSigningForm
from commentsvc.core import access, security
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
    form = SiteForm() if request.method == "POST" else _saved_settings(site)
    if form.validate_on_submit():
        origins = _origins(form.origins.data)
        if origins != list(site.origins) and step_up.needs_step_up(current.signed_in()):
            return step_up.ask_again(url_for("sites_admin.edit_site", slug=site.slug))
        try:
            sites.update_site(
                site,
                form.name.data,
                origins,
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
    return _site_page(form, site, status)


def _saved_settings(site: Site) -> SiteForm:
    """The settings form filled with what is saved (not with what was posted)."""
    return SiteForm(
        formdata=None,
        data={
            "slug": site.slug,
            "name": site.name,
            "origins": "\n".join(site.origins),
            "moderation_policy": site.moderation_policy,
            "edit_window_minutes": site.edit_window_seconds // 60,
        },
    )


def _site_page(
    form: SiteForm,
    site: Site,
    status: int,
    signing: ThreadSigningForm | None = None,
    look: SiteLookForm | None = None,
) -> Page:
    if signing is None:
        signing = ThreadSigningForm(
            formdata=None, data={"require_signed_threads": site.require_signed_threads}
        )
    if look is None:
        look = SiteLookForm(
            formdata=None, data={"accent": site.accent_color or "", "font": site.font_stack or ""}
        )
    palette = looks.palette(site.accent_color) if site.accent_color else None
    page = render_template(
        "admin/site_form.html",
        form=form,
        site=site,
        signing_form=signing,
        look_form=look,
        palette=palette,
    )
    return page, status


@bp.post("/sites/<slug>/look")
def site_look(slug: str) -> Page:
    """The widget's accent colour and font for this site."""
    site = sites.require_site(slug)
    look = SiteLookForm()
    if look.validate():
        try:
            looks.save_look(site, look.accent.data, look.font.data, by=current.signed_in())
        except Invalid as exc:
            look[exc.field].errors = [str(exc)]
        else:
            flash(_("Site %(name)s saved.", name=site.name))
            return redirect(url_for("sites_admin.edit_site", slug=site.slug) + "#look-heading", 303)
    return _site_page(_saved_settings(site), site, 422, look=look)


@bp.post("/sites/<slug>/thread-signing")
def thread_signing(slug: str) -> Page:
    """Make a new signing secret, or choose whether threads need signed snippets."""
    site = sites.require_site(slug)
    signing = ThreadSigningForm()
    if signing.validate():
        try:
            if signing.action.data == "secret":
                sites.new_thread_secret(site, by=current.signed_in())
                flash(_("A new signing secret was made. Update your article templates."))
            else:
                sites.set_require_signed_threads(
                    site, bool(signing.require_signed_threads.data), by=current.signed_in()
                )
                flash(_("Site %(name)s saved.", name=site.name))
        except Invalid as exc:
            signing.require_signed_threads.errors = [str(exc)]
        else:
            return redirect(url_for("sites_admin.edit_site", slug=site.slug), 303)
    return _site_page(_saved_settings(site), site, 422, signing)


@bp.get("/sites/<slug>/install")
def install_site(slug: str) -> str:
    """The snippets to paste, each with a Copy button, and a preview of the widget."""
    site = sites.require_site(slug)
    return render_template(
        "admin/site_install.html",
        site=site,
        snippets=install.snippets(current_app.config["PUBLIC_URL"], site),
    )


@bp.get("/sites/<slug>/preview")
def preview(slug: str) -> Response:
    """The widget's look with sample comments, for the Install page's frame: nothing is
    read from or written to any thread. Only the service's own pages may frame it."""
    site = sites.require_site(slug)
    thread, comments = install.sample_thread()
    response = make_response(
        render_template("admin/widget_preview.html", site=site, thread=thread, comments=comments)
    )
    response.headers["Content-Security-Policy"] = security.content_security_policy("'self'")
    response.headers["X-Frame-Options"] = "SAMEORIGIN"
    return response
