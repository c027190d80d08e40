"""`flask --app commentsvc users …`: create an admin account, list accounts, remove the
passkeys and second factors of someone who lost them."""

from __future__ import annotations

import sys

import click
from flask.cli import AppGroup

from commentsvc.accounts import readers, signup, two_step
from commentsvc.accounts.identity import normalise_email
from commentsvc.core.errors import Invalid

users = AppGroup("users", help="Manage reader accounts.")


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
        reader, created = signup.create_admin(email, password, name)
    except Invalid as exc:
        raise click.ClickException(str(exc)) from exc
    except readers.DisplayNameTaken as exc:
        raise click.ClickException(f"The display name {name!r} is taken; use --name.") from exc
    verb = "Created" if created else "Promoted existing account"
    click.echo(f"{verb}: admin {reader.email} (id {reader.id}).")


@users.command("list")
def list_users() -> None:
    """List accounts: id, e-mail, display name, verified and admin marks."""
    for reader in signup.list_readers():
        marks = ",".join(
            m for m, on in (("verified", reader.is_verified), ("admin", reader.is_admin)) if on
        )
        click.echo(f"{reader.id}\t{reader.email}\t{reader.display_name}\t{marks}")


@users.command("reset-two-step")
@click.argument("email")
def reset_two_step(email: str) -> None:
    """Remove every passkey, authenticator app and recovery code of an account (its
    owner lost them all); an admin is asked to add a new factor at the next sign-in."""
    try:
        reader = readers.find_by_email(normalise_email(email))
    except Invalid as exc:
        raise click.ClickException(str(exc)) from exc
    if reader is None:
        raise click.ClickException(f"No account has the address {email!r}.")
    removed = two_step.remove_every_factor(reader)
    click.echo(f"Removed {removed} passkey(s) and any authenticator app of {reader.email}.")
