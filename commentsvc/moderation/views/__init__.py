"""Moderation pages: the queue, decisions, reports, readers, threads, settings, audit log."""

from flask import Blueprint

from commentsvc.core import access
from commentsvc.moderation import moderators

bp = Blueprint("moderation", __name__, url_prefix="/moderation")
# Every page here is for admins and site moderators.
access.restrict(bp, moderators.can_moderate)

# Each module registers its routes on bp.
from commentsvc.moderation.views import (  # noqa: E402, F401
    audit_log,
    common,
    queue,
    readers,
    settings,
    threads,
)
