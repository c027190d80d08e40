"""Moving a site's comments in and out: imports from Disqus, WordPress and Isso, and a
documented export that reads back in losslessly; imported authors claiming their
comments."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    from commentsvc.transfer import cli, models, views  # noqa: F401 -- models: the tables

    app.register_blueprint(views.bp)
    app.cli.add_command(cli.import_group)
    app.cli.add_command(cli.export_command)
