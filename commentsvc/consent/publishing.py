"""Publishing a new version of a policy document, with what follows from it."""

from __future__ import annotations

from commentsvc.accounts.models import Reader
from commentsvc.comments.models import Site
from commentsvc.consent import banner_settings, policies
from commentsvc.consent.models import PolicyDocument
from commentsvc.consent.policies import Policy
from commentsvc.core.extensions import db


def publish(
    document: PolicyDocument,
    source: str,
    summary: str,
    published_by: Reader | None,
    site: Site | None = None,
) -> Policy:
    """Publish a new version of the service's document, or of a site's own.

    Readers who accepted an earlier terms or privacy policy are asked to accept it
    (policies.pending_acceptances); a new privacy or cookie policy moves the consent
    revision of every site that links it, so their banners ask again.

    :raises Invalid: empty or over-long text or summary.
    """
    policy = policies.add_version(document, source, summary, published_by, site)
    if document in banner_settings.BANNER_POLICIES:
        banner_settings.policies_changed(site, published_by)
    db.session.commit()
    return policy
