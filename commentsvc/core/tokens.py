"""Signed, purpose-bound, expiring tokens for links in e-mails and forms.

Each purpose is one `TokenService` declared below, with its own salt and lifetime,
so a call reads `tokens.PASSWORD_RESET.make(...)` and no caller repeats a purpose
string or a config key. One salt per purpose: a verification link can never be
used as a reset link, nor an unsubscribe link as anything else.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import current_app
from itsdangerous import BadData, URLSafeTimedSerializer

from commentsvc.core.errors import LinkInvalid

# Longer strings are refused before any signature check.
TOKEN_MAX = 1000


@dataclass(frozen=True)
class TokenService:
    """Tokens for one purpose. max_age is a config key (so deployments can change it)
    or a number of seconds."""

    purpose: str
    max_age: str | int

    def _serializer(self) -> URLSafeTimedSerializer:
        return URLSafeTimedSerializer(
            current_app.config["SECRET_KEY"], salt=f"commentsvc:{self.purpose}"
        )

    def lifetime(self) -> int:
        """Seconds a token stays valid."""
        if isinstance(self.max_age, int):
            return self.max_age
        return int(current_app.config[self.max_age])

    def make(self, payload: dict[str, Any]) -> str:
        return self._serializer().dumps(payload)

    def read(self, token: str) -> dict[str, Any]:
        """The payload.

        :raises LinkInvalid: forged, expired, malformed or made for another purpose.
        """
        if len(token) > TOKEN_MAX:
            raise LinkInvalid
        try:
            payload = self._serializer().loads(token, max_age=self.lifetime())
        except BadData as exc:
            raise LinkInvalid from exc
        if not isinstance(payload, dict):
            raise LinkInvalid
        return payload


PASSWORD_RESET = TokenService("password-reset", "RESET_TOKEN_MAX_AGE")
EMAIL_VERIFICATION = TokenService("verify-email", "VERIFY_TOKEN_MAX_AGE")
EMAIL_CHANGE = TokenService("change-email", "VERIFY_TOKEN_MAX_AGE")
# In the notice to the old address: cancels every pending change, nothing else.
EMAIL_CHANGE_CANCEL = TokenService("cancel-email-change", "VERIFY_TOKEN_MAX_AGE")
UNSUBSCRIBE = TokenService("unsubscribe", "UNSUBSCRIBE_TOKEN_MAX_AGE")
# When the comment form was shown (an abuse brake: a form sent too fast is held).
FORM_TIMING = TokenService("comment-form", 30 * 24 * 3600)
