"""`flask --app commentsvc import disqus|wordpress|isso|json …` and `… export`."""

from __future__ import annotations

import sys
import time
from pathlib import Path

import click
from flask.cli import AppGroup

from commentsvc.comments import sites
from commentsvc.comments.models import Site
from commentsvc.transfer.disqus import DisqusExport, KeyFrom
from commentsvc.transfer.records import BadSource, Source
from commentsvc.transfer.writer import BATCH, Writer

import_group = AppGroup(
    "import", help="Move a site's comments in from Disqus, WordPress, Isso or an export."
)

FILE = click.Path(exists=True, dir_okay=False, path_type=Path)
SITE = click.option("--site", "site_slug", required=True, help="The slug of the site to fill.")
DRY_RUN = click.option(
    "--dry-run", is_flag=True, help="Read the file and tell what would be made; write nothing."
)
KEY_FROM = click.option(
    "--key-from",
    type=click.Choice(["identifier", "url"]),
    default="identifier",
    show_default=True,
    help="Key threads by the source's article identifier (its URL path when it has none), "
    "or always by the URL path. Use what the site's snippet puts in data-commentsvc-thread.",
)


def _site(slug: str) -> Site:
    site = sites.get_site(slug)
    if site is None:
        raise click.ClickException(f"There is no site with the slug {slug!r}.")
    return site


def run(source: Source, path: Path, site: Site, dry_run: bool, batch: int = BATCH) -> None:
    """Check the whole file, then write it a batch at a time, with a progress bar."""
    started = time.monotonic()
    click.echo(f"Checking {path.name}…", err=True)
    try:
        scan = source.scan()
    except BadSource as exc:
        raise click.ClickException(f"{path.name}: {exc} Nothing was imported.") from exc
    click.echo(f"Found {scan.threads:,} threads and {scan.comments:,} comments.", err=True)
    for why, count in sorted(scan.skipped.items()):
        click.echo(f"Left out: {count:,} {why}.", err=True)
    label = "Reading (dry run)" if dry_run else "Importing"
    with click.progressbar(
        length=max(scan.comments, 1), label=label, show_pos=True, show_eta=True, file=sys.stderr
    ) as bar:
        writer = Writer(site, source.name, dry_run=dry_run, batch_size=batch, progress=bar.update)
        try:
            for comment in source.comments():
                writer.add(comment)
            tally = writer.finish()
        except BadSource as exc:  # the file changed since it was checked
            raise click.ClickException(
                f"{path.name}: {exc} Whole batches written so far stay; "
                "running the import again carries on from them."
            ) from exc
    seconds = time.monotonic() - started
    heading = "Would make" if dry_run else "Made"
    click.echo(f"{heading} on {site.slug}:")
    for line in tally.lines():
        click.echo(f"  {line}")
    rate = scan.comments / seconds if seconds else 0.0
    click.echo(f"{scan.comments:,} comments read in {seconds:.1f} s ({rate:,.0f}/s).")


@import_group.command("disqus")
@click.argument("file", type=FILE)
@SITE
@KEY_FROM
@DRY_RUN
def import_disqus(file: Path, site_slug: str, key_from: KeyFrom, dry_run: bool) -> None:
    """Import a Disqus XML export (threads, posts, replies, deleted and spam)."""
    run(DisqusExport(file, key_from), file, _site(site_slug), dry_run)
