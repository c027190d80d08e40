"""Whether new comments were held since a staff page was rendered: a cheap conditional
check that the page's script (static/staff-live.js) asks while the page is in view."""

from __future__ import annotations

import hashlib
from dataclasses import asdict
from typing import Any

from flask import current_app, g, jsonify, request, url_for

from commentsvc.moderation import queue
from commentsvc.moderation.queue import PendingState
from commentsvc.moderation.views.common import Page, bp, int_arg, me, site_filter


def _etag(state: PendingState) -> str:
    """A strong validator made of every number in the answer, in a fixed order."""
    numbers = [state.pending, state.newest, state.new, *sorted(state.sites.items())]
    return hashlib.blake2s(repr(numbers).encode(), digest_size=12).hexdigest()


@bp.get("/pending-state")
def pending_state() -> Page:
    """{"pending", "newest", "new", "sites"} over the moderator's sites, or over one
    of them (site=<slug>; another site is refused as every moderation page refuses it).

    `new` counts the pending comments newer than since=<comment id>. The answer is the
    moderator's own: never stored (security.set_security_headers), but validated by its
    ETag, so an unchanged queue costs one query and a bodiless 304.
    """
    site_id = site_filter(request.args.get("site", ""))
    state = queue.pending_state(me(), site_id, int_arg("since") or 0)
    response = jsonify(asdict(state))
    response.set_etag(_etag(state))
    return response.make_conditional(request)


@bp.app_template_global()
def held_state(site: str = "") -> dict[str, Any]:
    """What templates/moderation/_new_held.html (and a page title, and the pages' pending
    counts per site slug) render with, for the signed-in moderator's sites or one of
    them (by slug); worked out once per request."""
    cache: dict[str, dict[str, Any]] = g.setdefault("held_states", {})
    if site not in cache:
        state = queue.pending_state(me(), site_filter(site))
        cache[site] = {
            "pending": state.pending,
            "newest": state.newest,
            "sites": state.sites,
            "url": url_for(
                "moderation.pending_state", site=site or None, since=state.newest or None
            ),
            "interval": current_app.config["MODERATION_POLL_SECONDS"],
        }
    return cache[site]
