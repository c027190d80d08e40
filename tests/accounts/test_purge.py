"""Expired rows go: `flask purge` and the mail worker delete expired sessions and widget
sign-in codes and keep live ones; the sign-in popup's page cannot grow the code table."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select, update

from commentsvc.accounts import widget_sign_in
from commentsvc.accounts.models import EmbedSignInCode, Reader, ReaderSession
from commentsvc.comments import sites
from commentsvc.core.extensions import db, utcnow
from tests.factories import make_reader, sign_in

OWN = {"Origin": "http://localhost:5000"}
HANDOFF = "/auth/embed-sign-in?site=demo"


@pytest.fixture
def site_id(app: Flask) -> int:
    with app.app_context():
        return sites.create_site("demo", "Demo", ["https://news.example"]).id


def count(app: Flask, model: type[ReaderSession] | type[EmbedSignInCode]) -> int:
    with app.app_context():
        return int(db.session.scalar(select(func.count()).select_from(model)) or 0)


def expire(app: Flask, model: type[ReaderSession] | type[EmbedSignInCode], row_id: int) -> None:
    with app.app_context():
        db.session.execute(
            update(model)
            .where(model.id == row_id)
            .values(expires_at=utcnow() - timedelta(seconds=1))
        )
        db.session.commit()


def is_signed_in(client: FlaskClient) -> bool:
    return client.get("/account").status_code == 200


def code_from(page_text: str) -> str:
    match = re.search(r'data-code="([^"]+)"', page_text)
    assert match, page_text
    return match.group(1)


@pytest.fixture
def rows(app: Flask, site_id: int) -> tuple[FlaskClient, str]:
    """Two signed-in browsers (the first one's session then expires) and two sign-in
    codes (the first one expired); returns the live browser and the live code."""
    reader_id = make_reader(app)
    gone, live = app.test_client(), app.test_client()
    sign_in(gone)
    sign_in(live)
    expire(app, ReaderSession, 1)
    with app.app_context():
        reader = db.session.get(Reader, reader_id)
        assert reader is not None
        widget_sign_in.create_embed_code(reader, site_id)
        code = widget_sign_in.create_embed_code(reader, site_id)
    expire(app, EmbedSignInCode, 1)
    assert (count(app, ReaderSession), count(app, EmbedSignInCode)) == (2, 2)
    return live, code


def test_purge_deletes_expired_rows_and_keeps_live_ones(app, runner, rows):
    live, code = rows
    result = runner.invoke(args=["purge"])
    assert result.exit_code == 0, result.output
    assert "Deleted 1 expired widget sign-in codes." in result.output
    assert "Deleted 1 expired reader sessions." in result.output
    assert (count(app, ReaderSession), count(app, EmbedSignInCode)) == (1, 1)

    # What was live still works.
    assert is_signed_in(live)
    widget = app.test_client()
    assert widget.post("/embed/demo/session", data={"code": code}, headers=OWN).status_code == 200

    again = runner.invoke(args=["purge"])
    assert "Deleted 0 expired reader sessions." in again.output


def test_the_mail_worker_purges_too(app, runner, rows):
    live, _ = rows
    result = runner.invoke(args=["mail", "send-pending"])
    assert result.exit_code == 0, result.output
    assert (count(app, ReaderSession), count(app, EmbedSignInCode)) == (1, 1)
    assert is_signed_in(live)


def test_reloading_the_sign_in_popup_does_not_grow_the_code_table(app, client, site_id):
    make_reader(app)
    sign_in(client)
    pages = [client.get(HANDOFF) for _ in range(40)]
    assert all(page.status_code == 200 for page in pages)

    assert count(app, EmbedSignInCode) <= widget_sign_in.EMBED_CODES_PER_READER
    # The newest code still signs the widget in; the oldest were dropped.
    newest, oldest = code_from(pages[-1].text), code_from(pages[0].text)
    widget = app.test_client()
    assert widget.post("/embed/demo/session", data={"code": oldest}, headers=OWN).status_code == 400
    assert widget.post("/embed/demo/session", data={"code": newest}, headers=OWN).status_code == 200
    assert "Signed in as Reader" in widget.get("/embed/demo/t/a1?url=https://news.example/a1").text
