"""Signed, purpose-bound, expiring tokens for links in e-mails."""

from __future__ import annotations

from typing import Any

from flask import current_app
from itsdangerous import BadData, URLSafeTimedSerializer

from commentsvc.core.errors import LinkInvalid


def _serializer(purpose: str) -> URLSafeTimedSerializer:
    # One salt per purpose: a verification link can never be used as a reset link.
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=f"commentsvc:{purpose}")


def make(purpose: str, payload: dict[str, Any]) -> str:
    return _serializer(purpose).dumps(payload)


def read(purpose: str, token: str, max_age: int) -> dict[str, Any]:
    """:raises LinkInvalid: forged, expired, malformed or for another purpose."""
    if len(token) > 1000:
        raise LinkInvalid
    try:
        payload = _serializer(purpose).loads(token, max_age=max_age)
    except BadData as exc:
        raise LinkInvalid from exc
    if not isinstance(payload, dict):
        raise LinkInvalid
    return payload
