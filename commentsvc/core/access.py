"""Who may open a staff blueprint: one check before every request, for every staff page."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Blueprint, Flask, abort, current_app
from flask_login import current_user
from werkzeug.wrappers import Response

GATES = "commentsvc.staff_gates"


def is_admin(reader: Any) -> bool:
    return bool(reader.is_admin)


def restrict(bp: Blueprint, allowed: Callable[[Any], bool]) -> None:
    """Open every page of bp only to signed-in readers for whom allowed(reader) holds.

    Signed-out visitors are sent to sign in; other readers get 403. A widget session
    never counts here: it is valid under /embed only (accounts.views.auth.load_reader).
    """

    @bp.before_request
    def _staff_only() -> Response | None:
        if not current_user.is_authenticated:
            unauthorized: Response = current_app.login_manager.unauthorized()  # type: ignore[attr-defined]
            return unauthorized
        reader = current_user._get_current_object()
        if not allowed(reader):
            abort(403)
        for gate in current_app.extensions.get(GATES, []):
            answer: Response | None = gate(reader)
            if answer is not None:
                return answer
        return None


def add_staff_gate(app: Flask, gate: Callable[[Any], Response | None]) -> None:
    """Run gate(reader) before every staff page, after the role check: a response (a
    redirect) stops the request there. The accounts package adds two-step sign-in."""
    app.extensions.setdefault(GATES, []).append(gate)
