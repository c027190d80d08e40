"""Moderation pages: the queue, decisions, reports, readers, threads, settings, audit log."""

from flask import Blueprint

bp = Blueprint("moderation", __name__, url_prefix="/moderation")

# Each module registers its routes on bp.
from commentsvc.moderation import audit_log, common, readers, settings, threads, views  # noqa: E402, F401
