"""Comment threads: sites, threads, comments, votes, reports, reply notifications; the
widget and its first-party pages, the JSON API, comment counts, the sites admin."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    from commentsvc.comments import cli, rendering
    from commentsvc.comments import looks as widget_looks
    from commentsvc.comments.views import (
        admin,
        api,
        looks,
        notifications,
        widget,
        widget_live,  # noqa: F401 -- adds routes
        widget_reports,  # noqa: F401 -- adds routes
    )

    # The widget in a site's iframe, and its first-party twin: the same pages.
    app.register_blueprint(widget.bp, name=widget.FRAMED, url_prefix="/embed")
    app.register_blueprint(widget.bp, name="threads", url_prefix="/threads")
    for blueprint in (api.bp, admin.bp, notifications.bp, looks.bp):
        app.register_blueprint(blueprint)
    # frame.html: the reader's theme and the site's stylesheet (comments/looks.py).
    app.add_template_global(widget_looks.requested_theme, "widget_theme")
    app.add_template_global(widget_looks.stylesheet_url, "site_stylesheet_url")
    app.cli.add_command(cli.sites_group)
    # Comments as a thread page shows them (the admin's widget preview uses it too).
    app.add_template_global(rendering.comment_items, "comment_items")
