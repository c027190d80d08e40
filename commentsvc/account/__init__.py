"""The signed-in reader's own account page and its actions."""

from flask import Blueprint

bp = Blueprint("account", __name__, url_prefix="/account")

from commentsvc.account import views  # noqa: E402, F401 -- registers the routes on bp
