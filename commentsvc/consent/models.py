"""Consent: versioned policy documents and their acceptances, banner settings, consent records."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import JSON, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from commentsvc.core.extensions import Model, utcnow

if TYPE_CHECKING:
    from commentsvc.accounts.models import Reader
    from commentsvc.comments.models import Site


class PolicyAcceptance(Model):
    """A reader's acceptance of one version of the terms or the privacy policy."""

    id: Mapped[int] = mapped_column(primary_key=True)
    reader_id: Mapped[int] = mapped_column(ForeignKey("reader.id", ondelete="CASCADE"), index=True)
    document: Mapped[str] = mapped_column(String(20))
    version: Mapped[str] = mapped_column(String(40))
    # The site whose own document this was; None for the service's document.
    site_id: Mapped[int | None] = mapped_column(ForeignKey("site.id", ondelete="CASCADE"))
    accepted_at: Mapped[datetime] = mapped_column(default=utcnow)

    reader: Mapped[Reader] = relationship(back_populates="acceptances")


class PolicyDocument(enum.StrEnum):
    PRIVACY = "privacy"
    TERMS = "terms"
    COOKIES = "cookies"


class PolicyVersion(Model):
    """One published, immutable version of a policy document.

    site_id is None for the service's own documents; a site with a version of its
    own uses that instead of the service's.
    """

    __table_args__ = (UniqueConstraint("document", "site_id", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    document: Mapped[str] = mapped_column(String(20))
    site_id: Mapped[int | None] = mapped_column(
        ForeignKey("site.id", ondelete="CASCADE"), index=True
    )
    version: Mapped[int]
    source: Mapped[str] = mapped_column(Text)
    # Rendered once at publication by commentsvc.sanitize.render_document.
    body_html: Mapped[str] = mapped_column(Text)
    summary: Mapped[str] = mapped_column(String(500))
    published_at: Mapped[datetime] = mapped_column(default=utcnow)
    published_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("reader.id", ondelete="SET NULL")
    )


class ConsentCategory(enum.StrEnum):
    NECESSARY = "necessary"
    PREFERENCES = "preferences"
    ANALYTICS = "analytics"
    MARKETING = "marketing"


class ConsentSettings(Model):
    """One saved version of a site's banner settings; every save adds a row.

    Keeping every version lets a consent record name the exact text its reader saw.
    The revision moves only when readers must be asked again (categories, cookie
    lists or policies changed, or the admin asked for it).
    """

    __table_args__ = (UniqueConstraint("site_id", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("site.id", ondelete="CASCADE"))
    version: Mapped[int]
    revision: Mapped[int]
    # The optional categories the site uses, in display order.
    categories: Mapped[list[str]] = mapped_column(JSON, default=list)
    # {language: {"title": …, "body": …, "descriptions": {category: …}}}; the admin's
    # texts. Button labels and anything left empty come from the built-in defaults.
    translations: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    # {category: [cookie name or prefix*]}: deleted on the site's domain on withdrawal.
    cookies: Mapped[dict[str, list[str]]] = mapped_column(JSON, default=dict)
    # Domain attribute for the choice cookie (".news.example" to share it across
    # subdomains); empty: the page's own host.
    cookie_domain: Mapped[str] = mapped_column(String(253), default="")
    retention_days: Mapped[int] = mapped_column(default=730)
    # [{"document": "privacy", "version": 2, "site": false}, …] linked from the banner.
    policies: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("reader.id", ondelete="SET NULL"))


class ConsentAction(enum.StrEnum):
    ACCEPT_ALL = "accept_all"
    REJECT_ALL = "reject_all"
    CUSTOM = "custom"
    WITHDRAW = "withdraw"


class ConsentSource(enum.StrEnum):
    """Where the decision was made. GPC: "accept all" limited by Global Privacy Control."""

    BANNER = "banner"
    PREFERENCES = "preferences"
    GPC = "gpc"


class ConsentRecord(Model):
    """Proof of one decision a browser made on a site's banner. Append-only."""

    __table_args__ = (Index("ix_consent_record_site_created", "site_id", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    consent_id: Mapped[str] = mapped_column(String(36), index=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("site.id", ondelete="CASCADE"))
    # Known only for decisions sent with the service's own first-party session.
    reader_id: Mapped[int | None] = mapped_column(
        ForeignKey("reader.id", ondelete="SET NULL"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    action: Mapped[str] = mapped_column(String(20))
    source: Mapped[str] = mapped_column(String(20))
    granted: Mapped[list[str]] = mapped_column(JSON, default=list)
    refused: Mapped[list[str]] = mapped_column(JSON, default=list)
    revision: Mapped[int]
    # The ConsentSettings version and language whose text was shown, and its SHA-256.
    settings_version: Mapped[int]
    language: Mapped[str] = mapped_column(String(8))
    text_hash: Mapped[str] = mapped_column(String(64))
    gpc: Mapped[bool] = mapped_column(default=False)
    # The DNT header: True for "1", False for "0", None when absent.
    dnt: Mapped[bool | None]
    # /24 of an IPv4 address, /48 of an IPv6 one.
    ip_prefix: Mapped[str] = mapped_column(String(50), default="")
    browser: Mapped[str] = mapped_column(String(20), default="other")

    site: Mapped[Site] = relationship(lazy="joined", innerjoin=True)
