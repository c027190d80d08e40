"""Sensitive staff actions ask for the second factor again when this session last proved
it more than 15 minutes ago: adding a moderator, publishing a policy version, changing a
site's origins and exporting consent records (accounts/step_up.py). A stolen session
cookie alone does none of them."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import parse_qs, quote, urlsplit

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select, update
from werkzeug.test import TestResponse

from commentsvc.accounts.models import ReaderSession
from commentsvc.comments.models import Site
from commentsvc.consent import policies
from commentsvc.consent.models import PolicyDocument
from commentsvc.core.extensions import db, utcnow
from commentsvc.moderation.models import SiteModerator
from tests.accounts.popup_support import ORIGIN, make_site
from tests.accounts.test_two_step import ADMIN, set_up_app
from tests.conftest import build_app
from tests.factories import make_reader, sign_in

MODERATOR = "mod@example.org"
EXPORT = "/admin/consent/export.csv"
TERMS = "/admin/policies/terms"
SITE = "/admin/sites/demo"


@pytest.fixture
def app(smtp_server, tmp_path) -> Flask:
    return build_app(tmp_path, smtp_server.port, ADMINS_NEED_SECOND_FACTOR=True)


@pytest.fixture
def codes(app: Flask, client: FlaskClient) -> list[str]:
    """An admin signed in with an authenticator app set up (their recovery codes)."""
    make_reader(app, email=ADMIN, display_name="Admin", is_admin=True)
    make_reader(app, email=MODERATOR, display_name="Mod")
    make_site(app)
    sign_in(client, ADMIN)
    return set_up_app(client, app, ADMIN)


def age_the_check(app: Flask, minutes: int) -> None:
    """As if this session proved its second factor `minutes` ago."""
    with app.app_context():
        db.session.execute(
            update(ReaderSession).values(second_factor_at=utcnow() - timedelta(minutes=minutes))
        )
        db.session.commit()


def asked_back_to(answer: TestResponse) -> str:
    """The page the second step returns to, from a redirect to it."""
    assert answer.status_code == 303, answer.status_code
    where = urlsplit(answer.headers["Location"])
    assert where.path == "/auth/two-step"
    back: str = parse_qs(where.query)["next"][0]
    return back


def confirm(client: FlaskClient, back: str, code: str) -> None:
    answer = client.post(f"/auth/two-step?next={quote(back, safe='/')}", data={"code": code})
    assert answer.status_code == 303, answer.get_data(as_text=True)
    assert answer.headers["Location"] == back


def moderators(app: Flask) -> int:
    with app.app_context():
        return len(db.session.scalars(select(SiteModerator)).all())


def test_within_15_minutes_nothing_is_asked_again(app, client, codes):
    age_the_check(app, 14)
    assert client.get(EXPORT).status_code == 200
    answer = client.post(f"{SITE}/moderators", data={"moderator-email": MODERATOR})
    assert answer.status_code == 303
    assert urlsplit(answer.headers["Location"]).path == SITE
    assert moderators(app) == 1


def test_a_consent_export_asks_again_then_downloads(app, client, codes):
    age_the_check(app, 16)
    back = asked_back_to(client.get(f"{EXPORT}?document=terms"))
    assert back == f"{EXPORT}?document=terms"
    confirm(client, back, codes[0])
    download = client.get(back)
    assert download.status_code == 200
    assert download.mimetype == "text/csv"


def test_adding_a_moderator_asks_again_and_adds_nobody_meanwhile(app, client, codes):
    age_the_check(app, 60)
    answer = client.post(f"{SITE}/moderators", data={"moderator-email": MODERATOR})
    assert asked_back_to(answer) == f"{SITE}#moderators-heading"
    assert moderators(app) == 0
    confirm(client, f"{SITE}#moderators-heading", codes[0])
    assert client.post(f"{SITE}/moderators", data={"moderator-email": MODERATOR}).status_code == 303
    assert moderators(app) == 1


def site_form(**changes: str) -> dict[str, str]:
    return {
        "slug": "demo",
        "name": "Demo News",
        "origins": ORIGIN,
        "moderation_policy": "hold_none",
        "edit_window_minutes": "15",
    } | changes


def origins_of(app: Flask) -> list[str]:
    with app.app_context():
        site = db.session.scalar(select(Site).filter_by(slug="demo"))
        assert site is not None
        return list(site.origins)


def test_changing_origins_asks_again_other_settings_do_not(app, client, codes):
    age_the_check(app, 16)
    # Only the name: saved at once.
    assert client.post(SITE, data=site_form(name="Demo Daily")).status_code == 303
    # Another origin: asked first, and nothing changes meanwhile.
    evil = f"{ORIGIN}\nhttps://evil.example"
    assert asked_back_to(client.post(SITE, data=site_form(origins=evil))) == SITE
    assert origins_of(app) == [ORIGIN]
    confirm(client, SITE, codes[0])
    assert client.post(SITE, data=site_form(origins=evil)).status_code == 303
    assert origins_of(app) == [ORIGIN, "https://evil.example"]


def test_publishing_a_policy_asks_again_and_keeps_the_text(app, client, codes):
    age_the_check(app, 16)
    text = "# Terms\n\nNew terms, written with care for a long time."
    form = {"source": text, "summary": "Clearer terms", "publish": "Publish new version"}
    # A preview needs nothing more.
    preview = client.post(TERMS, data={**form, "preview": "Preview"} | {"publish": ""})
    assert preview.status_code == 200
    refused = client.post(TERMS, data=form)
    assert refused.status_code == 403
    page = refused.get_data(as_text=True)
    assert "written with care" in page  # the text is still in the form
    assert 'href="/auth/two-step?next=/admin/policies/terms"' in page
    assert 'target="_blank"' in page
    with app.app_context():
        assert policies.current(PolicyDocument.TERMS).version == 1
    confirm(client, TERMS, codes[0])
    assert client.post(TERMS, data=form).status_code == 303
    with app.app_context():
        assert policies.current(PolicyDocument.TERMS).version == 2


def test_a_stolen_session_cookie_alone_exports_nothing(app, client, codes):
    """The attacker has the cookie, not the factor: the second step refuses their guess,
    and the export keeps asking."""
    age_the_check(app, 30)
    back = asked_back_to(client.get(EXPORT))
    guess = client.post(f"/auth/two-step?next={back}", data={"code": "123456"})
    assert guess.status_code == 422
    asked_back_to(client.get(EXPORT))
    # Nor does the confirmation send anyone to another site afterwards.
    answer = client.post("/auth/two-step?next=https://evil.example/", data={"code": codes[1]})
    assert answer.status_code == 303
    assert not answer.headers["Location"].startswith("https://evil.example")
