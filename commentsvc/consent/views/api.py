"""JSON routes for consent.js: a site's banner settings, and the proof of each decision.

Both are called from news sites' pages, cross-origin and without cookies: CORS
answers only the origins the site registered.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app, g, jsonify, request
from flask_babel import gettext as _
from flask_limiter.util import get_remote_address
from flask_login import current_user
from werkzeug.exceptions import RequestEntityTooLarge
from werkzeug.wrappers import Response

from commentsvc.comments import setup, sites
from commentsvc.comments.models import SightingKind, Site
from commentsvc.consent import banner_settings, records
from commentsvc.core import input as input_rule
from commentsvc.core import links
from commentsvc.core.extensions import csrf, limiter

bp = Blueprint("consent_api", __name__, url_prefix="/api/v1")

PREFLIGHT_MAX_AGE = 600


def _error(message: str, status: int, origin: str | None = None) -> Response:
    response = jsonify({"error": message})
    response.status_code = status
    if origin is not None:
        response.headers["Access-Control-Allow-Origin"] = origin
    response.vary.add("Origin")
    return response


@bp.get("/sites/<site_slug>/consent-config")
def consent_config(site_slug: str) -> Response:
    """The banner's texts (in the page's language where there is a translation), categories,
    revision and cookie lists. Public and cacheable; readable by the site's origins."""
    site = sites.get_site(site_slug)
    if site is None:
        return _error(_("There is no such site."), 404)
    gpc = request.headers.get("Sec-GPC", "").strip() == "1"
    response = jsonify(banner_settings.public_config(site, request.args.get("lang", "")[:35], gpc))
    origin = request.headers.get("Origin")
    if origin and origin in site.origins:
        response.headers["Access-Control-Allow-Origin"] = origin
        # The set-up checklist's "consent banner seen" (the first load per origin).
        setup.record_sighting(site, SightingKind.BANNER, origin)
    response.vary.add("Origin")
    response.vary.add("Sec-GPC")
    # Browsers check back every time (cheaply, by ETag), so a new revision shows at once;
    # shared caches may keep it for a minute.
    response.cache_control.public = True
    response.cache_control.max_age = 0
    response.cache_control.s_maxage = 60
    response.add_etag()
    return response.make_conditional(request)


def _preflight(origin: str | None) -> Response:
    if not origin or not (origin == links.own_origin() or records.origin_is_registered(origin)):
        return _error(_("This origin may not record consent here."), 403)
    response = Response(status=204)
    response.headers["Access-Control-Allow-Origin"] = origin
    response.headers["Access-Control-Allow-Methods"] = "POST"
    response.headers["Access-Control-Allow-Headers"] = "Content-Type"
    response.headers["Access-Control-Max-Age"] = str(PREFLIGHT_MAX_AGE)
    response.vary.add("Origin")
    return response


def _facts(origin: str) -> records.RequestFacts:
    dnt = request.headers.get("DNT", "").strip()
    reader_id = None
    # Only a request from the service's own pages carries its first-party session
    # (consent.js on news sites sends no credentials).
    if origin == links.own_origin() and current_user.is_authenticated:
        reader_id = current_user.id
    return records.RequestFacts(
        remote_addr=request.remote_addr,
        user_agent=request.user_agent.string,
        sec_gpc=request.headers.get("Sec-GPC", "").strip() == "1",
        dnt=True if dnt == "1" else False if dnt == "0" else None,
        reader_id=reader_id,
    )


def _read_body() -> dict[str, Any] | None:
    # Werkzeug then refuses to read more than MAX_BODY bytes, even of a chunked body.
    request.max_content_length = records.MAX_BODY
    raw = request.get_data()
    if len(raw) > records.MAX_BODY:  # read earlier, under the app-wide limit
        raise RequestEntityTooLarge
    try:
        # Parsed with the input rule whatever the Content-Type (consent.js may send
        # text/plain): bounded depth, no lone surrogates.
        data = input_rule.loads(raw)
    except ValueError:
        return None
    return data if isinstance(data, dict) else None


_TOO_LARGE: dict[str, Any] = {}


def _body() -> dict[str, Any] | None:
    """The JSON object posted, or None. :raises RequestEntityTooLarge: over MAX_BODY bytes.

    Read once per request (the rate limit's key reads it before the view)."""
    if "consent_body" not in g:
        try:
            g.consent_body = _read_body()
        except RequestEntityTooLarge:
            g.consent_body = _TOO_LARGE
    if g.consent_body is _TOO_LARGE:
        raise RequestEntityTooLarge
    body: dict[str, Any] | None = g.consent_body
    return body


def _site_and_address() -> str:
    """Rate-limit key: the site the decision names and the client address."""
    try:
        data = _body()
    except RequestEntityTooLarge:
        data = None
    site = data.get("site") if data else None
    slug = site[:100] if isinstance(site, str) else ""
    return f"consent:{slug}:{get_remote_address()}"


def _limit(name: str) -> str:
    return str(current_app.config[name])


@bp.route("/consent", methods=["POST", "OPTIONS"], provide_automatic_options=False)
# Exempt from the session CSRF token: news sites post here cross-origin without
# cookies, so there is no session to forge. The Origin must be one the site
# registered, and a record only ever adds proof; it changes nothing else.
@csrf.exempt
@limiter.limit(lambda: _limit("RATELIMIT_CONSENT_IP"))
@limiter.limit(
    lambda: _limit("RATELIMIT_CONSENT_SITE_IP"), key_func=_site_and_address, methods=["POST"]
)
def record_consent() -> Response:
    origin = request.headers.get("Origin")
    if request.method == "OPTIONS":
        return _preflight(origin)
    data = _body()
    if data is None:
        return _error(_("Send a JSON object."), 400)
    site: Site | None = None
    if isinstance(data.get("site"), str):
        site = sites.get_site(data["site"])
    if site is None:
        return _error(_("There is no such site."), 400)
    if not origin or (origin not in site.origins and origin != links.own_origin()):
        return _error(_("This origin may not record consent for this site."), 403)
    try:
        record = records.record_decision(site, data, _facts(origin))
    except records.RecordInvalid as exc:
        return _error(str(exc), 400, origin)
    except records.ConsentIdRefused as exc:
        # The banner drops the ID it kept and asks for a new one.
        return _error(str(exc), 403, origin)
    response = jsonify(
        {
            "id": record.id,
            # Signed for this site: the banner keeps it and sends it with the next decision.
            "consent_id": records.sign_consent_id(site, record.consent_id),
            "created_at": record.created_at.isoformat(),
        }
    )
    response.status_code = 201
    response.headers["Access-Control-Allow-Origin"] = origin
    response.vary.add("Origin")
    return response
