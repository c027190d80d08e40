"""Command-line tools: `flask --app commentsvc users …` and `… mail …`."""

from __future__ import annotations

import sys
import time

import click
from flask.cli import AppGroup

from commentsvc.mail import deliver_pending
from commentsvc.models import ModerationPolicy
from commentsvc.services import accounts, moderators, notifications, sites

users = AppGroup("users", help="Manage reader accounts.")
mail = AppGroup("mail", help="Deliver queued e-mail.")
sites_group = AppGroup("sites", help="Register the news sites that embed comments.")


def _read_password() -> str:
    # Never an argument: it would land in shell history and the process list.
    if sys.stdin.isatty():
        return str(click.prompt("Password", hide_input=True, confirmation_prompt=True))
    return sys.stdin.readline().rstrip("\r\n")


@users.command("create-admin")
@click.argument("email")
@click.option("--name", default="Admin", show_default=True, help="Display name.")
def create_admin(email: str, name: str) -> None:
    """Create an admin account (password from a prompt or stdin), or promote an existing one."""
    password = _read_password()
    try:
        reader, created = accounts.create_admin(email, password, name)
    except accounts.InvalidInput as exc:
        raise click.ClickException(str(exc)) from exc
    except accounts.DisplayNameTaken as exc:
        raise click.ClickException(f"The display name {name!r} is taken; use --name.") from exc
    verb = "Created" if created else "Promoted existing account"
    click.echo(f"{verb}: admin {reader.email} (id {reader.id}).")


@users.command("list")
def list_users() -> None:
    """List accounts: id, e-mail, display name, verified and admin marks."""
    for reader in accounts.list_readers():
        marks = ",".join(
            m for m, on in (("verified", reader.is_verified), ("admin", reader.is_admin)) if on
        )
        click.echo(f"{reader.id}\t{reader.email}\t{reader.display_name}\t{marks}")


@mail.command("send-pending")
@click.option("--loop", is_flag=True, help="Keep running, polling the outbox.")
@click.option("--interval", default=5.0, show_default=True, help="Seconds between polls.")
def send_pending(loop: bool, interval: float) -> None:
    """Deliver due messages from the outbox over SMTP (with retries and backoff)."""
    while True:
        # Moderators' held-comment digests join the outbox first (each at most once
        # per MODERATION_DIGEST_INTERVAL), so this round delivers them too.
        notifications.queue_moderator_digests()
        sent, failed = deliver_pending()
        if sent or failed or not loop:
            click.echo(f"sent {sent}, failed attempts {failed}")
        if not loop:
            return
        time.sleep(interval)


@sites_group.command("create")
@click.argument("slug")
@click.option("--name", required=True, help="The site's name, shown to moderators.")
@click.option(
    "--origin",
    "origins",
    multiple=True,
    required=True,
    help="An origin the site's articles are served from, e.g. https://news.example (repeatable).",
)
@click.option(
    "--hold-all",
    is_flag=True,
    help="Hold every new comment for moderation.",
)
def create_site(slug: str, name: str, origins: tuple[str, ...], hold_all: bool) -> None:
    """Register a site that may embed comment threads."""
    policy = ModerationPolicy.HOLD_ALL if hold_all else ModerationPolicy.HOLD_NONE
    try:
        site = sites.create_site(slug, name, list(origins), policy)
    except accounts.InvalidInput as exc:
        raise click.ClickException(str(exc)) from exc
    except sites.SiteExists as exc:
        raise click.ClickException(f"A site with the slug {slug!r} already exists.") from exc
    click.echo(f"Created site {site.slug} ({site.name}) for {', '.join(site.origins)}.")


@sites_group.command("add-moderator")
@click.argument("slug")
@click.argument("email")
def add_moderator(slug: str, email: str) -> None:
    """Let the account with EMAIL moderate the site SLUG."""
    site = sites.get_site(slug)
    if site is None:
        raise click.ClickException(f"There is no site with the slug {slug!r}.")
    try:
        reader = moderators.add_moderator(None, site, email)
    except moderators.ModerationError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"{reader.email} now moderates {site.slug}.")


@sites_group.command("list")
def list_sites() -> None:
    """List sites: slug, name, moderation policy and origins."""
    for site in sites.list_sites():
        click.echo(f"{site.slug}\t{site.name}\t{site.moderation_policy}\t{' '.join(site.origins)}")
