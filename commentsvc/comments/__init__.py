"""Comment threads: sites, threads, comments, votes, reports, reply notifications; the
widget and its first-party pages, the JSON API, comment counts, the sites admin."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    from commentsvc.comments import cli
    from commentsvc.comments.views import (
        admin,
        api,
        notifications,
        widget_reports,  # noqa: F401 -- adds routes
    )
    from commentsvc.comments.views.widget import embed_bp, threads_bp

    for blueprint in (embed_bp, threads_bp, api.bp, admin.bp, notifications.bp):
        app.register_blueprint(blueprint)
    app.cli.add_command(cli.sites_group)
