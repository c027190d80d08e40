"""commentsvc: reader accounts, consent and moderated comments for news sites."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from flask import Flask, has_request_context, request
from flask_babel import get_locale
from flask_login import current_user

from commentsvc import config, security
from commentsvc.cache import SharedPageCache, best_language
from commentsvc.extensions import (
    babel,
    csrf,
    db,
    limiter,
    login_manager,
    migrate,
    render_migration_item,
)

ROOT = Path(__file__).resolve().parent.parent


def _select_locale() -> str | None:
    from flask import current_app

    # Outside a request (CLI commands, the mail worker) the default locale applies.
    if not has_request_context():
        return None
    languages = current_app.config["LANGUAGES"]
    if current_user and current_user.is_authenticated and current_user.locale in languages:
        return str(current_user.locale)
    return best_language(request.headers.get("Accept-Language"), languages)


def create_app(test_config: Mapping[str, Any] | None = None) -> Flask:
    app = Flask(
        __name__,
        instance_relative_config=True,
        template_folder=str(ROOT / "templates"),
    )
    app.config.from_object(config.Defaults)
    if test_config is None:
        app.config.from_prefixed_env("COMMENTSVC")
    else:
        app.config.update(test_config)
    config.finalise(app)
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)

    # First: its hooks must wrap the other extensions' (see security.init_app).
    security.init_app(app)
    db.init_app(app)
    migrate.init_app(
        app,
        db,
        directory=str(ROOT / "migrations"),
        render_item=render_migration_item,
        compare_type=True,
    )
    csrf.init_app(app)
    limiter.init_app(app)
    babel.init_app(
        app,
        locale_selector=_select_locale,
        default_translation_directories=str(ROOT / "translations"),
    )
    login_manager.init_app(app)
    app.jinja_env.globals["current_locale"] = lambda: str(get_locale() or "en")

    from commentsvc import (
        account,
        admin,
        api,
        auth,
        cli,
        consent,
        embed,
        main,
        moderation,
        notifications,
    )
    from commentsvc.auth.views import load_reader
    from commentsvc.consent.cli import consent_group
    from commentsvc.embed.cookies import SessionInterface

    app.session_interface = SessionInterface()
    login_manager.user_loader(load_reader)
    for blueprint in (
        main.bp,
        auth.bp,
        account.bp,
        admin.bp,
        consent.bp,
        api.bp,
        embed.embed_bp,
        embed.threads_bp,
        moderation.bp,
        notifications.bp,
    ):
        app.register_blueprint(blueprint)
    if app.debug:
        from commentsvc import dev

        app.register_blueprint(dev.bp)
    app.cli.add_command(cli.users)
    app.cli.add_command(cli.mail)
    app.cli.add_command(cli.sites_group)
    app.cli.add_command(consent_group)
    if app.config["SHARED_PAGE_CACHE_BYTES"]:
        app.wsgi_app = SharedPageCache(app, app.config["SHARED_PAGE_CACHE_BYTES"])  # type: ignore[method-assign]
    return app
