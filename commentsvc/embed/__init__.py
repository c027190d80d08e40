"""The comment widget (/embed, framed by registered sites) and its first-party twin (/threads)."""

from commentsvc.embed import reports  # noqa: F401 -- adds the Report route to both blueprints
from commentsvc.embed.views import embed_bp, threads_bp

__all__ = ["embed_bp", "threads_bp"]
