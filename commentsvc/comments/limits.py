"""Rate limits on posting comments, shared by the widget, its first-party twin and the API:
one budget per reader and one per client address (Flask-Limiter, memory or Redis)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar, cast

from flask import current_app
from flask_limiter.util import get_remote_address
from flask_login import current_user

from commentsvc.core.extensions import limiter

F = TypeVar("F", bound=Callable[..., object])


def _reader_key() -> str:
    # Views refuse anonymous posts anyway; their attempts count against the address.
    if current_user.is_authenticated:
        return f"reader:{current_user.id}"
    return f"ip:{get_remote_address()}"


def limit_posting(view: F) -> F:
    """Apply both posting limits to a view (the same counters on every posting view)."""
    per_reader = limiter.shared_limit(
        lambda: str(current_app.config["RATELIMIT_POST_READER"]),
        "post-reader",
        key_func=_reader_key,
    )
    per_ip = limiter.shared_limit(lambda: str(current_app.config["RATELIMIT_POST_IP"]), "post-ip")
    return cast(F, per_reader(per_ip(view)))


def limit_preview(view: F) -> F:
    """Previews of a comment's text: their own budget per reader and per client address."""
    per_reader = limiter.shared_limit(
        lambda: str(current_app.config["RATELIMIT_PREVIEW_READER"]),
        "preview-reader",
        key_func=_reader_key,
    )
    per_ip = limiter.shared_limit(
        lambda: str(current_app.config["RATELIMIT_PREVIEW_IP"]), "preview-ip"
    )
    return cast(F, per_reader(per_ip(view)))
