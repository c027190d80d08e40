"""The mail worker: `flask --app commentsvc mail send-pending [--loop]`."""

from __future__ import annotations

import time
from collections.abc import Callable

import click
from flask import Flask, current_app
from flask.cli import AppGroup

from commentsvc.core.mail import deliver_pending

mail = AppGroup("mail", help="Deliver queued e-mail.")

ROUND_HOOKS = "commentsvc.mail_round_hooks"


def before_each_round(app: Flask, hook: Callable[[], object]) -> None:
    """Run hook before each delivery round, so the mail it queues goes out in that round."""
    app.extensions.setdefault(ROUND_HOOKS, []).append(hook)


@mail.command("send-pending")
@click.option("--loop", is_flag=True, help="Keep running, polling the outbox.")
@click.option("--interval", default=5.0, show_default=True, help="Seconds between polls.")
def send_pending(loop: bool, interval: float) -> None:
    """Deliver due messages from the outbox over SMTP (with retries and backoff)."""
    while True:
        for hook in current_app.extensions.get(ROUND_HOOKS, []):
            hook()
        sent, failed = deliver_pending()
        if sent or failed or not loop:
            click.echo(f"sent {sent}, failed attempts {failed}")
        if not loop:
            return
        time.sleep(interval)
