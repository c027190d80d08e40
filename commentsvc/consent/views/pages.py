"""Routes for the policy documents, accepting new versions, and serving consent.js."""

from __future__ import annotations

from flask import (
    Blueprint,
    abort,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_required
from werkzeug.wrappers import Response

from commentsvc.comments import sites
from commentsvc.comments.models import Site
from commentsvc.consent import policies
from commentsvc.consent.forms import AcceptForm
from commentsvc.consent.models import PolicyDocument
from commentsvc.consent.policies import Policy
from commentsvc.core import views
from commentsvc.core.links import safe_next_url

bp = Blueprint("consent", __name__)

Page = str | tuple[str, int] | Response


@bp.app_template_global()
def policy_url(policy: Policy, site: Site | None = None) -> str:
    """The page of this exact version (a site's own document needs its site)."""
    if policy.site_id is not None and site is not None:
        return url_for(
            "consent.site_policy_version",
            slug=site.slug,
            document=policy.document.value,
            version=policy.version,
        )
    return url_for("consent.policy_version", document=policy.document.value, version=policy.version)


@bp.app_template_global()
def current_policy(document: str) -> Policy:
    """The service's version in force of a document ("terms", "privacy", "cookies")."""
    return policies.current(PolicyDocument(document))


def _document(name: str) -> PolicyDocument:
    document = policies.parse_document(name)
    if document is None:
        abort(404)
    return document


@bp.get("/consent.js")
def consent_js() -> Response:
    return views.serve_script("consent.js")


@bp.get("/policies")
def policy_index() -> str:
    current = [policies.current(document) for document in PolicyDocument]
    return render_template("consent/index.html", documents=current)


def _render(policy: Policy, history: list[Policy], site: Site | None, own: bool) -> str:
    return render_template(
        "consent/policy.html",
        policy=policy,
        history=history,
        latest=history[0] if history else policy,
        site=site,
        own=own,
    )


@bp.get("/policies/<document>")
def policy(document: str) -> str:
    doc = _document(document)
    history = policies.versions(doc)
    return _render(history[0], history, None, own=False)


@bp.get("/policies/<document>/v<int:version>")
def policy_version(document: str, version: int) -> str:
    doc = _document(document)
    found = policies.get_version(doc, version)
    if found is None:
        abort(404)
    return _render(found, policies.versions(doc), None, own=False)


@bp.get("/sites/<slug>/policies/<document>")
def site_policy(slug: str, document: str) -> str:
    """The site's own document if it has one, else the service's, which it uses."""
    site, doc = sites.require_site(slug), _document(document)
    own = policies.has_own(doc, site)
    history = policies.versions(doc, site.id if own else None)
    return _render(history[0], history, site, own=own)


@bp.get("/sites/<slug>/policies/<document>/v<int:version>")
def site_policy_version(slug: str, document: str, version: int) -> str:
    site, doc = sites.require_site(slug), _document(document)
    found = policies.get_version(doc, version, site.id)
    if found is None:
        abort(404)
    return _render(found, policies.versions(doc, site.id), site, own=True)


@bp.route("/policies/accept", methods=["GET", "POST"])
@login_required
def accept_policies() -> Page:
    """Show what changed in the terms or privacy policy and record the reader's acceptance.

    Reached after sign-in (and from a refused comment); "Not now" keeps the reader
    signed in and reading, but commenting waits for acceptance.
    """
    slug = request.args.get("site")
    site = sites.require_site(slug) if slug else None
    next_url = safe_next_url(request.args.get("next")) or url_for("account.index")
    pending = policies.pending_acceptances(current_user, site)
    if not pending:
        return redirect(next_url, 303)
    form = AcceptForm()
    status = 200
    if form.validate_on_submit():
        try:
            policies.accept(current_user, (form.shown.data or "").split(","), site)
        except policies.PolicyChanged:
            flash(_("A newer version was published while you were reading. Please look again."))
            pending = policies.pending_acceptances(current_user, site)
            status = 409
        else:
            flash(_("Thank you. You accepted the new versions."))
            return redirect(next_url, 303)
    form.shown.data = ",".join(p.key for p in pending)
    page = render_template(
        "consent/accept.html", pending=pending, form=form, site=site, next_url=next_url
    )
    return page, status
