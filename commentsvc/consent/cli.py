"""`flask --app commentsvc consent purge`: delete consent records past each site's retention."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from commentsvc.consent import records

consent_group = AppGroup("consent", help="Proof of consent records.")


@consent_group.command("purge")
def purge() -> None:
    """Delete each site's consent records older than its retention period (run it daily)."""
    deleted = records.purge()
    for slug, count in sorted(deleted.items()):
        click.echo(f"{slug}\t{count}")
    click.echo(f"Deleted {sum(deleted.values())} consent record(s) past their retention period.")
