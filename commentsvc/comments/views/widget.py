"""Thread pages: the widget inside a site's iframe (/embed) and its first-party twin (/threads),
one blueprint registered under both.

Both serve the same server-rendered page and forms; they differ in which session
cookie they read (see cookies.py) and in who may frame them.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from flask import Blueprint, abort, g, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_limiter.util import get_remote_address
from flask_login import current_user, logout_user
from markupsafe import Markup
from werkzeug.wrappers import Response

from commentsvc.accounts import current, sessions
from commentsvc.accounts.models import Reader
from commentsvc.comments import (
    eligibility,
    looks,
    notify,
    posting,
    reading,
    rendering,
    setup,
    shell,
    sites,
    threads,
    votes,
)
from commentsvc.comments.forms import CommentForm, VoteForm
from commentsvc.comments.limits import limit_posting
from commentsvc.comments.models import CommentStatus, SightingKind, Site, Thread
from commentsvc.comments.page_cache import mark_shareable
from commentsvc.comments.views import fragments
from commentsvc.consent import policies
from commentsvc.core import links, security
from commentsvc.core.errors import Invalid, ServiceError, http_status
from commentsvc.core.links import origin_of, safe_next_url
from commentsvc.moderation import rules

Page = str | bytes | tuple[str | bytes, int] | Response


# Registered twice (comments.init_app): as "embed" under /embed, the widget in a site's
# iframe, and as "threads" under /threads, its first-party twin.
bp = Blueprint("widget", __name__)
FRAMED = "embed"


def _service_error(exc: ServiceError) -> Page:
    # A refused action is answered inside the frame (the widget's own error page), or to
    # the widget's script as {"error": …, "field": …}.
    field = exc.field if isinstance(exc, Invalid) else ""
    return _error_page(str(exc), http_status(exc), field)


bp.register_error_handler(ServiceError, _service_error)


def viewer(site: Site) -> Reader | None:
    """The signed-in reader, if their session is valid on this page.

    An embed session belongs to one site: it is worthless under another site's widget.
    """
    reader = current.reader()
    # accounts.views.auth.load_reader keeps widget sessions to /embed; here a session must
    # belong to this site's widget (which also refuses a first-party session replayed here).
    if reader is not None and g.get("framed") and reader.session_site_id != site.id:
        return None
    return reader


def _frame_origin(site: Site) -> str | None:
    """The embedding page's origin, for postMessage; it must be one of the site's origins."""
    origin = links.page_args().get("origin")
    if origin is None:
        return None
    if origin not in site.origins:
        abort(403, _("This site is not registered to show these comments."))
    return origin


def _sort() -> reading.Sort:
    try:
        return reading.Sort(links.page_args().get("sort", "oldest"))
    except ValueError:
        return reading.Sort.OLDEST


@bp.get("/<site_slug>/t/<thread_key:key>")
def thread(site_slug: str, key: str) -> Page:
    found = threads.find_thread(site_slug, key, current.session_token(), stake=True)
    if found is None:
        abort(404)
    site, thread_row = found
    g.site = site
    frame_origin = _frame_origin(site) if g.framed else None
    if g.framed:
        _record_sighting(site, frame_origin)
    try:
        thread_row = threads.view_thread(site, key, thread_row, _page_view(site))
    except Invalid as exc:
        return _error_page(str(exc), 400)
    return _render_thread(site, thread_row, frame_origin)


def _record_sighting(site: Site, frame_origin: str | None) -> None:
    """The set-up checklist's "widget seen on an origin" (see comments/setup.py): the
    origin embed.js named, else the embedding page's (a plain iframe's Referer)."""
    if request.headers.get("Sec-Fetch-Dest") != "iframe":
        return  # opened in a tab, fetched, or not from a browser: not framed by a page
    origin = frame_origin or origin_of(request.headers.get("Referer", ""))
    setup.record_sighting(site, SightingKind.WIDGET, origin)


def _page_view(site: Site) -> threads.PageView:
    """What this request claims about the article (see threads.view_thread)."""
    args = request.args
    return threads.PageView(
        title=args.get("title", ""),
        url=args.get("url", ""),
        signature=args.get("sig", ""),
        from_site=sites.url_is_on_site(site, request.headers.get("Referer", "")),
        client=get_remote_address(),
    )


def _render_thread(
    site: Site,
    thread_row: Thread,
    frame_origin: str | None,
    status: int = 200,
    failed: dict[str, Any] | None = None,
    refusal: eligibility.Refusal | None = None,
) -> Page:
    """The thread page; refusal, when the caller already has it (a refused post)."""
    reader = viewer(site)
    sort = _sort()
    try:
        page = reading.read_thread(
            thread_row, site, reader.id if reader else None, sort, request.args.get("after")
        )
    except Invalid as exc:
        return _error_page(str(exc), 400)
    if refusal is None:
        # The ban and the policies to accept came with the reader's stake in the thread.
        refusal = eligibility.refusal(reader, site, thread_row, page.banned, page.to_accept)
    context: dict[str, Any] = {
        "site": site,
        "thread": thread_row,
        "reader": reader,
        "frame_origin": frame_origin,
        "here": rendering.thread_path(site, thread_row),
        "args": rendering.thread_args(),
        "failed": failed or {},
        "framed": g.framed,
        "first_party_url": thread_url(site, thread_row.key),
        "sort": sort,
        # Why there is no comment form, if there is none (the page says so instead).
        "refusal": refusal,
    }
    g.form_started = rules.form_token()
    g.reply_emails_default = page.reply_emails
    # Comments this reader reported show "reported" instead of the Report link.
    g.my_reports = page.reported
    # Kept fragments and this reader's controls (comments/rendering.py).
    items = rendering.thread_items(
        site,
        thread_row,
        reader,
        page.comments,
        failed,
        refusal is None,
        page.subtrees,
        page.shared_key,
        page.whole,
    )
    comments = rendering.comment_list(site, thread_row, page, items)
    html: str | bytes
    if request.args.get("partial"):
        html = b"".join(comments)
    elif reader is not None and shell.keepable(reader, context, status):
        html = shell.render(context, comments, reader)
    else:
        # Escaped piece by piece (comments/rendering.py).
        comments_html = Markup(b"".join(comments).decode())  # noqa: S704
        html = render_template("embed/thread.html", comments_html=comments_html, **context)
    if reader is None and not failed and looks.theme_arg_is_canonical():
        # Every anonymous reader of this URL sees this page (see comments/page_cache.py).
        mark_shareable(site, thread_row)
    return html, status


def _error_page(message: str, status: int, field: str = "") -> Page:
    if fragments.wanted():
        return fragments.error(message, status, field)
    return render_template("embed/error.html", message=message, status=status), status


def _changed(site: Site, thread_row: Thread, reader: Reader, comment_id: int) -> Response:
    """The widget's script's answer to an action on one comment: that comment, now."""
    html = rendering.comment_item(site, thread_row, reader, comment_id)
    return Response(str(html), 200 if html else 204, mimetype="text/html")


def _back(site_slug: str, key: str, anchor: str = "") -> Response:
    """Redirect to the page the form was on (a validated relative path)."""
    prefix = "/embed/" if g.framed else "/threads/"
    target = safe_next_url(request.form.get("next"))
    if not target or not target.startswith(prefix + site_slug + "/"):
        target = url_for(f"{request.blueprint}.thread", site_slug=site_slug, key=key)
    return redirect(target + anchor, 303)


def _load(site_slug: str, key: str, posting: bool = False) -> tuple[Site, Thread, Reader]:
    found = threads.find_existing_thread(
        site_slug, key, current.session_token(), posting, current.loaded_reader_id()
    )
    if found is None:
        abort(404)
    site, thread_row = found
    g.site = site
    reader = viewer(site)
    if reader is None:
        abort(401)
    return site, thread_row, reader


def _check_in_thread(thread_row: Thread, comment_id: int) -> None:
    """A comment is changed only through its own thread's page, so a widget session
    bound to one site cannot act on another site's comments."""
    comment = threads.get_comment(comment_id)
    if comment is None or comment.thread_id != thread_row.id:
        abort(404)


@bp.post("/<site_slug>/t/<thread_key:key>")
@limit_posting
def post(site_slug: str, key: str) -> Page:
    site, thread_row, reader = _load(site_slug, key, posting=True)
    form = CommentForm()
    if form.validate():
        try:
            comment = posting.post_comment(
                reader,
                thread_row,
                site,
                form.body.data,
                form.parent_id.data,
                rules.form_signals(form.website.data, form.started.data),
            )
        except ServiceError as exc:
            return _refused(site, thread_row, form, exc)
        # The form's "e-mail me about replies" box, where the form had one.
        if request.form.get("notify_choice"):
            notify.set_comment_replies(
                reader, comment.id, request.form.get("notify_replies") == "y"
            )
        if fragments.wanted():
            answer = _changed(site, thread_row, reader, comment.id)
            held = comment.status == CommentStatus.PENDING
            answer.headers[fragments.STATUS] = "held" if held else "published"
            return answer
        return _back(site_slug, key, f"#c{comment.id}")
    return _refused(site, thread_row, form, " ".join(_form_errors(form)), 422)


def _form_errors(form: Any) -> list[str]:
    return [str(e) for errors in form.errors.values() for e in errors]


def _refused(
    site: Site,
    thread_row: Thread,
    form: CommentForm,
    error: ServiceError | str,
    status: int = 422,
) -> Page:
    """Show the thread again with the reader's text kept and the reason next to the form."""
    message = str(error)
    refusal = None
    if fragments.wanted():
        field = error.field if isinstance(error, Invalid) else "body"
        if isinstance(error, ServiceError):
            status = http_status(error)
        return fragments.error(message, status, field or "body")
    if isinstance(error, ServiceError):
        status = http_status(error)
        if isinstance(error, eligibility.PostingRefused):
            refusal = error.refusal
    failed = {
        "parent_id": form.parent_id.data,
        "comment_id": request.view_args.get("comment_id") if request.view_args else None,
        "body": form.body.data or "",
        "error": message,
    }
    frame_origin = _frame_origin(site) if g.framed else None
    return _render_thread(site, thread_row, frame_origin, status, failed, refusal)


@bp.post("/<site_slug>/c/<int:comment_id>/edit/<thread_key:key>")
def edit(site_slug: str, key: str, comment_id: int) -> Page:
    site, thread_row, reader = _load(site_slug, key)
    _check_in_thread(thread_row, comment_id)
    form = CommentForm()
    if form.validate():
        try:
            posting.edit_comment(reader, comment_id, form.body.data)
        except ServiceError as exc:
            return _refused(site, thread_row, form, exc)
        if fragments.wanted():
            return _changed(site, thread_row, reader, comment_id)
        return _back(site_slug, key, f"#c{comment_id}")
    return _refused(site, thread_row, form, " ".join(_form_errors(form)), 422)


@bp.post("/<site_slug>/c/<int:comment_id>/delete/<thread_key:key>")
def delete(site_slug: str, key: str, comment_id: int) -> Page:
    site, thread_row, reader = _load(site_slug, key)
    _check_in_thread(thread_row, comment_id)
    posting.delete_comment(reader, comment_id)
    if fragments.wanted():
        return _changed(site, thread_row, reader, comment_id)
    return _back(site_slug, key)


@bp.post("/<site_slug>/c/<int:comment_id>/vote/<thread_key:key>")
def vote(site_slug: str, key: str, comment_id: int) -> Page:
    site, thread_row, reader = _load(site_slug, key)
    _check_in_thread(thread_row, comment_id)
    form = VoteForm()
    if not form.validate():
        return _error_page(" ".join(_form_errors(form)), 422)
    votes.vote(reader, comment_id, form.value.data)
    if fragments.wanted():
        return _changed(site, thread_row, reader, comment_id)
    return _back(site_slug, key, f"#c{comment_id}")


@bp.post("/<site_slug>/accept-policies/<thread_key:key>")
def accept_policies(site_slug: str, key: str) -> Page:
    """Accept new policy versions from the thread page, then go back to it."""
    site, _thread_row, reader = _load(site_slug, key)
    try:
        policies.accept(reader, request.form.get("shown", "").split(","), site)
    except policies.PolicyChanged:
        return _error_page(_("A newer version was published meanwhile. Please look again."), 409)
    return _back(site_slug, key)


@bp.post("/<site_slug>/sign-out")
def sign_out(site_slug: str) -> Response:
    if current_user.is_authenticated:
        sessions.end_session(current_user.session_token)
        logout_user()
    session.clear()
    target = safe_next_url(request.form.get("next"))
    prefix = "/embed/" if g.framed else "/threads/"
    if not target or not target.startswith(prefix + site_slug + "/"):
        target = url_for("main.index")
    return redirect(target, 303)


# --- the widget's own hooks and routes -------------------------------------------------


@bp.before_request
def _widget_request() -> None:
    g.framed = request.blueprint == FRAMED
    if g.framed:
        # The widget's cookie is SameSite=None: its state changes must also show the
        # browser's own same-origin headers.
        security.require_own_origin()


@bp.after_request
def _frame_headers(response: Response) -> Response:
    """Only the site's registered origins may frame its widget; nobody else may."""
    if not g.get("framed"):
        return response  # the first-party page: framed by no one (core.security)
    site: Site | None = g.get("site")
    ancestors = " ".join(site.origins) if site is not None and site.origins else "'none'"
    response.headers["Content-Security-Policy"] = security.content_security_policy(ancestors)
    return response


def thread_url(site: Site, key: str, **args: str) -> str:
    """Path of the first-party page for a thread (the fallback when the popup is blocked)."""
    path = links.path_for("threads.thread", site_slug=site.slug, key=key)
    return path + ("?" + urlencode(args) if args else "")
