"""Database tables, one module per area. Behaviour lives in commentsvc.services."""

from .accounts import OutboxMessage, OutboxStatus, PolicyAcceptance, Reader, ReaderSession
from .comments import (
    Comment,
    CommentStatus,
    EmbedSignInCode,
    ModerationPolicy,
    Site,
    Thread,
    Vote,
)

__all__ = [
    "Comment",
    "CommentStatus",
    "EmbedSignInCode",
    "ModerationPolicy",
    "OutboxMessage",
    "OutboxStatus",
    "PolicyAcceptance",
    "Reader",
    "ReaderSession",
    "Site",
    "Thread",
    "Vote",
]
