"""Comment threads: sites, threads, comments, votes, reports, reply notifications; the
widget and its first-party pages, the JSON API, comment counts, the sites admin."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    from commentsvc.comments import cli, rendering
    from commentsvc.comments.views import (
        admin,
        api,
        notifications,
        widget,
        widget_reports,  # noqa: F401 -- adds routes
    )

    # The widget in a site's iframe, and its first-party twin: the same pages.
    app.register_blueprint(widget.bp, name=widget.FRAMED, url_prefix="/embed")
    app.register_blueprint(widget.bp, name="threads", url_prefix="/threads")
    for blueprint in (api.bp, admin.bp, notifications.bp):
        app.register_blueprint(blueprint)
    app.cli.add_command(cli.sites_group)
    # Comments as a thread page shows them (the admin's widget preview uses it too).
    app.add_template_global(rendering.comment_items, "comment_items")
