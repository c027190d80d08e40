"""What every part of the service shares: configuration, extensions, errors and error
pages, security headers, the mail outbox, signed tokens, the sanitiser, links, i18n."""

from __future__ import annotations

from pathlib import Path

from flask import Flask
from flask_babel import get_locale
from sqlalchemy.exc import DBAPIError

from commentsvc.core.extensions import (
    babel,
    csrf,
    db,
    limiter,
    login_manager,
    migrate,
    render_migration_item,
)
from commentsvc.core.i18n import init_templates, select_locale


def end_session_even_if_the_database_left(exc: BaseException | None) -> None:
    """End the request's database session; when the database went away under the
    request (a restart), drop the broken connection instead of rolling it back, which
    would fail after the answer was made and turn it into a 500."""
    session = db.session()
    try:
        session.close()
    except DBAPIError:
        session.invalidate()
    db.session.remove()


def init_app(app: Flask, root: Path) -> None:
    from commentsvc.comments import search
    from commentsvc.core import (
        backup,
        cdn,
        cli,
        dev,
        logs,
        metrics,
        security,
        static_files,
        transactions,
        views,
    )
    from commentsvc.core import input as input_rule

    logs.init_app(app)
    # First: its hooks must wrap the other extensions' (see security.init_app).
    security.init_app(app)
    cdn.init_app(app, root)
    # Before any blueprint (routes read the int converter) and before CSRF reads the form.
    input_rule.init_app(app)
    db.init_app(app)
    # Registered after Flask-SQLAlchemy's own teardown, so it runs first (see below).
    app.teardown_appcontext(end_session_even_if_the_database_left)
    transactions.init_app(app)
    migrate.init_app(
        app,
        db,
        directory=str(root / "migrations"),
        render_item=render_migration_item,
        compare_type=True,
        # The word-search index lives outside the models (see comments.search).
        include_name=search.include_name,
    )
    csrf.init_app(app)
    limiter.init_app(app)
    warn_if_rate_limits_are_per_process(app)
    babel.init_app(
        app,
        locale_selector=select_locale,
        default_translation_directories=str(root / "translations"),
    )
    init_templates(app)
    login_manager.init_app(app)
    app.jinja_env.globals["current_locale"] = lambda: str(get_locale() or "en")
    app.register_blueprint(views.bp)
    static_files.init_app(app)
    metrics.init_app(app)
    if app.debug:
        app.register_blueprint(dev.bp)
    app.cli.add_command(cli.mail)
    backup.init_app(app)


def warn_if_rate_limits_are_per_process(app: Flask) -> None:
    """Log a warning when a production app keeps its rate-limit counters in memory.

    Memory counters belong to one process: with `gunicorn -w 2` each worker counts on its
    own, so every limit is twice as high (and a restart forgets them). Redis shares them.
    Logged at app creation: once under gunicorn.conf.py (it preloads the app), once per
    worker without it.
    """
    if app.debug or app.testing or not app.config["RATELIMIT_ENABLED"]:
        return
    if str(app.config["RATELIMIT_STORAGE_URI"]).startswith("memory://"):
        app.logger.warning(
            "Rate limits are counted in this process's memory: with more than one worker "
            "process (gunicorn -w N) each counts on its own, so every limit is N times "
            "higher. Set COMMENTSVC_REDIS_URL to share the counters."
        )
