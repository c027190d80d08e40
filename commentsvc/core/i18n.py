"""Which language a page is in: the signed-in reader's choice, else the browser's."""

from __future__ import annotations

from collections.abc import Iterable
from functools import cache
from typing import Any, cast

import flask_babel
from babel import Locale
from babel.support import NullTranslations
from flask import Flask, current_app, g, has_request_context, request
from flask_login import current_user
from jinja2 import pass_context
from jinja2.runtime import Context
from markupsafe import Markup
from werkzeug.datastructures import LanguageAccept
from werkzeug.http import parse_accept_header

# Set on g by core.security when the database did not answer this request.
DATABASE_UNREACHABLE = "database_unreachable"


def best_language(accept_language: str | None, languages: Iterable[str]) -> str | None:
    """The language for a reader who is not signed in, from their Accept-Language."""
    if not accept_language:
        return None  # the default language
    return parse_accept_header(accept_language, LanguageAccept).best_match(list(languages))


def select_locale() -> Locale | None:
    """Flask-Babel's locale selector."""
    # Outside a request (CLI commands, the mail worker) the default locale applies.
    if not has_request_context():
        return None
    languages = current_app.config["LANGUAGES"]
    # With the database away (core.security's 503 page), a reader not loaded yet is not
    # looked up: that would fail, or wait for the connect timeout, a second time.
    user = g.get("_login_user") if g.get(DATABASE_UNREACHABLE) else current_user
    if user and user.is_authenticated and user.locale in languages:
        return _locale(str(user.locale))
    found = best_language(request.headers.get("Accept-Language"), languages)
    return _locale(found or current_app.config["BABEL_DEFAULT_LOCALE"])


@cache
def _locale(name: str) -> Locale:
    """One Locale object per language for the process: Flask-Babel takes it as it is, so
    a request does not parse the name again, and translations() finds its catalogue."""
    return Locale.parse(name)


# --- templates' gettext ------------------------------------------------------------------

_TRANSLATIONS = "commentsvc.translations"
_KEPT_LOCALES = 64


def translations() -> NullTranslations:
    """flask_babel.get_translations(), remembered for the locale object in force.

    A staff page asks for hundreds of strings, and finding the catalogue by the locale's
    name took longer than translating. The locale object of a request (or of a
    force_locale block, as e-mails use) is the key: it is held with its catalogue, so its
    id cannot be reused while it is kept.
    """
    locale: Locale | None = flask_babel.get_locale()
    if locale is None:
        return cast(NullTranslations, flask_babel.get_translations())
    kept: dict[int, tuple[Locale, NullTranslations]]
    kept = current_app.extensions.setdefault(_TRANSLATIONS, {})
    found = kept.get(id(locale))
    if found is not None and found[0] is locale:
        return found[1]
    made = cast(NullTranslations, flask_babel.get_translations())
    if len(kept) >= _KEPT_LOCALES:
        kept.clear()
    kept[id(locale)] = (locale, made)
    return made


@pass_context
def _template_gettext(context: Context, string: str, **variables: Any) -> str:
    """{{ _("…") }}: as Jinja's own newstyle gettext (escaped arguments, always a format
    string), with the catalogue from translations()."""
    found: str = translations().ugettext(string)
    if context.eval_ctx.autoescape:
        return Markup(found) % variables  # noqa: S704 - our catalogue, as Jinja does
    return found % variables


@pass_context
def _template_ngettext(
    context: Context, singular: str, plural: str, num: int, **variables: Any
) -> str:
    variables.setdefault("num", num)
    found: str = translations().ungettext(singular, plural, num)
    if context.eval_ctx.autoescape:
        return Markup(found) % variables  # noqa: S704 - our catalogue, as Jinja does
    return found % variables


def init_templates(app: Flask) -> None:
    """Templates translate through translations() (after Flask-Babel's init_app)."""
    app.jinja_env.globals.update(gettext=_template_gettext, ngettext=_template_ngettext)
    app.jinja_env.globals["_"] = _template_gettext
