"""`flask --app commentsvc sites …`: register sites, add moderators, list sites."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from commentsvc.comments import sites
from commentsvc.comments.models import ModerationPolicy
from commentsvc.core.errors import Invalid, ServiceError
from commentsvc.moderation import moderators

sites_group = AppGroup("sites", help="Register the news sites that embed comments.")


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
    except Invalid as exc:
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
    except ServiceError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"{reader.email} now moderates {site.slug}.")


@sites_group.command("list")
def list_sites() -> None:
    """List sites: slug, name, moderation policy and origins."""
    for site in sites.list_sites():
        click.echo(f"{site.slug}\t{site.name}\t{site.moderation_policy}\t{' '.join(site.origins)}")
