"""The OpenAPI description of the consent routes, merged into openapi.document()."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from commentsvc.comments.models import Site
from commentsvc.consent.records import MAX_BODY
from commentsvc.core.extensions import db

_ERROR = {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
_CATEGORY_NAMES = ["necessary", "preferences", "analytics", "marketing"]
_CATEGORIES = {"type": "array", "items": {"type": "string", "enum": _CATEGORY_NAMES}}
# What a decision may name: each category at most once.
_CHOSEN = {**_CATEGORIES, "uniqueItems": True, "maxItems": len(_CATEGORY_NAMES)}

PATHS: dict[str, Any] = {
    "/sites/{site}/consent-config": {
        "get": {
            "summary": "The site's consent banner: texts, categories, revision, cookie lists",
            "description": "Public and cacheable (ETag; shared caches keep it a minute). "
            "Readable cross-origin by the site's registered origins. With `Sec-GPC: 1` the "
            "answer says so (`gpc: true`).",
            "operationId": "getConsentConfig",
            "parameters": [
                {"name": "site", "in": "path", "required": True, "schema": {"type": "string"}},
                {
                    "name": "lang",
                    "in": "query",
                    "description": "The page's language (e.g. az); English where there "
                    "is no translation.",
                    "schema": {"type": "string", "pattern": "^[^\\x00]*$"},
                },
            ],
            "responses": {
                "200": {
                    "description": "The settings in force",
                    "content": {
                        "application/json": {
                            "schema": {"$ref": "#/components/schemas/ConsentConfig"}
                        }
                    },
                },
                "304": {"description": "Unchanged since the ETag given"},
                "400": {"description": "A NUL character in the query", "content": _ERROR},
                "404": {"description": "No such site", "content": _ERROR},
            },
        }
    },
    "/consent": {
        "post": {
            "summary": "Record a decision made on a site's banner (append-only proof)",
            "description": "Sent by consent.js from the site's pages without cookies. The "
            "Origin must be one the site registered. The service adds the time, the "
            "truncated IP address (/24 or /48), the browser family, DNT and Sec-GPC. The "
            "first decision sends no `consent_id`: the service issues one, signed for the "
            "site, and the banner sends it back with every later decision.",
            "operationId": "recordConsent",
            "requestBody": {
                "required": True,
                "content": {
                    "application/json": {"schema": {"$ref": "#/components/schemas/ConsentDecision"}}
                },
            },
            "responses": {
                "201": {
                    "description": "Stored",
                    "content": {
                        "application/json": {
                            "schema": {"$ref": "#/components/schemas/ConsentRecorded"}
                        }
                    },
                },
                "400": {
                    "description": "Malformed, or not what the banner showed",
                    "content": _ERROR,
                },
                "403": {
                    "description": "An origin the site did not register, or a `consent_id` "
                    "the service did not issue for this site (send the decision without one "
                    "to get a new ID)",
                    "content": _ERROR,
                },
                "413": {"description": f"Larger than {MAX_BODY} bytes", "content": _ERROR},
                "429": {"description": "Too many requests", "content": _ERROR},
            },
        },
        "options": {
            "summary": "CORS preflight: allowed for origins some site registered",
            "operationId": "consentPreflight",
            "responses": {
                "204": {"description": "Allowed"},
                "403": {"description": "Not a registered origin", "content": _ERROR},
            },
        },
    },
}

SCHEMAS: dict[str, Any] = {
    "ConsentConfig": {
        "type": "object",
        "required": ["site", "revision", "settings_version", "language", "text", "text_hash"],
        "properties": {
            "site": {"type": "string"},
            "revision": {
                "type": "integer",
                "description": "Moves when readers must be asked again",
            },
            "settings_version": {"type": "integer"},
            "language": {"type": "string"},
            "text": {
                "type": "object",
                "description": "Every string the banner shows (the hashed text)",
            },
            "text_hash": {
                "type": "string",
                "description": "SHA-256 of `text` as JSON with sorted keys, no spaces, UTF-8",
            },
            "categories": _CATEGORIES,
            "gpc": {"type": "boolean"},
            "gpc_refused": _CATEGORIES,
            "cookies": {"type": "object", "additionalProperties": {"type": "array"}},
            "cookie_domain": {"type": "string"},
            "max_age": {"type": "integer", "description": "Seconds the choice cookie lives"},
            "policy_urls": {"type": "object", "additionalProperties": {"type": "string"}},
            "record_url": {"type": "string"},
        },
    },
    "ConsentDecision": {
        "type": "object",
        "additionalProperties": False,
        "required": [
            "site",
            "action",
            "source",
            "granted",
            "refused",
            "revision",
            "settings_version",
            "language",
            "text_hash",
        ],
        "properties": {
            # Filled in by consent_schemas(): one of the registered sites.
            "site": {"type": "string"},
            "consent_id": {
                "type": ["string", "null"],
                "maxLength": 100,
                "description": "The consent ID the service issued for this site at the "
                "browser's first decision, as it was returned; absent or null on the first "
                "decision",
            },
            "action": {
                "type": "string",
                "enum": ["accept_all", "reject_all", "custom", "withdraw"],
            },
            "source": {"type": "string", "enum": ["banner", "preferences", "gpc"]},
            "granted": _CHOSEN,
            "refused": _CHOSEN,
            "revision": {"type": "integer"},
            "settings_version": {"type": "integer"},
            "language": {"type": "string", "maxLength": 35},
            "text_hash": {"type": "string", "pattern": "^[0-9a-f]{64}$"},
            "gpc": {"type": "boolean"},
        },
    },
    "ConsentRecorded": {
        "type": "object",
        "required": ["id", "consent_id", "created_at"],
        "properties": {
            "id": {"type": "integer"},
            "consent_id": {
                "type": "string",
                "description": "The consent ID signed for the site (`<uuid>.<signature>`): "
                "keep it and send it with the next decision. Records store the UUID.",
            },
            "created_at": {"type": "string", "format": "date-time"},
        },
    },
}


def consent_schemas() -> dict[str, Any]:
    """SCHEMAS, with the decision's site limited to the sites registered now: a decision
    for any other site is refused (400) before anything else is looked at."""
    slugs = list(db.session.scalars(select(Site.slug).order_by(Site.slug)))
    decision = SCHEMAS["ConsentDecision"]
    site = {
        "type": "string",
        "description": "The slug of a site registered with this service",
        "enum": slugs,
    }
    return {
        **SCHEMAS,
        "ConsentDecision": {**decision, "properties": {**decision["properties"], "site": site}},
    }
