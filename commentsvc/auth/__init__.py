"""Sign-up, sign-in, sign-out, e-mail verification and password reset."""

from flask import Blueprint

bp = Blueprint("auth", __name__, url_prefix="/auth")

from commentsvc.auth import views  # noqa: E402, F401 -- registers the routes on bp
