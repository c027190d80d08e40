"""The API does what its OpenAPI document says: schemathesis, with every check, against
the app in-process, as a signed-in reader with the session's CSRF token.

Fixed seed and derandomized generation, so a run is repeatable; a bounded number of
examples per operation keeps it within the CI budget.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
import schemathesis
from flask import Flask
from schemathesis.config import SchemathesisConfig
from schemathesis.engine import events, from_schema

from commentsvc.accounts.models import Reader
from commentsvc.comments import posting, sites, threads
from commentsvc.core.extensions import db
from tests.conftest import build_app
from tests.factories import PASSWORD, make_reader

ORIGIN = "https://news.example"
SEED = 20261130
MAX_EXAMPLES = 12

# The served document describes both the comment routes (comments/openapi.py) and the
# consent routes (consent/openapi.py); each part is checked on its own.
DOCUMENTS = {
    "comments": r"^/(openapi\.json|comments/|sites/\{site\}/(threads|counts))",
    "consent": r"^/(consent|sites/\{site\}/consent-config)",
}


@dataclass
class World:
    app: Flask
    cookie: str
    csrf_token: str
    comment_id: int


@pytest.fixture
def world(smtp_server, tmp_path) -> Iterator[World]:
    # Rate limits off: the run makes hundreds of writes in seconds, and every 429 would
    # only hide the handler behind it.
    app = build_app(tmp_path, smtp_server.port, WTF_CSRF_ENABLED=True, RATELIMIT_ENABLED=False)
    make_reader(app)
    other_id = make_reader(app, "other@example.org", "Other")
    with app.app_context():
        site = sites.create_site("demo", "Demo", [ORIGIN])
        thread = threads.create_thread(site, "a1", "Title", ORIGIN + "/a1")
        other = db.session.get(Reader, other_id)
        assert other is not None
        comment_id = posting.post_comment(other, thread, site, "Someone else's comment").id
    client = app.test_client()
    # Signed in through the real form, as a browser would be; the API's writes then need
    # the session cookie and the token the thread page shows.
    page = client.get("/auth/sign-in").text
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page)
    assert token
    data = {"email": "reader@example.org", "password": PASSWORD, "csrf_token": token.group(1)}
    assert client.post("/auth/sign-in", data=data).status_code == 303
    token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/threads/demo/t/a1").text)
    assert token
    cookie = client.get_cookie(app.config["SESSION_COOKIE_NAME"])
    assert cookie is not None
    yield World(app, f"{cookie.key}={cookie.value}", token.group(1), comment_id)
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def signed_in(app: Flask, cookie: str) -> Callable[..., Iterable[bytes]]:
    """The app as the signed-in reader's browser reaches it: with its session cookie."""

    def wsgi(environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        environ["HTTP_COOKIE"] = cookie
        return app(environ, start_response)

    return wsgi


def config(world: World, pinned: bool) -> SchemathesisConfig:
    # Pinned: the path names the real site, thread and another reader's comment, so the
    # generated bodies reach the handlers rather than a 404.
    parameters = (
        f"""
[parameters]
"path.site" = "demo"
"path.key" = "a1"
"path.comment_id" = {world.comment_id}
"""
        if pinned
        else ""
    )
    return SchemathesisConfig.from_str(
        f"""
seed = {SEED}

[generation]
max-examples = {MAX_EXAMPLES}
deterministic = true
database = "none"

[checks]
enabled = true

[headers]
X-CSRFToken = "{world.csrf_token}"
{parameters}
"""
    )


def failures(world: World, document: str, pinned: bool) -> list[str]:
    app = signed_in(world.app, world.cookie)
    schema = schemathesis.openapi.from_wsgi(
        "/api/v1/openapi.json", app, config=config(world, pinned)
    ).include(path_regex=DOCUMENTS[document])
    found: list[str] = []
    for event in from_schema(schema).execute():
        if isinstance(event, events.ScenarioFinished):
            recorder = event.recorder
            for case_id, checks in recorder.checks.items():
                for check in checks:
                    if check.failure_info is None:
                        continue
                    case = recorder.cases[case_id].value
                    interaction = recorder.interactions.get(case_id)
                    response = interaction.response if interaction else None
                    found.append(
                        f"{check.name}: {check.failure_info.failure.title} - {case.method} "
                        f"{case.formatted_path} query={case.query} body={case.body!r:.200} -> "
                        f"{response.status_code if response else None} "
                        f"{response.content[:200] if response and response.content else b''!r}"
                    )
        elif isinstance(event, events.NonFatalError | events.FatalError):
            found.append(f"error: {getattr(event, 'value', None) or event}")
    return found


@pytest.mark.parametrize("pinned", [False, True], ids=["generated", "real-objects"])
@pytest.mark.parametrize("document", sorted(DOCUMENTS))
def test_the_api_matches_its_openapi_document(world, document, pinned):
    assert failures(world, document, pinned) == []
