"""The page around a thread's comments, kept for signed-in readers.

For a verified reader who may post, a thread page (embed/thread.html) differs from
another such reader's only in the reader's name, their CSRF token, the time the form
was shown (moderation.rules.form_token), the comment count and the comments themselves
(comments/rendering.py keeps those). `render` renders the page once with stand-ins for
these, keeps it in the fragment cache under everything else the page shows (the URL,
language, look, thread, the reader's e-mail choice and staff links), and fills the
stand-ins in one pass for each reader. The stand-ins are random per process, so no
text a reader writes can contain them.

Pages that are not kept: signed out (comments/page_cache.py keeps those), unverified,
refused (policies, a ban, a closed or locked thread), a refused form shown again, and a
page with a message flashed for this reader.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from typing import Any

from flask import g, render_template, request, session
from flask_babel import get_locale
from flask_wtf.csrf import generate_csrf
from markupsafe import Markup, escape

from commentsvc.accounts.models import Reader
from commentsvc.comments import looks, rendering
from commentsvc.comments.models import Site, Thread
from commentsvc.moderation import moderators

_STAND_IN = {name: f"{name}-{secrets.token_hex(16)}" for name in ("csrf", "name", "started")}
_STAND_IN |= {name: f"{name}{secrets.token_hex(16)}" for name in ("count", "comments")}
_ANY_STAND_IN = re.compile("|".join(re.escape(value) for value in _STAND_IN.values()))


@dataclass(frozen=True)
class _Someone:
    """The reader as the kept page names them: by a stand-in."""

    is_admin: bool
    display_name: str = _STAND_IN["name"]
    is_verified: bool = True
    is_authenticated: bool = True
    email: str = ""


class _Counted:
    """The thread as the kept page shows it: its count by a stand-in."""

    def __init__(self, thread: Thread) -> None:
        self._thread = thread
        self.comment_count = Markup(_STAND_IN["count"])  # noqa: S704 - a constant

    def __getattr__(self, name: str) -> Any:
        return getattr(self._thread, name)


def keepable(reader: Reader | None, context: dict[str, Any], status: int) -> bool:
    return (
        reader is not None
        and reader.is_verified
        and context["refusal"] is None
        and not context["failed"]
        and status == 200
        and "_flashes" not in session
    )


def _key(site: Site, thread: Thread, reader: Reader) -> tuple[Any, ...]:
    return (
        "shell",
        request.blueprint,
        request.full_path,
        str(get_locale()),
        site.id,
        site.slug,
        looks.version(site),
        thread.id,
        thread.created_at,
        thread.key,
        thread.title,
        thread.url,
        bool(g.get("reply_emails_default")),
        reader.is_admin,
        moderators.can_moderate(reader) if not g.get("framed") else False,
    )


def render(context: dict[str, Any], comments: list[bytes], reader: Reader) -> bytes:
    """embed/thread.html for this reader (see keepable), in UTF-8, from the kept page if
    any; comments as rendering.comment_list gives them."""
    site: Site = context["site"]
    thread: Thread = context["thread"]
    key = _key(site, thread, reader)
    cache = rendering.fragments()
    page: _Shell | None = cache.get(key)
    if page is None:
        page = _keep(_render_shell(context, thread, reader))
        cache.put(key, page, sum(len(piece) for piece in page) + 200)
    values = {
        "csrf": [generate_csrf().encode()],
        "name": [str(escape(reader.display_name)).encode()],
        "started": [str(escape(g.get("form_started") or "")).encode()],
        "count": [str(thread.comment_count).encode()],
        "comments": comments,
    }
    out: list[bytes] = []
    for piece in page:
        if isinstance(piece, bytes):
            out.append(piece)
        else:
            out.extend(values[piece])
    return b"".join(out)


# A kept page: UTF-8 pieces, and between them the names of the stand-ins.
_Shell = tuple[bytes | str, ...]
_NAMES = {value: name for name, value in _STAND_IN.items()}


def _keep(html: str) -> _Shell:
    pieces: list[bytes | str] = []
    at = 0
    for found in _ANY_STAND_IN.finditer(html):
        pieces.append(html[at : found.start()].encode())
        pieces.append(_NAMES[found.group(0)])
        at = found.end()
    pieces.append(html[at:].encode())
    return tuple(pieces)


def _render_shell(context: dict[str, Any], thread: Thread, reader: Reader) -> str:
    """The page with stand-ins for what is each reader's own."""
    someone = _Someone(is_admin=reader.is_admin)
    started = g.get("form_started")
    g.form_started = _STAND_IN["started"]
    try:
        return render_template(
            "embed/thread.html",
            **{
                **context,
                "thread": _Counted(thread),
                "reader": someone,
                "current_user": someone,
                "csrf_token": lambda: _STAND_IN["csrf"],
                "comments_html": Markup(_STAND_IN["comments"]),  # noqa: S704 - a constant
            },
        )
    finally:
        g.form_started = started
