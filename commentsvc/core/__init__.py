"""What every part of the service shares: configuration, extensions, errors and error
pages, security headers, the mail outbox, signed tokens, the sanitiser, links, i18n."""

from __future__ import annotations

from pathlib import Path

from flask import Flask
from flask_babel import get_locale

from commentsvc.core.extensions import (
    babel,
    csrf,
    db,
    limiter,
    login_manager,
    migrate,
    render_migration_item,
)
from commentsvc.core.i18n import select_locale


def init_app(app: Flask, root: Path) -> None:
    from commentsvc.core import cli, dev, security, views
    from commentsvc.core import input as input_rule

    # First: its hooks must wrap the other extensions' (see security.init_app).
    security.init_app(app)
    # Before any blueprint (routes read the int converter) and before CSRF reads the form.
    input_rule.init_app(app)
    db.init_app(app)
    migrate.init_app(
        app,
        db,
        directory=str(root / "migrations"),
        render_item=render_migration_item,
        compare_type=True,
    )
    csrf.init_app(app)
    limiter.init_app(app)
    babel.init_app(
        app,
        locale_selector=select_locale,
        default_translation_directories=str(root / "translations"),
    )
    login_manager.init_app(app)
    app.jinja_env.globals["current_locale"] = lambda: str(get_locale() or "en")
    app.register_blueprint(views.bp)
    if app.debug:
        app.register_blueprint(dev.bp)
    app.cli.add_command(cli.mail)
