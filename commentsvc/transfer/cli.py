"""`flask --app commentsvc import disqus|wordpress|isso|json …` and `… export`."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from pathlib import Path

import click
from flask.cli import AppGroup, with_appcontext

from commentsvc.comments import sites
from commentsvc.comments.models import Site
from commentsvc.core.errors import Invalid
from commentsvc.transfer import export
from commentsvc.transfer.disqus import DisqusExport, KeyFrom
from commentsvc.transfer.isso import IssoDatabase
from commentsvc.transfer.jsonfile import ServiceExport, create_site
from commentsvc.transfer.records import BadSource, Source, SourceThread
from commentsvc.transfer.wordpress import WordPressExport
from commentsvc.transfer.writer import BATCH, Writer

import_group = AppGroup(
    "import", help="Move a site's comments in from Disqus, WordPress, Isso or an export."
)

FILE = click.Path(exists=True, dir_okay=False, path_type=Path)
SITE = click.option("--site", "site_slug", required=True, help="The slug of the site to fill.")
DRY_RUN = click.option(
    "--dry-run", is_flag=True, help="Read the file and tell what would be made; write nothing."
)


def key_from(default: KeyFrom, what: str) -> Callable[[Callable[..., None]], Callable[..., None]]:
    return click.option(
        "--key-from",
        type=click.Choice(["identifier", "url"]),
        default=default,
        show_default=True,
        help=f"Key threads by {what}. Use what the site's snippet puts in data-commentsvc-thread.",
    )


def _site(slug: str) -> Site:
    site = sites.get_site(slug)
    if site is None:
        raise click.ClickException(f"There is no site with the slug {slug!r}.")
    return site


def run(
    source: Source,
    path: Path,
    site: Site | Callable[[bool], Site],
    dry_run: bool,
    batch: int = BATCH,
) -> None:
    """Check the whole file, then write it a batch at a time, with a progress bar.

    site may be a function of dry_run, called once the file is checked (the site an
    export describes is only known, or made, then).
    """
    started = time.monotonic()
    click.echo(f"Checking {path.name}…", err=True)
    try:
        scan = source.scan()
        target = site if isinstance(site, Site) else site(dry_run)
    except BadSource as exc:
        raise click.ClickException(f"{path.name}: {exc} Nothing was imported.") from exc
    click.echo(f"Found {scan.threads:,} threads and {scan.comments:,} comments.", err=True)
    for why, count in sorted(scan.skipped.items()):
        click.echo(f"Left out: {count:,} {why}.", err=True)
    label = "Reading (dry run)" if dry_run else "Importing"
    with click.progressbar(
        length=max(scan.comments, 1), label=label, show_pos=True, show_eta=True, file=sys.stderr
    ) as bar:
        writer = Writer(target, source.name, dry_run=dry_run, batch_size=batch, progress=bar.update)
        try:
            for item in source.items():
                if isinstance(item, SourceThread):
                    writer.add_thread(item)
                else:
                    writer.add(item)
            tally = writer.finish()
        except BadSource as exc:  # the file changed since it was checked
            raise click.ClickException(
                f"{path.name}: {exc} Whole batches written so far stay; "
                "running the import again carries on from them."
            ) from exc
    seconds = time.monotonic() - started
    heading = "Would make" if dry_run else "Made"
    click.echo(f"{heading} on {target.slug}:")
    for line in tally.lines():
        click.echo(f"  {line}")
    rate = scan.comments / seconds if seconds else 0.0
    click.echo(f"{scan.comments:,} comments read in {seconds:.1f} s ({rate:,.0f}/s).")


@import_group.command("disqus")
@click.argument("file", type=FILE)
@SITE
@key_from(
    "identifier",
    "the article identifier Disqus had (the URL's path when there is none), "
    "or always by the URL's path",
)
@DRY_RUN
def import_disqus(file: Path, site_slug: str, key_from: KeyFrom, dry_run: bool) -> None:
    """Import a Disqus XML export (threads, posts, replies, deleted and spam)."""
    run(DisqusExport(file, key_from), file, _site(site_slug), dry_run)


@import_group.command("json")
@click.argument("file", type=FILE)
@click.option(
    "--site",
    "site_slug",
    help="Import into this site instead of the one the export describes "
    "(which is registered, with its settings, when there is none of that slug).",
)
@DRY_RUN
def import_json(file: Path, site_slug: str | None, dry_run: bool) -> None:
    """Import an export of this service (`flask export`), e.g. to move a site."""
    source = ServiceExport(file)

    def target(dry_run: bool) -> Site:
        if site_slug:
            return _site(site_slug)
        found = sites.get_site(source.site["slug"])
        if found is not None:
            return found
        if dry_run:
            click.echo(f"Would register the site {source.site['slug']}.", err=True)
            return Site(id=-1, slug=source.site["slug"])
        try:
            made = create_site(source.site)
        except Invalid as exc:
            raise BadSource(f"line 1: the site cannot be registered: {exc}") from exc
        click.echo(f"Registered the site {made.slug}.", err=True)
        return made

    run(source, file, target, dry_run)


@click.command("export")
@with_appcontext
@click.option("--site", "site_slug", required=True, help="The slug of the site to export.")
@click.option(
    "--out",
    type=click.Path(dir_okay=False, writable=True, path_type=Path),
    help="Write to this file instead of standard output.",
)
@click.option(
    "--include-emails",
    is_flag=True,
    help="Include authors' e-mail addresses (left out unless asked for).",
)
def export_command(site_slug: str, out: Path | None, include_emails: bool) -> None:
    """Write a site's threads and comments as JSON Lines (format documented in
    commentsvc/transfer/schema/export-1.schema.json)."""
    site = _site(site_slug)
    if out is None:
        for line in export.lines(site, include_emails):
            click.echo(line, nl=False)
        return
    partial = out.with_name(out.name + ".partial")
    with partial.open("w", encoding="utf-8") as stream:
        stream.writelines(export.lines(site, include_emails))
    partial.replace(out)
    click.echo(f"Wrote {out}.", err=True)


@import_group.command("wordpress")
@click.argument("file", type=FILE)
@SITE
@key_from("url", "the path of the post's link, or by post-ID (its WordPress post id)")
@DRY_RUN
def import_wordpress(file: Path, site_slug: str, key_from: KeyFrom, dry_run: bool) -> None:
    """Import a WordPress export (WXR, from Tools → Export): comments with their replies,
    pending, spam and trash; pingbacks and trackbacks are left out."""
    run(WordPressExport(file, key_from), file, _site(site_slug), dry_run)


@import_group.command("isso")
@click.argument("file", type=FILE)
@SITE
@DRY_RUN
def import_isso(file: Path, site_slug: str, dry_run: bool) -> None:
    """Import an Isso database (its comments.db, read only): comments with their replies,
    pending and deleted; pages are keyed by their path, as Isso keys them."""
    run(IssoDatabase(file), file, _site(site_slug), dry_run)
