"""The mail worker (`flask --app commentsvc mail send-pending [--loop]`) and the purge of
expired rows (`flask --app commentsvc purge`), which the worker's loop also runs."""

from __future__ import annotations

import time
from collections.abc import Callable

import click
from flask import Flask, current_app
from flask.cli import AppGroup, with_appcontext

from commentsvc.core.mail import deliver_pending

mail = AppGroup("mail", help="Deliver queued e-mail.")

ROUND_HOOKS = "commentsvc.mail_round_hooks"
PURGES = "commentsvc.purges"
# Seconds between two purges in the mail worker's loop.
PURGE_INTERVAL = 600.0


def before_each_round(app: Flask, hook: Callable[[], object]) -> None:
    """Run hook before each delivery round, so the mail it queues goes out in that round."""
    app.extensions.setdefault(ROUND_HOOKS, []).append(hook)


def register_purge(app: Flask, what: str, purge: Callable[[], int]) -> None:
    """Have `flask purge` and the mail worker call purge, which deletes expired rows
    and returns how many; what names them in the output ("expired reader sessions")."""
    if PURGES not in app.extensions:
        app.cli.add_command(purge_command)
    app.extensions.setdefault(PURGES, []).append((what, purge))


def run_purges() -> list[tuple[str, int]]:
    """Run every registered purge; (what, how many deleted) for each."""
    return [(what, purge()) for what, purge in current_app.extensions.get(PURGES, [])]


@click.command("purge")
@with_appcontext
def purge_command() -> None:
    """Delete expired rows: sign-in codes, sessions and other stored tokens."""
    for what, count in run_purges():
        click.echo(f"Deleted {count} {what}.")


@mail.command("send-pending")
@click.option("--loop", is_flag=True, help="Keep running, polling the outbox.")
@click.option("--interval", default=5.0, show_default=True, help="Seconds between polls.")
def send_pending(loop: bool, interval: float) -> None:
    """Deliver due messages from the outbox over SMTP (with retries and backoff).

    Expired rows are purged first (as by `flask purge`), and with --loop every ten minutes.
    """
    last_purge: float | None = None
    while True:
        if last_purge is None or time.monotonic() - last_purge >= PURGE_INTERVAL:
            last_purge = time.monotonic()
            for what, count in run_purges():
                if count:
                    click.echo(f"Deleted {count} {what}.")
        for hook in current_app.extensions.get(ROUND_HOOKS, []):
            hook()
        sent, failed = deliver_pending()
        if sent or failed or not loop:
            click.echo(f"sent {sent}, failed attempts {failed}")
        if not loop:
            return
        time.sleep(interval)
