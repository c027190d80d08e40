"""Thread pages without a template walk over every comment.

What every reader sees of a comment (avatar, author, times, marks, text: the
`fragment` macro of templates/embed/_comment.html) is rendered once per version of the
comment and language, and kept in a bounded per-process cache. The key holds
everything the fragment shows (status, author id and name, pin, times, text), so any
visible change (an edit, a delete, a moderator's decision, a pin, a rename, the
author's account deletion) makes a new key: a stale fragment cannot be served, and
pending comments (only their author reads them) have keys of their own.

Around each fragment, `_Layer` adds what belongs to this reader (score and own vote,
the Reply and Report links, edit and delete forms) from strings translated and escaped
once per page. The full Reply and Report forms appear once at most, under the comment
the reader chose (?reply=<id>, ?report=<id>); with JavaScript, the page's one reply form
(a <template> in embed/thread.html) is opened in place instead. `comment_item` gives
one comment's <li> as the page has it.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, ClassVar, cast

from flask import current_app, g, get_template_attribute, request
from flask_babel import format_datetime, get_locale, gettext, ngettext
from flask_wtf.csrf import generate_csrf
from markupsafe import Markup, escape

from commentsvc.accounts.models import Reader
from commentsvc.comments import eligibility, looks, notify, reading, reports
from commentsvc.comments.avatars import avatar
from commentsvc.comments.models import ReportReason, Site, Thread
from commentsvc.core import kept, links
from commentsvc.core.kept import KeptLRU, SizedLRU
from commentsvc.moderation import rules

# Replies shown before "Show N more replies".
SHOWN_REPLIES = 3
_SENTINEL = 987654321  # a comment id in URL templates, replaced by each comment's
EXTENSION = "commentsvc.fragments"


# An entry is a comment's fragment (Markup), a kept subtree (Kept), a page of kept
# subtrees (_KeptPage) or a kept page shell (comments/shell.py); each is put with the
# bytes it takes.
FragmentCache = SizedLRU[Any]


def fragments() -> FragmentCache:
    """This process's fragment cache (FRAGMENT_CACHE_BYTES, default 16 MiB)."""
    cache = current_app.extensions.get(EXTENSION)
    if cache is None:
        limit = int(current_app.config.get("FRAGMENT_CACHE_BYTES", 16 * 1024 * 1024))
        cache = current_app.extensions.setdefault(EXTENSION, FragmentCache(limit))
    return cast(FragmentCache, cache)


@dataclass(frozen=True)
class Moment:
    """A time as the page shows it: machine-readable, short, and exact (the title)."""

    iso: str
    short: str
    exact: str


def _moment(at: datetime) -> Moment:
    return Moment(at.isoformat(), format_datetime(at, "short"), format_datetime(at, "long"))


def fragment(
    c: reading.CommentView, locale: str | None = None, cache: FragmentCache | None = None
) -> Markup:
    """The shared part of a comment: the same for every reader in this language."""
    locale = locale or str(get_locale())
    key: tuple[Any, ...] = (locale, c.id, c.status, c.author_id, c.author_name, c.pinned)
    key += (c.created_at, c.edited_at, c.body_html)
    cache = cache or fragments()
    found: Markup | None = cache.get(key)
    if found is not None:
        return found
    macro = get_template_attribute("embed/_comment.html", "fragment")
    edited = _moment(c.edited_at) if c.edited_at is not None else None
    # The output of our own autoescaping template.
    html = Markup(macro(c, avatar(c.author_id, c.author_name), _moment(c.created_at), edited))  # noqa: S704
    # The key keeps the text too: both count (two bytes a character is about right).
    cache.put(key, html, (len(html) + len(c.body_html)) * 2 + 200)
    return html


class _Labels:
    """The controls' words in one language, translated and escaped once per process."""

    _by_locale: ClassVar[dict[str, _Labels]] = {}

    def __init__(self) -> None:
        self.score = escape(gettext("Score"))
        self.vote_up, self.vote_down = escape(gettext("Vote up")), escape(gettext("Vote down"))
        self.reply, self.post_reply = escape(gettext("Reply")), escape(gettext("Post reply"))
        before, _name, after = str(escape(gettext("Reply to %(name)s"))).partition("%(name)s")
        self.reply_to = (before, after)
        self.former = gettext("Former reader")
        self.edit, self.edit_label = escape(gettext("Edit")), escape(gettext("Edit your comment"))
        self.save = escape(gettext("Save changes"))
        self.report, self.reported = (
            escape(gettext("Report")),
            escape(gettext("You reported this comment")),
        )
        self.delete = escape(gettext("Delete"))
        self.delete_keeps = escape(
            gettext("Your comment will be replaced by “deleted” while replies remain.")
        )
        self.delete_removes = escape(gettext("Your comment will be removed from the thread."))
        self.delete_confirm = escape(gettext("Delete comment"))
        self.empty = escape(gettext("No comments yet. Be the first to comment."))
        self.load_more = escape(gettext("Load more comments"))
        self._more: dict[int, Markup] = {}
        # Plain text from here on: f-strings need no Markup.__format__ per use.
        for name, value in vars(self).items():
            if isinstance(value, Markup):
                setattr(self, name, str(value))

    def more(self, n: int) -> Markup:
        if n not in self._more:
            self._more[n] = escape(
                ngettext("Show %(num)d more reply", "Show %(num)d more replies", n)
            )
        return self._more[n]

    @classmethod
    def now(cls) -> _Labels:
        locale = str(get_locale())
        found = cls._by_locale.get(locale)
        if found is None:
            found = cls._by_locale[locale] = cls()
        return found


def thread_args() -> dict[str, str]:
    """The parameters that identify the embedding page, kept across pages, redirects and
    forms: on a POST, those of the page the form was on (core.links.page_args), so that
    every answer, a refused one included, still knows the frame's parent origin. The
    theme only when it is light or dark (auto is the default). Made once per request."""
    if "thread_args" in g:
        return dict(g.thread_args)
    args = links.page_args()
    keep = {}
    for name in ("title", "url", "sig", "origin", "sort"):
        value = args.get(name)
        if value:
            keep[name] = value[:2000]
    theme = looks.requested_theme()
    if theme != looks.AUTO:
        keep["theme"] = theme
    g.thread_args = keep
    return dict(keep)


def _url_parts(endpoint: str, site: Site, thread: Thread) -> tuple[str, str]:
    """A comment action's URL around its comment id, made once per page."""
    url = links.path_for(
        f"{request.blueprint}.{endpoint}", site_slug=site.slug, comment_id=_SENTINEL, key=thread.key
    )
    before, after = url.split(f"/c/{_SENTINEL}/", 1)
    return str(escape(before + "/c/")), str(escape("/" + after))


@dataclass(frozen=True)
class _PageLinks:
    """A thread page's links and hidden fields, escaped, with the CSRF token as
    _CSRF_PLACEHOLDER: the same for every reader of the same URL."""

    here: str
    hidden: str
    urls: dict[str, tuple[str, str]]
    post: str
    back: str
    report: str
    reply: str


_LINKS_KEPT = 1024
PAGE_LINKS = "commentsvc.page_links"


def _page_links(site: Site, thread: Thread) -> _PageLinks:
    """This page's links, made once per process for each URL (at most _LINKS_KEPT, of
    ordinary length: a made-up long URL must not fill the memory)."""
    after = request.args.get("after", "")[:100]
    key: tuple[Any, ...] = (request.blueprint, request.script_root, site.slug, thread.key)
    key += (after, *thread_args().items())
    known: KeptLRU[_PageLinks] = kept.in_app(PAGE_LINKS, _LINKS_KEPT)
    found = known.get(key)
    if found is not None:
        return found
    here = thread_path(site, thread)
    back = _page_url(site, thread)
    more = "&" if "?" in back else "?"
    found = _PageLinks(
        here=str(escape(here)),
        hidden=str(
            Markup(
                '<input type="hidden" name="csrf_token" value="{}">'
                '<input type="hidden" name="next" value="{}">'
            ).format(_CSRF_PLACEHOLDER, here)
        ),
        urls={e: _url_parts(e, site, thread) for e in ("vote", "edit", "delete")},
        post=str(
            escape(links.path_for(f"{request.blueprint}.post", site_slug=site.slug, key=thread.key))
        ),
        back=back,
        report=str(escape(back + more + "report=")),
        reply=str(escape(back + more + "reply=")),
    )
    if sum(len(str(part)) for part in key) <= links.KEPT_URL_LENGTH:
        known.put(key, found)
    return found


class _Layer:
    """One reader's controls around the shared fragments, for one page."""

    def __init__(
        self,
        site: Site,
        thread: Thread,
        reader: Reader | None,
        failed: dict[str, Any],
        report_id: int | None,
        reply_id: int | None = None,
        may_post: bool = True,
    ) -> None:
        self.site, self.thread, self.reader, self.failed = site, thread, reader, failed
        self.labels = _Labels.now()
        self.locale, self.cache = str(get_locale()), fragments()
        self.verified = reader is not None and reader.is_verified
        self.report_id, self.reply_id = report_id, reply_id
        # Replies too: a reader who may not post now (policies to accept, a ban, a
        # closed thread) gets no Reply links.
        self.may_reply = may_post and not thread.locked
        self.my_reports: set[int] = set()
        if reader is None:
            return
        # Only signed-in readers have forms, and so a CSRF token: anonymous pages are
        # shared (comments/page_cache.py) and must not start a session.
        # The token goes in last (items): kept subtrees hold the placeholder.
        self.csrf = generate_csrf()
        made = _page_links(site, thread)
        self.here, self.hidden, self.urls = made.here, made.hidden, made.urls
        self.post_url, self.back = made.post, made.back
        self.report_url, self.reply_url = made.report, made.reply
        if "my_reports" not in g:
            g.my_reports = reports.reported_ids(reader.id, thread.id)
        self.my_reports = g.my_reports

    def antispam(self) -> str:
        """The reply form's abuse brakes, for the one reply form a page may show."""
        if "form_started" not in g:
            g.form_started = rules.form_token()
        return str(get_template_attribute("embed/_antispam.html", "antispam")("{uid}"))

    def emails(self) -> str:
        if "reply_emails_default" not in g and self.reader is not None:
            g.reply_emails_default = notify.settings_for(self.reader.id).reply_emails
        return str(get_template_attribute("embed/_notify.html", "reply_emails")("{uid}"))

    def url(self, endpoint: str, cid: int) -> str:
        before, after = self.urls[endpoint]
        return f"{before}{cid}{after}"

    def page(
        self,
        comments: Iterable[reading.CommentView],
        subtrees: Iterable[reading.Subtree | None] | None = None,
        shared_key: tuple[Any, ...] | None = None,
        whole: frozenset[int] | None = None,
    ) -> list[bytes]:
        """The top-level comments with their replies, as UTF-8 pieces with this reader's
        CSRF token in place. A subtree with nothing of this reader's in it (no own
        comment, vote, report, chosen or refused form) is the same for every reader of
        this page in this language: kept, already encoded, so after a new comment only
        the subtree that changed is rendered again, and a page encodes only what it
        renders. subtrees (see reading.ThreadPage) name the shared ones by what they
        show, worked out once per thread version; without them, _subtree_key works it
        out. A subtree with the reader's own comments or votes is kept too, under
        everything it shows them (_own_key), unless a form is open in it. shared_key
        (reading.ThreadPage): the key of everyone's page, kept as one (put together from
        the kept subtrees) and served whole when every subtree is shared (whole: the ids
        on it) and nothing on it is special to this reader: one lookup instead of one
        per comment. A page with some of the reader's own copies takes the others from
        it, if it is kept, rather than looking up each."""
        context = self.context()
        special = self.special_ids()
        csrf = self.csrf.encode() if self.reader is not None else b""
        comments = list(comments)
        kept = list(subtrees) if subtrees is not None else [None] * len(comments)
        page_key = None if shared_key is None else (context, "page", shared_key)
        if page_key is not None and whole is not None and whole.isdisjoint(special):
            found: _KeptPage | None = self.cache.get(page_key)
            if found is None:
                each = tuple(
                    self.kept((context, subtree[0]), c)
                    for c, subtree in zip(comments, kept, strict=True)
                    if subtree is not None  # always, with whole
                )
                found = (_joined(each), each)
                # Twice: each subtree's pieces stay while the page is kept.
                self.cache.put(page_key, found, 2 * sum(map(len, found[0])) + 200)
            return [csrf.join(found[0])]
        everyones = self.cache.get(page_key) if page_key is not None else None
        shared: tuple[Kept, ...] | None = None
        if everyones is not None and len(everyones[1]) == len(comments):
            shared = everyones[1]
        out: list[bytes] = []
        for i, (c, subtree) in enumerate(zip(comments, kept, strict=True)):
            key: reading.Shown | None
            if subtree is not None:
                key = subtree[0] if subtree[1].isdisjoint(special) else None
                if key is not None and shared is not None:
                    out.append(csrf.join(shared[i]))
                    continue
            else:
                key = _subtree_key(c, special)
            if key is not None:
                out.append(csrf.join(self.kept((context, key), c)))
                continue
            # The reader's own copy: kept for them too, by everything it shows them
            # (their votes, own comments, edit windows), unless a form is open in it.
            mine = _own_key(c, special) if self.reader is not None else None
            if mine is None:
                out.append(self.own(self.item(c)))
            else:
                out.append(csrf.join(self.kept((context, "own", mine), c)))
        return out

    def kept(self, key: tuple[Any, ...], c: reading.CommentView) -> Kept:
        """c's subtree, rendered once for what key says it shows, then kept."""
        found: Kept | None = self.cache.get(key)
        if found is None:
            found = _keep(self.item(c))
            self.cache.put(key, found, sum(map(len, found)) + 200)
        return found

    def own(self, html: str) -> bytes:
        """A piece rendered for this reader alone, with their CSRF token, encoded."""
        if self.reader is not None:
            html = html.replace(_CSRF_PLACEHOLDER, self.csrf)
        return html.encode()

    def context(self) -> tuple[Any, ...]:
        """What a page's comments depend on besides the comments themselves."""
        return (
            "subtree",
            self.locale,
            request.blueprint,
            self.reader is not None,
            self.verified,
            self.thread.locked,
            self.may_reply,
            self.here if self.reader is not None else "",
            self.back if self.reader is not None else "",
        )

    def special_ids(self) -> set[int]:
        """Comments this reader sees differently from other readers (besides their own
        comments and votes, which _subtree_key finds)."""
        ids = set(self.my_reports)
        ids.update(i for i in (self.report_id, self.reply_id) if i is not None)
        for field in ("parent_id", "comment_id", "report_id"):
            value = self.failed.get(field)
            if isinstance(value, int):
                ids.add(value)
            elif isinstance(value, str) and value.isdigit():
                ids.add(int(value))
        return ids

    def items(self, comments: Iterable[reading.CommentView]) -> str:
        return "".join(self.item(c) for c in comments)

    def item(self, c: reading.CommentView) -> str:
        pinned = " pinned" if c.pinned else ""
        parts = [
            f'<li class="comment depth-{c.display_depth}{pinned}" id="c{c.id}">'
            f'<article aria-labelledby="c{c.id}-author">',
            fragment(c, self.locale, self.cache),
        ]
        if not c.is_deleted:
            parts.append(self.footer(c))
        parts.append("</article>")
        if c.replies:
            shown, rest = c.replies[:SHOWN_REPLIES], c.replies[SHOWN_REPLIES:]
            parts.append(f'<ol class="replies">{self.items(shown)}</ol>')
            if rest:
                parts.append(
                    f'<details class="more-replies"><summary>{self.labels.more(len(rest))}'
                    f'</summary><ol class="replies">{self.items(rest)}</ol></details>'
                )
        parts.append("</li>")
        return "".join(parts)

    def footer(self, c: reading.CommentView) -> str:
        acting = self.verified and not self.thread.locked and not c.is_pending
        voting = acting and not c.is_mine
        parts = ['<footer class="actions">', self.votes(c) if voting else self.score(c)]
        if acting:
            parts.append(self.reply(c))
        if c.can_edit and not self.thread.locked:
            parts.append(self.edit(c))
        if self.verified and not c.is_mine and not c.is_pending:
            parts.append(self.report(c))
        if c.is_mine:
            parts.append(self.delete(c))
        parts.append("</footer>")
        return "".join(parts)

    def votes(self, c: reading.CommentView) -> str:
        """Both buttons around the score; a pressed button sends 0 (undo). They send the
        page's one vote form (#vote-form in embed/thread.html, with the token and the way
        back) to this comment's address: a page of comments says those fields once."""
        lab = self.labels
        action = self.url("vote", c.id)
        buttons = []
        for value, sign, name in ((1, "▲", lab.vote_up), (-1, "▼", lab.vote_down)):
            pressed = c.my_vote == value
            buttons.append(
                f'<button form="vote-form" formaction="{action}" name="value"'
                f' value="{0 if pressed else value}" class="vote" aria-label="{name}"'
                f' aria-pressed="{"true" if pressed else "false"}">{sign}</button>'
            )
        return f'<span class="votes">{buttons[0]}{self.score(c)}{buttons[1]}</span>'

    def score(self, c: reading.CommentView) -> str:
        return f'<span class="score" aria-label="{self.labels.score}">{c.score}</span>'

    def _failed(self, field: str, cid: int) -> tuple[str, Markup, Markup]:
        """The open attribute, kept text and error of a form the reader sent in vain."""
        failed = self.failed
        if not failed or failed.get(field) != cid:
            return "", Markup(""), Markup("")
        error = Markup('<p class="error" role="alert">{}</p>').format(failed.get("error", ""))
        return " open", escape(failed.get("body", "")), error

    def reply(self, c: reading.CommentView) -> str:
        """A "Reply" link (?reply=<id>); the form itself under the comment the reader
        chose, or under the one whose reply was refused. The page's script opens the
        form in place from the page's one reply form template (embed/thread.html)."""
        lab = self.labels
        name = escape(c.author_name or lab.former)
        before, after = lab.reply_to
        is_open, body, error = self._failed("parent_id", c.id)
        if not is_open and not self.may_reply:
            return ""
        if not is_open and self.reply_id != c.id:
            return (
                f'<a class="reply" href="{self.reply_url}{c.id}#reply-{c.id}" rel="nofollow"'
                f' data-reply="{c.id}" data-label="{before}{name}{after}">{lab.reply}</a>'
            )
        uid = str(c.id)
        return (
            f'<details class="reply" open><summary>{lab.reply}</summary>'
            f'<form method="post" action="{self.post_url}">{self.hidden}'
            f'<input type="hidden" name="parent_id" value="{c.id}">'
            f"{self.antispam().replace('{uid}', uid)}"
            f'<label for="reply-{c.id}">{before}{name}{after}</label>'
            f'<textarea id="reply-{c.id}" name="body" rows="3" maxlength="10000" required>'
            f"{body}</textarea>{error}{self.emails().replace('{uid}', uid)}"
            f'<button type="submit">{lab.post_reply}</button></form></details>'
        )

    def edit(self, c: reading.CommentView) -> str:
        lab = self.labels
        is_open, body, error = self._failed("comment_id", c.id)
        text = body if is_open else escape(c.source)
        return (
            f'<details class="edit"{is_open}><summary>{lab.edit}</summary>'
            f'<form method="post" action="{self.url("edit", c.id)}">{self.hidden}'
            f'<label for="edit-{c.id}">{lab.edit_label}</label>'
            f'<textarea id="edit-{c.id}" name="body" rows="3" maxlength="10000" required>'
            f"{text}</textarea>{error}"
            f'<button type="submit">{lab.save}</button></form></details>'
        )

    def report(self, c: reading.CommentView) -> str:
        if c.id in self.my_reports:
            return f'<span class="mark reported">{self.labels.reported}</span>'
        chosen = self.report_id == c.id or (self.failed and self.failed.get("report_id") == c.id)
        if not chosen:
            return (
                f'<a class="report" href="{self.report_url}{c.id}#report-{c.id}"'
                f' rel="nofollow">{self.labels.report}</a>'
            )
        # The one full Report form of the page.
        g.report_reasons = [(r.value, r.label) for r in ReportReason]
        form = get_template_attribute("embed/_report.html", "report_form")
        back = f"{self.back}#c{c.id}"
        return str(form(c, self.site, self.thread, self.here_raw, back, self.failed))

    @property
    def here_raw(self) -> str:
        return thread_path(self.site, self.thread)

    def delete(self, c: reading.CommentView) -> str:
        lab = self.labels
        says = lab.delete_keeps if c.replies else lab.delete_removes
        return (
            f'<details class="delete"><summary>{lab.delete}</summary>'
            f'<form method="post" action="{self.url("delete", c.id)}">{self.hidden}'
            f'<p>{says}</p><button type="submit" class="danger">{lab.delete_confirm}</button>'
            "</form></details>"
        )


# Stands for the reader's CSRF token in kept subtrees; random per process, so comment text
# cannot contain it on purpose.
_CSRF_PLACEHOLDER = f"csrf-{secrets.token_hex(16)}"

# A kept subtree: its UTF-8 in pieces, split where each reader's CSRF token goes.
Kept = tuple[bytes, ...]
# A page kept whole: its pieces, and each subtree's (in the page's order).
_KeptPage = tuple[Kept, tuple[Kept, ...]]


def _keep(html: str) -> Kept:
    return tuple(piece.encode() for piece in html.split(_CSRF_PLACEHOLDER))


def _joined(subtrees: Iterable[Kept]) -> Kept:
    """Kept subtrees one after the other, as one Kept (a reader's token goes between
    the pieces of each, as before)."""
    out: list[list[bytes]] = [[]]
    for pieces in subtrees:
        out[-1].append(pieces[0])
        out.extend([piece] for piece in pieces[1:])
    return tuple(b"".join(run) for run in out)


def _subtree_key(top: reading.CommentView, special: set[int]) -> reading.Shown | None:
    """What a subtree shows, for a subtree not kept with its page; None
    when the reader has a stake in it (their own comment or vote, a report, a chosen or
    refused form) and the subtree is theirs alone."""
    stack = [top]
    while stack:
        c = stack.pop()
        if c.is_mine or c.my_vote or c.is_pending or c.id in special:
            return None
        stack.extend(c.replies)
    return reading.Shown(top)


def _own_key(top: reading.CommentView, special: set[int]) -> tuple[Any, ...] | None:
    """Everything a subtree shows to the reader it was read for: what it shows everyone
    (as reading.Shown), with the reader's votes, own comments, their text and edit
    windows; None when it holds a comment special to this page (a report, a chosen or
    refused form), which is never kept."""
    value: list[Any] = []
    stack = [top]
    while stack:
        c = stack.pop()
        if c.id in special:
            return None
        value.append((reading.Shown.of(c), c.my_vote, c.is_mine, c.can_edit, c.source))
        stack.extend(reversed(c.replies))
    return tuple(value)


def thread_path(site: Site, thread: Thread) -> str:
    """The thread page's path with the embedding page's parameters (no paging); made
    once per request (the page, its forms and its layer all name it)."""
    made: dict[tuple[str, str], str] = g.setdefault("thread_paths", {})
    key = (site.slug, thread.key)
    if key not in made:
        values: dict[str, Any] = {"site_slug": site.slug, "key": thread.key, **thread_args()}
        made[key] = links.path_for(f"{request.blueprint}.thread", **values)
    return made[key]


def _page_url(site: Site, thread: Thread) -> str:
    """This page of the thread (with its "Load more" position, if any)."""
    after = request.args.get("after")
    values: dict[str, Any] = {"site_slug": site.slug, "key": thread.key, **thread_args()}
    if after:
        values["after"] = after[:100]
    return links.path_for(f"{request.blueprint}.thread", **values)


def _chosen(name: str) -> int | None:
    """The comment whose Report or Reply form the page shows (?report=<id>, ?reply=<id>)."""
    chosen = request.args.get(name, "")
    return int(chosen) if chosen.isdigit() and len(chosen) < 19 else None


def thread_items(
    site: Site,
    thread: Thread,
    reader: Reader | None,
    comments: Iterable[reading.CommentView],
    failed: dict[str, Any] | None = None,
    may_post: bool = True,
    subtrees: Iterable[reading.Subtree | None] | None = None,
    shared_key: tuple[Any, ...] | None = None,
    whole: frozenset[int] | None = None,
) -> list[bytes]:
    """The <li> of each comment, with replies, as this reader sees them, in UTF-8
    pieces; may_post False when the reader may not post now (no Reply links then);
    subtrees, shared_key and whole as reading.ThreadPage gives them."""
    layer = _Layer(
        site, thread, reader, failed or {}, _chosen("report"), _chosen("reply"), may_post
    )
    return layer.page(comments, subtrees, shared_key, whole)


def comment_items(
    site: Site,
    thread: Thread,
    reader: Reader | None,
    comments: Iterable[reading.CommentView],
    may_post: bool = True,
) -> Markup:
    """thread_items as one piece of markup, for a template or a single comment."""
    pieces = thread_items(site, thread, reader, comments, may_post=may_post)
    return Markup(b"".join(pieces).decode())  # noqa: S704 - escaped piece by piece


def comment_list(
    site: Site, thread: Thread, page: reading.ThreadPage, items: list[bytes]
) -> list[bytes]:
    """The list of a thread page: the comments (thread_items, extended in place), then
    the empty-thread line or the "Load more" link."""
    labels = _Labels.now()
    if not any(items) and not request.args.get("after"):
        items.append(f'<li class="empty">{labels.empty}</li>'.encode())
    if page.next_cursor:
        values = {**thread_args(), "sort": page.sort.value, "after": page.next_cursor}
        url = links.path_for(
            f"{request.blueprint}.thread", site_slug=site.slug, key=thread.key, **values
        )
        items.append(
            f'<li class="load-more"><a data-action="load-more" href="{escape(url)}">'
            f"{labels.load_more}</a></li>".encode()
        )
    return items


def comment_item(site: Site, thread: Thread, reader: Reader | None, comment_id: int) -> Markup:
    """One comment's <li> with its replies, exactly as this reader sees it on the thread
    page (for in-place updates); empty if the reader cannot see it."""
    view = reading.read_comment(thread, site, reader.id if reader else None, comment_id)
    if view is None:
        return Markup("")
    may_post = eligibility.refusal(reader, site, thread) is None
    return comment_items(site, thread, reader, [view], may_post=may_post)
