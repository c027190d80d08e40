"""Consent and policies: versioned privacy policy, terms and cookie policy, the banner
(consent.js) and its settings, and the records that prove each decision."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    from commentsvc.consent import cli
    from commentsvc.consent.views import (
        admin,
        admin_policies,  # noqa: F401 -- adds admin routes
        api,
        pages,
    )

    for blueprint in (pages.bp, api.bp, admin.bp):
        app.register_blueprint(blueprint)
    app.cli.add_command(cli.consent_group)
