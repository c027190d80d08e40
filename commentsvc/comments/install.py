"""What a site owner pastes into their pages (exactly as the README and the demo news
site do), and the sample thread the admin's live preview of the widget shows."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from flask_babel import gettext as _
from markupsafe import escape

from commentsvc.comments.models import CommentStatus, Site
from commentsvc.comments.reading import CommentView
from commentsvc.core.extensions import utcnow


@dataclass(frozen=True)
class Snippets:
    """The text of each snippet, to show in a <pre> and copy as it is."""

    comments: str
    comments_signed: str
    count: str
    consent_head: str
    consent_link: str
    consent_tag: str


def snippets(public_url: str, site: Site) -> Snippets:
    base = public_url.rstrip("/")
    slug = site.slug
    embed = f'<script src="{base}/embed.js" data-site="{slug}" async></script>'
    return Snippets(
        comments=(
            '<div data-commentsvc-thread="ARTICLE-KEY" data-title="ARTICLE TITLE"'
            ' data-theme="auto"></div>\n' + embed
        ),
        comments_signed=(
            '<div data-commentsvc-thread="ARTICLE-KEY" data-title="ARTICLE TITLE"\n'
            '     data-url="ARTICLE-URL" data-sig="SIGNATURE" data-theme="auto"></div>\n' + embed
        ),
        count=(
            '<span data-commentsvc-count="ARTICLE-KEY">0</span>\n'
            f'<script src="{base}/count.js" data-site="{slug}" async></script>'
        ),
        consent_head=f'<script src="{base}/consent.js" data-site="{slug}" async></script>',
        consent_link='<button type="button" data-consent-open>Cookie settings</button>',
        consent_tag=(
            '<script type="text/plain" data-consent-category="analytics"'
            ' src="https://stats.example/s.js"></script>'
        ),
    )


@dataclass(frozen=True)
class SampleThread:
    """Stands in for a thread in the preview: nothing of it is stored."""

    key: str
    title: str
    comment_count: int
    locked: bool = False


def _comment(
    id_: int, name: str, html: str, at: datetime, score: int, depth: int = 0
) -> CommentView:
    return CommentView(
        id=id_,
        parent_id=1 if depth else None,
        depth=depth,
        author_name=name,
        body_html=html,
        status=CommentStatus.APPROVED,
        score=score,
        pinned=False,
        created_at=at,
        edited=False,
        my_vote=0,
        is_mine=False,
        can_edit=False,
    )


def _p(text: str) -> str:
    return f"<p>{escape(text)}</p>"


def sample_thread() -> tuple[SampleThread, list[CommentView]]:
    """A short thread in the reader's language: what the widget looks like on a page."""
    now = utcnow().replace(second=0, microsecond=0)
    reply = _comment(
        2,
        "Rauf",
        _p(_("Agreed. The second half is where it gets interesting.")),
        now - timedelta(minutes=40),
        3,
        depth=1,
    )
    first = _comment(
        1,
        "Aysel",
        _p(_("A clear piece, thank you. I would like to read more about this.")),
        now - timedelta(hours=2),
        5,
    )
    first.replies.append(reply)
    last = _comment(
        3,
        "Nigar",
        _p(_("Which sources did the author use? A link would help.")),
        now - timedelta(minutes=12),
        1,
    )
    thread = SampleThread(key="preview", title=_("Sample article"), comment_count=3)
    return thread, [first, last]
