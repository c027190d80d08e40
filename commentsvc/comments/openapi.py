"""The OpenAPI 3.1 description of /api/v1, served at /api/v1/openapi.json."""

from __future__ import annotations

from typing import Any

from flask import current_app

from commentsvc.comments import posting, reports
from commentsvc.comments.reading import CURSOR_PATTERN
from commentsvc.consent.openapi import PATHS as CONSENT_PATHS
from commentsvc.consent.openapi import consent_schemas

# What Python's str.strip() removes (JSON Schema's \s differs), and text with at least one
# other character and no NUL: the rule comments.posting and comments.reports apply.
_SPACE = r"\t-\r\x1c-\x20\x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000"
WORDS = rf"^[^\x00]*[^\x00{_SPACE}][^\x00]*$"
NO_NUL = r"^[^\x00]*$"
# Most thread keys one counts request may name.
MAX_COUNT_KEYS = 100


def _error(description: str) -> dict[str, Any]:
    return {
        "description": description,
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
    }


def _json(schema_ref: str, description: str) -> dict[str, Any]:
    return {
        "description": description,
        "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{schema_ref}"}}},
    }


SITE = {"name": "site", "in": "path", "required": True, "schema": {"type": "string"}}
KEY = {
    "name": "key",
    "in": "path",
    "required": True,
    "description": "The site's own key for the article (may contain slashes).",
    "schema": {"type": "string", "maxLength": 200},
}
COMMENT_ID = {"name": "comment_id", "in": "path", "required": True, "schema": {"type": "integer"}}
WRITE_ERRORS = {
    "400": _error("Malformed request, or a missing or invalid CSRF token"),
    "401": _error("Not signed in"),
    "403": _error("Not allowed: unverified e-mail, locked thread, another reader's comment"),
    "404": _error("No such thread or comment"),
    "413": _error("Request body too large"),
    "422": _error("A field is invalid, e.g. an empty or over-long comment"),
    "429": _error("Too many requests"),
}
CSRF_HEADER = {
    "name": "X-CSRFToken",
    "in": "header",
    "required": True,
    "description": "The CSRF token of the signed-in session.",
    "schema": {"type": "string"},
}


def document() -> dict[str, Any]:
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "commentsvc API",
            "version": "1",
            "description": "Comment threads of the sites registered with this service. "
            "Writes need a signed-in session cookie and its CSRF token.",
        },
        "servers": [{"url": current_app.config["PUBLIC_URL"] + "/api/v1"}],
        "paths": {
            "/openapi.json": {
                "get": {
                    "summary": "This description of the API",
                    "operationId": "getOpenAPI",
                    "responses": {
                        "200": {
                            "description": "The OpenAPI 3.1 document",
                            "content": {"application/json": {"schema": {"type": "object"}}},
                        }
                    },
                },
            },
            "/sites/{site}/threads/{key}/comments": {
                "get": {
                    "summary": "List a page of a thread's comments, with their replies",
                    "operationId": "listComments",
                    "parameters": [
                        SITE,
                        KEY,
                        {
                            "name": "sort",
                            "in": "query",
                            "schema": {"type": "string", "enum": ["oldest", "newest", "top"]},
                        },
                        {
                            "name": "after",
                            "in": "query",
                            "description": "next_cursor of the previous page (empty: the "
                            "first page). Any other text is refused with 400.",
                            "schema": {"type": "string", "pattern": CURSOR_PATTERN},
                        },
                        {
                            "name": "limit",
                            "in": "query",
                            "schema": {"type": "integer", "minimum": 1, "maximum": 100},
                        },
                    ],
                    "responses": {
                        "200": _json("CommentPage", "A page of top-level comments"),
                        "400": _error("Invalid cursor"),
                        "404": _error("No such site or thread"),
                        "422": _error("Invalid sort or limit"),
                    },
                },
                "post": {
                    "summary": "Post a comment or a reply",
                    "operationId": "postComment",
                    "parameters": [SITE, KEY, CSRF_HEADER],
                    "requestBody": {
                        "required": True,
                        "content": {
                            "application/json": {
                                "schema": {"$ref": "#/components/schemas/NewComment"}
                            }
                        },
                    },
                    "responses": {"201": _json("WrittenComment", "Posted"), **WRITE_ERRORS},
                },
            },
            "/sites/{site}/counts": {
                "get": {
                    "summary": "Approved comment counts for many threads",
                    "operationId": "countComments",
                    "parameters": [
                        SITE,
                        {
                            "name": "thread",
                            "in": "query",
                            "required": True,
                            "style": "form",
                            "explode": True,
                            "description": f"One to {MAX_COUNT_KEYS} thread keys, each as its "
                            "own thread= parameter. The whole URL must also fit the server's "
                            "request-line limit (gunicorn: 4094 bytes), else 414: split long "
                            "lists into several requests.",
                            "schema": {
                                "type": "array",
                                "items": {"type": "string", "pattern": NO_NUL},
                                "minItems": 1,
                                "maxItems": MAX_COUNT_KEYS,
                            },
                        },
                    ],
                    "responses": {
                        "200": _json("Counts", "Counts by thread key (0 for unknown keys)"),
                        "304": {"description": "Unchanged since the ETag sent in If-None-Match"},
                        "400": _error("A NUL character in the query"),
                        "404": _error("No such site"),
                        "414": {
                            "description": "URL longer than the server's request-line limit "
                            "(answered by the HTTP server, not always as JSON)"
                        },
                        "422": _error(f"No thread named, or more than {MAX_COUNT_KEYS}"),
                    },
                },
            },
            "/comments/{comment_id}": {
                "patch": {
                    "summary": "Edit one's own comment within the site's edit window",
                    "operationId": "editComment",
                    "parameters": [COMMENT_ID, CSRF_HEADER],
                    "requestBody": {
                        "required": True,
                        "content": {
                            "application/json": {
                                "schema": {"$ref": "#/components/schemas/CommentEdit"}
                            }
                        },
                    },
                    "responses": {"200": _json("WrittenComment", "Edited"), **WRITE_ERRORS},
                },
                "delete": {
                    "summary": "Delete one's own comment (a placeholder keeps its replies)",
                    "operationId": "deleteComment",
                    "parameters": [COMMENT_ID, CSRF_HEADER],
                    "responses": {"204": {"description": "Deleted"}, **WRITE_ERRORS},
                },
            },
            "/comments/{comment_id}/vote": {
                "post": {
                    "summary": "Vote on a comment: 1, -1, or 0 to take the vote back",
                    "operationId": "voteComment",
                    "parameters": [COMMENT_ID, CSRF_HEADER],
                    "requestBody": {
                        "required": True,
                        "content": {
                            "application/json": {"schema": {"$ref": "#/components/schemas/Vote"}}
                        },
                    },
                    "responses": {"200": _json("VoteResult", "The new score"), **WRITE_ERRORS},
                },
            },
            "/comments/{comment_id}/report": {
                "post": {
                    "summary": "Report a published comment to the moderators (once per reader)",
                    "description": "When enough readers report a comment (a site setting, "
                    "3 by default) it is hidden and goes back to the moderation queue.",
                    "operationId": "reportComment",
                    "parameters": [COMMENT_ID, CSRF_HEADER],
                    "requestBody": {
                        "required": True,
                        "content": {
                            "application/json": {"schema": {"$ref": "#/components/schemas/Report"}}
                        },
                    },
                    "responses": {
                        "201": _json("ReportResult", "Reported"),
                        **WRITE_ERRORS,
                        "409": _error("This reader already reported the comment"),
                    },
                },
            },
            **CONSENT_PATHS,
        },
        "components": {
            "schemas": {
                **consent_schemas(),
                "Error": {
                    "type": "object",
                    "required": ["error"],
                    "properties": {"error": {"type": "string"}},
                },
                "Comment": {
                    "type": "object",
                    "required": [
                        "id",
                        "parent_id",
                        "author",
                        "body_html",
                        "status",
                        "score",
                        "pinned",
                        "created_at",
                        "edited",
                        "my_vote",
                        "replies",
                    ],
                    "properties": {
                        "id": {"type": "integer"},
                        "parent_id": {"type": ["integer", "null"]},
                        "depth": {"type": "integer"},
                        "author": {"type": ["string", "null"]},
                        "body_html": {"type": "string", "description": "Sanitised HTML"},
                        "status": {"type": "string", "enum": ["approved", "pending", "deleted"]},
                        "score": {"type": "integer"},
                        "pinned": {"type": "boolean"},
                        "created_at": {"type": "string", "format": "date-time"},
                        "edited": {"type": "boolean"},
                        "my_vote": {"type": "integer", "enum": [-1, 0, 1]},
                        "replies": {
                            "type": "array",
                            "items": {"$ref": "#/components/schemas/Comment"},
                        },
                    },
                },
                "CommentPage": {
                    "type": "object",
                    "required": ["thread", "sort", "comments", "next_cursor"],
                    "properties": {
                        "thread": {
                            "type": "object",
                            "properties": {
                                "key": {"type": "string"},
                                "title": {"type": "string"},
                                "url": {"type": "string"},
                                "locked": {"type": "boolean"},
                                "comment_count": {"type": "integer"},
                            },
                        },
                        "sort": {"type": "string"},
                        "comments": {
                            "type": "array",
                            "items": {"$ref": "#/components/schemas/Comment"},
                        },
                        "next_cursor": {"type": ["string", "null"]},
                    },
                },
                "Counts": {
                    "type": "object",
                    "required": ["counts"],
                    "properties": {
                        "counts": {"type": "object", "additionalProperties": {"type": "integer"}},
                    },
                },
                "NewComment": {
                    "type": "object",
                    "required": ["body"],
                    "properties": {
                        "body": {"$ref": "#/components/schemas/CommentBody"},
                        "parent_id": {"type": ["integer", "null"]},
                    },
                },
                "CommentEdit": {
                    "type": "object",
                    "required": ["body"],
                    "properties": {"body": {"$ref": "#/components/schemas/CommentBody"}},
                },
                "CommentBody": {
                    "type": "string",
                    "minLength": 1,
                    "maxLength": posting.BODY_MAX,
                    "pattern": WORDS,
                    "description": "Markdown; raw HTML is shown as text. Not only white "
                    "space, and no NUL character.",
                },
                "WrittenComment": {
                    "type": "object",
                    "required": ["id", "status", "body_html"],
                    "properties": {
                        "id": {"type": "integer"},
                        "status": {"type": "string"},
                        "body_html": {"type": "string"},
                    },
                },
                "Vote": {
                    "type": "object",
                    "required": ["value"],
                    "properties": {"value": {"type": "integer", "enum": [-1, 0, 1]}},
                },
                "Report": {
                    "type": "object",
                    "required": ["reason"],
                    "properties": {
                        "reason": {
                            "type": "string",
                            "enum": ["spam", "abuse", "off_topic", "illegal", "other"],
                        },
                        "text": {
                            "type": "string",
                            "maxLength": reports.TEXT_MAX,
                            "pattern": NO_NUL,
                            "description": "What is wrong; required when reason is other",
                        },
                    },
                    # "other" needs words: a text that is not only white space.
                    "if": {"properties": {"reason": {"const": "other"}}},
                    "then": {
                        "required": ["text"],
                        "properties": {"text": {"pattern": WORDS}},
                    },
                },
                "ReportResult": {
                    "type": "object",
                    "required": ["comment_id", "reason", "reported"],
                    "properties": {
                        "comment_id": {"type": "integer"},
                        "reason": {"type": "string"},
                        "reported": {"type": "boolean"},
                    },
                },
                "VoteResult": {
                    "type": "object",
                    "required": ["id", "score", "my_vote"],
                    "properties": {
                        "id": {"type": "integer"},
                        "score": {"type": "integer"},
                        "my_vote": {"type": "integer"},
                    },
                },
            }
        },
    }
