"""Admin pages: publish new versions of the privacy policy, terms and cookie policy."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.wrappers import Response

from commentsvc.accounts import step_up
from commentsvc.accounts.current import signed_in
from commentsvc.comments import sites
from commentsvc.comments.models import Site
from commentsvc.consent import policies, publishing
from commentsvc.consent.forms import PolicyForm
from commentsvc.consent.models import PolicyDocument
from commentsvc.consent.views.admin import bp
from commentsvc.core.errors import Invalid

Page = str | tuple[str, int] | Response


@bp.get("/policies")
def list_policies() -> str:
    service = [policies.current(document) for document in PolicyDocument]
    per_site = [
        (site, [(policies.current(d, site), policies.has_own(d, site)) for d in PolicyDocument])
        for site in sites.list_sites()
    ]
    return render_template("admin/policies.html", service=service, per_site=per_site)


def _document(name: str) -> PolicyDocument:
    document = policies.parse_document(name)
    if document is None:
        abort(404)
    return document


def _edit(document: PolicyDocument, site: Site | None) -> Page:
    current = policies.current(document, site)
    own = site is None or current.site_id is not None
    form = PolicyForm(data=None if request.method == "POST" else {"source": current.source})
    preview = None
    confirm = None
    if form.validate_on_submit():
        if form.preview.data:
            preview = policies.preview(form.source.data)
        elif step_up.needs_step_up(signed_in()):
            # The text stays in the form: the reader confirms in another tab and sends it
            # again from here.
            confirm = url_for("auth.second_step", next=request.path)
        else:
            try:
                published = publishing.publish(
                    document, form.source.data, form.summary.data, current_user, site
                )
            except Invalid as exc:
                form[exc.field if exc.field in form else "source"].errors.append(str(exc))
            else:
                flash(
                    _(
                        "Published %(title)s version %(n)d.",
                        title=published.title,
                        n=published.version,
                    )
                )
                return redirect(url_for("consent_admin.list_policies"), 303)
    status = 422 if request.method == "POST" and form.errors else 200
    if confirm is not None:
        status = 403
    history = policies.versions(document, site.id if site is not None and own else None)
    page = render_template(
        "admin/policy_form.html",
        form=form,
        document=document,
        current=current,
        own=own,
        site=site,
        preview=preview,
        history=history,
        confirm=confirm,
    )
    return page, status


@bp.route("/policies/<document>", methods=["GET", "POST"])
def edit_policy(document: str) -> Page:
    return _edit(_document(document), None)


@bp.route("/sites/<slug>/policies/<document>", methods=["GET", "POST"])
def edit_site_policy(slug: str, document: str) -> Page:
    site = sites.require_site(slug)
    return _edit(_document(document), site)
