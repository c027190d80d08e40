"""Moderation pages: the queue, decisions, reports, readers, threads, settings, audit log."""

from commentsvc.moderation.views import audit_log, live, queue, readers, settings, threads
from commentsvc.moderation.views.common import bp

# Each module registers its routes on bp (defined in common, which they all import).
__all__ = ["audit_log", "bp", "live", "queue", "readers", "settings", "threads"]
