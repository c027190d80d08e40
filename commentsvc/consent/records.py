"""Proof of consent: checking and storing decisions, reading, exporting and purging them.

Records are append-only: nothing here updates one, and only purge() deletes, past
each site's retention period.
"""

from __future__ import annotations

import csv
import hashlib
import io
import ipaddress
import re
import uuid
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from flask import current_app
from flask_babel import lazy_gettext as _l
from flask_sqlalchemy.pagination import Pagination
from itsdangerous import BadData, Signer
from sqlalchemy import Select, delete, select

from commentsvc.accounts.models import Reader
from commentsvc.comments import sites
from commentsvc.comments.models import Site
from commentsvc.consent import banner_settings
from commentsvc.consent.models import (
    ConsentAction,
    ConsentCategory,
    ConsentRecord,
    ConsentSettings,
    ConsentSource,
)
from commentsvc.core.errors import Forbidden, Invalid
from commentsvc.core.extensions import db, utcnow

UUID_RE = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")
HASH_RE = re.compile(r"^[0-9a-f]{64}$")
FIELDS = {
    "site",
    "consent_id",
    "action",
    "source",
    "granted",
    "refused",
    "revision",
    "settings_version",
    "language",
    "text_hash",
    "gpc",
}
# Largest decision body accepted, in bytes; a real one is about 400.
MAX_BODY = 4096
PAGE_SIZE = 50


# A signed consent ID is the UUID, a dot and an HMAC-SHA256 in URL-safe base64 (80 characters).
SIGNED_ID_MAX = 100


class RecordInvalid(Invalid):
    """The decision is malformed or does not match what the banner could have shown."""


class ConsentIdRefused(Forbidden):
    """A consent ID the service did not issue, or issued for another site."""


def _signer(site: Site) -> Signer:
    # One salt per site: an ID issued for one site is refused on every other.
    return Signer(
        current_app.config["SECRET_KEY"],
        salt=f"commentsvc:consent-id:{site.id}",
        key_derivation="hmac",
        digest_method=hashlib.sha256,
    )


def sign_consent_id(site: Site, consent_id: str) -> str:
    """The consent ID as the banner keeps it and sends it back: "<uuid>.<signature>"."""
    return _signer(site).sign(consent_id).decode("ascii")


def read_consent_id(site: Site, signed: str) -> str:
    """The UUID inside a consent ID the service issued for this site.

    :raises ConsentIdRefused: unsigned, forged, or signed for another site.
    """
    refused = ConsentIdRefused(_l("This consent ID was not issued by this service for this site."))
    if len(signed) > SIGNED_ID_MAX:
        raise refused
    try:
        consent_id = _signer(site).unsign(signed).decode("ascii")
    except (BadData, UnicodeError) as exc:
        raise refused from exc
    if not UUID_RE.match(consent_id):
        raise refused
    return consent_id


def _consent_id(site: Site, data: dict[str, Any]) -> str:
    """The decision's consent ID: a new random one when it names none, else the one the
    service issued for this site earlier."""
    value = data.get("consent_id")
    if value is None:
        return str(uuid.uuid4())
    if not isinstance(value, str):
        raise RecordInvalid(_l("consent_id must be the consent ID the service issued."))
    return read_consent_id(site, value)


@dataclass(frozen=True)
class RequestFacts:
    """What the HTTP request itself says about the decision."""

    remote_addr: str | None
    user_agent: str
    sec_gpc: bool
    dnt: bool | None
    # Only for a decision sent with the service's own first-party session.
    reader_id: int | None = None


def truncate_ip(address: str | None) -> str:
    """The /24 of an IPv4 address or the /48 of an IPv6 one; "" if there is none."""
    try:
        ip = ipaddress.ip_address(address or "")
    except ValueError:
        return ""
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    prefix = 24 if ip.version == 4 else 48
    return str(ipaddress.ip_network(f"{ip}/{prefix}", strict=False))


# Order matters: Edge and Opera also say Chrome; Chrome also says Safari.
BROWSERS = (
    ("edge", ("Edg/", "Edge/", "EdgA/", "EdgiOS/")),
    ("opera", ("OPR/", "Opera")),
    ("samsung", ("SamsungBrowser/",)),
    ("firefox", ("Firefox/", "FxiOS/")),
    ("chrome", ("Chrome/", "Chromium/", "CriOS/")),
    ("safari", ("Safari/",)),
)


def browser_family(user_agent: str) -> str:
    """A coarse browser name from a User-Agent: chrome, firefox, safari, edge, … or other."""
    for name, markers in BROWSERS:
        if any(marker in user_agent for marker in markers):
            return name
    return "other"


def _int(data: dict[str, Any], key: str) -> int:
    value = data.get(key)
    if not isinstance(value, int) or isinstance(value, bool) or not 0 < value < 2**31:
        raise RecordInvalid(_l("%(key)s must be a positive whole number.", key=key))
    return value


def _categories(data: dict[str, Any], key: str) -> list[str]:
    value = data.get(key)
    if not isinstance(value, list) or not all(isinstance(c, str) for c in value):
        raise RecordInvalid(_l("%(key)s must be a list of categories.", key=key))
    if len(set(value)) != len(value):
        raise RecordInvalid(_l("%(key)s names a category twice.", key=key))
    return value


def _check_decision(
    settings: ConsentSettings, action: str, source: str, gpc: bool, granted: list[str]
) -> None:
    optional_granted = set(granted) - {ConsentCategory.NECESSARY.value}
    offered = set(settings.categories)
    gpc_limited = {c.value for c in banner_settings.GPC_REFUSED} & offered
    if action == ConsentAction.ACCEPT_ALL:
        # With GPC, "accept all" leaves analytics and marketing off.
        expected = offered - gpc_limited if gpc and source == ConsentSource.GPC else offered
        if optional_granted != expected:
            raise RecordInvalid(_l("accept_all must grant every category offered."))
    elif action == ConsentAction.REJECT_ALL and optional_granted:
        raise RecordInvalid(_l("reject_all must refuse every optional category."))
    if source == ConsentSource.GPC and not (gpc and action == ConsentAction.ACCEPT_ALL):
        raise RecordInvalid(_l("source gpc is only for accept_all under Global Privacy Control."))


def record_decision(site: Site, data: dict[str, Any], facts: RequestFacts) -> ConsentRecord:
    """Check a decision the banner sent against the settings it was shown, and store it.

    A decision without a consent ID gets a new random one (sign_consent_id gives the
    banner its signed form to keep); one with an ID must carry an ID the service issued
    for this site.

    :raises RecordInvalid: a missing, unknown or malformed field, or a decision that
        the banner could not have produced (wrong hash, categories, revision).
    :raises ConsentIdRefused: a consent ID the service did not issue for this site.
    """
    unknown = set(data) - FIELDS
    if unknown:
        raise RecordInvalid(_l("Unknown field: %(name)s.", name=sorted(unknown)[0]))
    consent_id = _consent_id(site, data)
    try:
        action = ConsentAction(str(data.get("action")))
        source = ConsentSource(str(data.get("source")))
    except ValueError as exc:
        raise RecordInvalid(_l("Unknown action or source.")) from exc
    gpc = data.get("gpc", False)
    if not isinstance(gpc, bool):
        raise RecordInvalid(_l("gpc must be true or false."))
    gpc = gpc or facts.sec_gpc
    settings = banner_settings.get_settings_version(site, _int(data, "settings_version"))
    if settings is None or settings.revision != _int(data, "revision"):
        raise RecordInvalid(_l("These settings were never shown on this site."))
    language = data.get("language")
    if (
        not isinstance(language, str)
        or banner_settings.resolve_language(settings, language) != language
    ):
        raise RecordInvalid(_l("language must be the language of the text shown."))
    text_hash = data.get("text_hash")
    if not isinstance(text_hash, str) or not HASH_RE.match(text_hash):
        raise RecordInvalid(_l("text_hash must be a SHA-256 in hexadecimal."))
    if text_hash != banner_settings.text_hash(banner_settings.banner_text(settings, language)):
        raise RecordInvalid(_l("text_hash does not match the text of these settings."))
    granted, refused = _categories(data, "granted"), _categories(data, "refused")
    every = [ConsentCategory.NECESSARY.value, *settings.categories]
    if (
        ConsentCategory.NECESSARY.value not in granted
        or set(granted) & set(refused)
        or set(granted) | set(refused) != set(every)
    ):
        raise RecordInvalid(_l("granted and refused must split the site's categories."))
    _check_decision(settings, action, source, gpc, granted)
    record = ConsentRecord(
        consent_id=consent_id,
        site_id=site.id,
        reader_id=facts.reader_id,
        action=action.value,
        source=source.value,
        granted=[c for c in every if c in granted],
        refused=[c for c in every if c in refused],
        revision=settings.revision,
        settings_version=settings.version,
        language=language,
        text_hash=text_hash,
        gpc=gpc,
        dnt=facts.dnt,
        ip_prefix=truncate_ip(facts.remote_addr),
        browser=browser_family(facts.user_agent),
    )
    db.session.add(record)
    db.session.commit()
    return record


# --- reading and exporting ---------------------------------------------------------------


@dataclass(frozen=True)
class RecordFilter:
    site_id: int | None = None
    action: str | None = None
    since: date | None = None
    until: date | None = None
    consent_id: str | None = None


def _query(f: RecordFilter) -> Select[ConsentRecord]:
    # The record's site comes along by its joined relationship.
    stmt = select(ConsentRecord)
    if f.site_id is not None:
        stmt = stmt.where(ConsentRecord.site_id == f.site_id)
    if f.action:
        stmt = stmt.where(ConsentRecord.action == f.action)
    if f.since is not None:
        stmt = stmt.where(ConsentRecord.created_at >= datetime.combine(f.since, time(), UTC))
    if f.until is not None:
        end = datetime.combine(f.until + timedelta(days=1), time(), UTC)
        stmt = stmt.where(ConsentRecord.created_at < end)
    if f.consent_id:
        stmt = stmt.where(ConsentRecord.consent_id == f.consent_id.strip().lower())
    return stmt.order_by(ConsentRecord.created_at.desc(), ConsentRecord.id.desc())


def page(f: RecordFilter, number: int) -> Pagination:
    """One page of matching records, newest first."""
    return db.paginate(_query(f), page=number, per_page=PAGE_SIZE, error_out=False, count=True)


def matching(f: RecordFilter) -> Iterator[ConsentRecord]:
    """Every matching record, streamed in batches (for exports)."""
    yield from db.session.scalars(_query(f).execution_options(yield_per=500))


# A record's exported fields, in order (JSON, CSV and the reader's data export).
CSV_COLUMNS = (
    "id",
    "consent_id",
    "site",
    "reader_id",
    "created_at",
    "action",
    "source",
    "granted",
    "refused",
    "revision",
    "settings_version",
    "language",
    "text_hash",
    "gpc",
    "dnt",
    "ip_prefix",
    "browser",
)


def as_dict(record: ConsentRecord) -> dict[str, Any]:
    values = {name: getattr(record, name) for name in CSV_COLUMNS}
    values["site"] = record.site.slug
    values["created_at"] = record.created_at.isoformat()
    return values


def _cell(value: Any) -> str:
    """A CSV cell that a spreadsheet will not run as a formula."""
    if value is None:
        return ""
    if isinstance(value, list):
        value = " ".join(value)
    text = str(value).lower() if isinstance(value, bool) else str(value)
    if text[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + text
    return text


def csv_lines(rows: Iterable[ConsentRecord]) -> Iterator[str]:
    """The records as CSV, one line at a time, header first."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)

    def flush() -> str:
        line = buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
        return line

    writer.writerow(CSV_COLUMNS)
    yield flush()
    for record in rows:
        data = as_dict(record)
        writer.writerow([_cell(data[column]) for column in CSV_COLUMNS])
        yield flush()


def purge(now: datetime | None = None) -> dict[str, int]:
    """Delete each site's records older than its retention period; returns counts by slug."""
    moment = now or utcnow()
    deleted = {}
    for site in sites.list_sites():
        days = banner_settings.retention_days(site)
        result = db.session.execute(
            delete(ConsentRecord).where(
                ConsentRecord.site_id == site.id,
                ConsentRecord.created_at < moment - timedelta(days=days),
            )
        )
        deleted[site.slug] = int(result.rowcount)  # type: ignore[attr-defined]
    db.session.commit()
    return deleted


def reader_history(reader: Reader) -> list[ConsentRecord]:
    """Decisions linked to the reader's account, newest first."""
    return list(
        db.session.scalars(
            select(ConsentRecord)
            .where(ConsentRecord.reader_id == reader.id)
            .order_by(ConsentRecord.created_at.desc(), ConsentRecord.id.desc())
        )
    )


def export_for_reader(reader: Reader) -> list[dict[str, Any]]:
    return [as_dict(record) for record in reader_history(reader)]


def origin_is_registered(origin: str) -> bool:
    """Whether any site registered this origin (for CORS preflights, which name no site)."""
    return any(origin in site.origins for site in sites.list_sites())
