"""Moderation: hold rules and word lists, the queue and decisions, bans and trust,
site moderators, the audit log and moderators' e-mail digests."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    from commentsvc.core import cli
    from commentsvc.moderation import digests, views
    from commentsvc.moderation.views import admin, admin_home

    app.register_blueprint(views.bp)
    app.register_blueprint(admin.bp)
    app.register_blueprint(admin_home.bp)
    # Moderators' held-comment digests join the outbox before each round of the mail
    # worker (each at most once per MODERATION_DIGEST_INTERVAL).
    cli.before_each_round(app, digests.queue_moderator_digests)
