"""Sites' consent banner settings: saved versions, revisions, and the config the banner loads."""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from typing import Any

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from commentsvc.accounts.models import Reader
from commentsvc.comments import sites
from commentsvc.comments.models import Site
from commentsvc.consent import policies
from commentsvc.consent.models import ConsentCategory, ConsentSettings, PolicyDocument
from commentsvc.consent.texts import DEFAULTS, FALLBACK_LANGUAGE
from commentsvc.core.errors import Invalid
from commentsvc.core.extensions import db
from commentsvc.core.links import public_url

OPTIONAL = (ConsentCategory.PREFERENCES, ConsentCategory.ANALYTICS, ConsentCategory.MARKETING)
# Global Privacy Control starts these refused.
GPC_REFUSED = (ConsentCategory.ANALYTICS, ConsentCategory.MARKETING)
# Linked from the banner; publishing one of them asks every reader again.
BANNER_POLICIES = (PolicyDocument.PRIVACY, PolicyDocument.COOKIES)
TITLE_MAX = 200
BODY_MAX = 2000
DESCRIPTION_MAX = 600
COOKIES_PER_CATEGORY = 50
# A cookie name as RFC 6265 allows it, optionally ending in * to match a prefix.
COOKIE_NAME_RE = re.compile(r"^[!#$%&'+\-.^_`|~0-9A-Za-z]{1,100}\*?$")
DOMAIN_RE = re.compile(r"^\.?(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")
RETENTION_MIN, RETENTION_MAX = 30, 3650
DEFAULT_RETENTION_DAYS = 730
# How long the choice cookie lives on the site before the banner asks again.
CHOICE_MAX_AGE_DAYS = 182


@dataclass
class SettingsInput:
    """What an admin saves on the consent settings page."""

    categories: list[str]
    # {language: {"title": str, "body": str, "descriptions": {category: str}}}
    translations: dict[str, dict[str, Any]] = field(default_factory=dict)
    cookies: dict[str, list[str]] = field(default_factory=dict)
    cookie_domain: str = ""
    retention_days: int = DEFAULT_RETENTION_DAYS
    ask_again: bool = False


def _policy_refs(site: Site) -> list[dict[str, Any]]:
    refs = []
    for document in BANNER_POLICIES:
        policy = policies.current(document, site)
        refs.append(
            {"document": document.value, "version": policy.version, "site": bool(policy.site_id)}
        )
    return refs


def _latest(site_id: int) -> ConsentSettings | None:
    return db.session.scalar(
        select(ConsentSettings)
        .where(ConsentSettings.site_id == site_id)
        .order_by(ConsentSettings.version.desc())
        .limit(1)
    )


def current_settings(site: Site) -> ConsentSettings:
    """The site's settings in force; the defaults are saved as version 1 on first use."""
    found = _latest(site.id)
    if found is not None:
        return found
    row = ConsentSettings(
        site_id=site.id,
        version=1,
        revision=1,
        categories=[c.value for c in OPTIONAL],
        translations={},
        cookies={},
        cookie_domain="",
        retention_days=DEFAULT_RETENTION_DAYS,
        policies=_policy_refs(site),
    )
    db.session.add(row)
    try:
        db.session.commit()
    except IntegrityError:
        # Two first requests at once: the other one saved the defaults.
        db.session.rollback()
        found = _latest(site.id)
        if found is None:
            raise
        return found
    return row


def retention_days(site: Site) -> int:
    """Days the site keeps consent records (the default if it never saved settings)."""
    found = _latest(site.id)
    return found.retention_days if found is not None else DEFAULT_RETENTION_DAYS


def get_settings_version(site: Site, version: int) -> ConsentSettings | None:
    return db.session.scalar(
        select(ConsentSettings).where(
            ConsentSettings.site_id == site.id, ConsentSettings.version == version
        )
    )


def _clean_text(value: Any, limit: int, name: str, multiline: bool = False) -> str:
    raw = str(value or "").replace("\r\n", "\n")
    text = raw.strip() if multiline else " ".join(raw.split())
    if len(text) > limit:
        raise Invalid(_l("A text is at most %(n)d characters long.", n=limit), name)
    return text


def _check(data: SettingsInput) -> SettingsInput:
    """:raises Invalid: an unknown category or language, a bad cookie name or domain."""
    categories = [c for c in OPTIONAL if c.value in data.categories]
    if len(categories) != len(set(data.categories)):
        raise Invalid(_l("Unknown consent category."), "categories")
    translations: dict[str, dict[str, Any]] = {}
    for language, texts in data.translations.items():
        if language not in current_app.config["LANGUAGES"]:
            raise Invalid(_l("Unknown language."), "translations")
        descriptions = {
            c.value: _clean_text(
                texts.get("descriptions", {}).get(c.value), DESCRIPTION_MAX, f"{language}_{c}"
            )
            for c in (ConsentCategory.NECESSARY, *OPTIONAL)
        }
        entry = {
            "title": _clean_text(texts.get("title"), TITLE_MAX, f"{language}_title"),
            "body": _clean_text(texts.get("body"), BODY_MAX, f"{language}_body", multiline=True),
            "descriptions": {k: v for k, v in descriptions.items() if v},
        }
        if entry["title"] or entry["body"] or entry["descriptions"]:
            translations[language] = entry
    cookies: dict[str, list[str]] = {}
    for category, names in data.cookies.items():
        if category not in {c.value for c in OPTIONAL}:
            raise Invalid(_l("Unknown consent category."), "cookies")
        cleaned = list(dict.fromkeys(n.strip() for n in names if n.strip()))
        if len(cleaned) > COOKIES_PER_CATEGORY:
            raise Invalid(
                _l("At most %(n)d cookie names per category.", n=COOKIES_PER_CATEGORY),
                f"cookies_{category}",
            )
        for name in cleaned:
            if not COOKIE_NAME_RE.match(name):
                raise Invalid(
                    _l("%(name)s is not a cookie name.", name=name), f"cookies_{category}"
                )
        if cleaned:
            cookies[category] = cleaned
    domain = data.cookie_domain.strip().lower()
    if domain and not DOMAIN_RE.match(domain):
        raise Invalid(_l("Give a domain like .news.example, or nothing."), "cookie_domain")
    if not RETENTION_MIN <= data.retention_days <= RETENTION_MAX:
        raise Invalid(
            _l("Keep records %(min)d to %(max)d days.", min=RETENTION_MIN, max=RETENTION_MAX),
            "retention_days",
        )
    return SettingsInput(
        categories=[c.value for c in categories],
        translations=translations,
        cookies=cookies,
        cookie_domain=domain,
        retention_days=data.retention_days,
        ask_again=data.ask_again,
    )


def _add_version(
    previous: ConsentSettings, ask_again: bool, by: Reader | None, **changes: Any
) -> ConsentSettings:
    values = {
        "categories": previous.categories,
        "translations": previous.translations,
        "cookies": previous.cookies,
        "cookie_domain": previous.cookie_domain,
        "retention_days": previous.retention_days,
        "policies": previous.policies,
        **changes,
    }
    # Readers are asked again when what they agreed to changes: which categories
    # exist, which cookies they cover, or the policies the banner links.
    moved = any(
        values[key] != getattr(previous, key) for key in ("categories", "cookies", "policies")
    )
    row = ConsentSettings(
        site_id=previous.site_id,
        version=previous.version + 1,
        revision=previous.revision + (1 if ask_again or moved else 0),
        created_by_id=by.id if by is not None else None,
        **values,
    )
    db.session.add(row)
    return row


def save_settings(site: Site, data: SettingsInput, by: Reader | None) -> ConsentSettings:
    """Save a new version of the site's settings, moving the revision when readers
    must be asked again.

    :raises Invalid: see _check.
    """
    clean = _check(data)
    previous = current_settings(site)
    row = _add_version(
        previous,
        clean.ask_again,
        by,
        categories=clean.categories,
        translations=clean.translations,
        cookies=clean.cookies,
        cookie_domain=clean.cookie_domain,
        retention_days=clean.retention_days,
        policies=_policy_refs(site),
    )
    db.session.commit()
    return row


def policies_changed(site: Site | None, by: Reader | None) -> None:
    """A privacy or cookie policy was published (for one site, or the service's): every
    banner that links a new version asks again. The caller commits."""
    for each in [site] if site is not None else sites.list_sites():
        previous = _latest(each.id)
        refs = _policy_refs(each)
        # A site whose banner was never loaded has no settings yet: its first
        # version will link the new policies.
        if previous is not None and previous.policies != refs:
            _add_version(previous, False, by, policies=refs)


def settings_history(site: Site) -> list[ConsentSettings]:
    return list(
        db.session.scalars(
            select(ConsentSettings)
            .where(ConsentSettings.site_id == site.id)
            .order_by(ConsentSettings.version.desc())
        )
    )


# --- what the banner shows ---------------------------------------------------------------


def resolve_language(settings: ConsentSettings, requested: str) -> str:
    """The requested language if there are texts in it, else the fallback."""
    language = requested.strip().lower().split("-")[0][:8]
    if language in DEFAULTS or language in settings.translations:
        return language
    return FALLBACK_LANGUAGE


def banner_text(settings: ConsentSettings, language: str) -> dict[str, Any]:
    """Every string the banner shows, for one settings version and language.

    Its SHA-256 (text_hash) is what a consent record keeps as proof of the text shown.
    """
    base = DEFAULTS.get(language, DEFAULTS[FALLBACK_LANGUAGE])
    own: dict[str, Any] = settings.translations.get(language, {})
    descriptions = own.get("descriptions", {})
    text = {
        key: base[key]
        for key in (
            "accept_all",
            "reject_all",
            "preferences",
            "preferences_title",
            "preferences_body",
            "save",
            "close",
            "always_on",
            "gpc_note",
            "consent_id",
        )
    }
    text["title"] = own.get("title") or base["title"]
    text["body"] = own.get("body") or base["body"]
    text["categories"] = [
        {
            "id": category,
            "label": base["labels"][category],
            "description": descriptions.get(category) or base["descriptions"][category],
        }
        for category in [ConsentCategory.NECESSARY.value, *settings.categories]
    ]
    text["policies"] = [
        {
            "document": ref["document"],
            "label": f"{base['policies'][ref['document']]} ({base['version']} {ref['version']})",
        }
        for ref in settings.policies
    ]
    return text


def text_hash(text: dict[str, Any]) -> str:
    """SHA-256 of the canonical JSON (sorted keys, no spaces, UTF-8) of the banner's text."""
    canonical = json.dumps(text, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def _policy_url(site: Site, ref: dict[str, Any]) -> str:
    if ref["site"]:
        return public_url(
            "consent.site_policy_version",
            slug=site.slug,
            document=ref["document"],
            version=ref["version"],
        )
    return public_url("consent.policy_version", document=ref["document"], version=ref["version"])


def public_config(site: Site, requested_language: str, gpc: bool) -> dict[str, Any]:
    """What consent.js needs: texts in the page's language, categories, revision, cookies."""
    settings = current_settings(site)
    language = resolve_language(settings, requested_language)
    text = banner_text(settings, language)
    return {
        "site": site.slug,
        "revision": settings.revision,
        "settings_version": settings.version,
        "language": language,
        "text": text,
        "text_hash": text_hash(text),
        "categories": settings.categories,
        "gpc": gpc,
        "gpc_refused": [c.value for c in GPC_REFUSED if c.value in settings.categories],
        "cookies": settings.cookies,
        "cookie_domain": settings.cookie_domain,
        "max_age": CHOICE_MAX_AGE_DAYS * 24 * 3600,
        "policy_urls": {ref["document"]: _policy_url(site, ref) for ref in settings.policies},
        "record_url": public_url("consent_api.record_consent"),
    }
