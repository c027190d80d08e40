"""The command-line tools: `flask users …` and `flask mail …`."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from click.testing import Result
from flask import Flask
from flask.testing import FlaskCliRunner
from sqlalchemy import select

from commentsvc.accounts.models import Reader
from commentsvc.core.extensions import db
from commentsvc.core.models import OutboxMessage, OutboxStatus
from tests.conftest import SMTPServer
from tests.factories import PASSWORD, make_reader, sign_in

ADMIN_PASSWORD = "a long admin passphrase"


def reader_by_email(app: Flask, address: str) -> Reader | None:
    with app.app_context():
        reader = db.session.scalar(select(Reader).where(Reader.email == address))
        db.session.expunge_all()
        return reader


def create_admin(runner: FlaskCliRunner, *args: str, password: str = ADMIN_PASSWORD) -> Result:
    return runner.invoke(args=["users", "create-admin", *args], input=f"{password}\n")


def test_create_admin_reads_the_password_from_stdin(app, runner):
    result = create_admin(runner, "Boss@Example.org")
    assert result.exit_code == 0, result.output
    assert "Created: admin boss@example.org" in result.output
    assert ADMIN_PASSWORD not in result.output

    admin = reader_by_email(app, "boss@example.org")
    assert admin is not None
    assert admin.is_admin
    assert admin.is_verified
    assert admin.display_name == "Admin"
    assert sign_in(app.test_client(), "boss@example.org", ADMIN_PASSWORD).status_code == 303


def test_create_admin_refuses_a_common_password(app, runner):
    result = create_admin(runner, "boss@example.org", password="password123")
    assert result.exit_code != 0
    assert "commonly used passwords" in result.output
    assert reader_by_email(app, "boss@example.org") is None


def test_create_admin_refuses_an_empty_password(app, runner):
    result = runner.invoke(args=["users", "create-admin", "boss@example.org"], input="")
    assert result.exit_code != 0
    assert "at least 8 characters" in result.output
    assert reader_by_email(app, "boss@example.org") is None


def test_create_admin_promotes_an_existing_account(app, runner):
    make_reader(app, email="editor@example.org", display_name="Editor")
    result = create_admin(runner, "editor@example.org")
    assert result.exit_code == 0, result.output
    assert "Promoted existing account: admin editor@example.org" in result.output

    editor = reader_by_email(app, "editor@example.org")
    assert editor is not None
    assert editor.is_admin
    assert editor.display_name == "Editor"
    # Promotion keeps the account's own password.
    assert sign_in(app.test_client(), "editor@example.org", PASSWORD).status_code == 303


def test_create_admin_never_takes_the_password_as_an_argument(app, runner):
    result = runner.invoke(
        args=["users", "create-admin", "boss@example.org", ADMIN_PASSWORD], input=""
    )
    assert result.exit_code == 2
    assert "unexpected extra argument" in result.output.lower()
    assert reader_by_email(app, "boss@example.org") is None


def test_create_admin_with_a_taken_display_name_asks_for_another(app, runner):
    make_reader(app, email="someone@example.org", display_name="admin")
    result = create_admin(runner, "boss@example.org")
    assert result.exit_code != 0
    assert "use --name" in result.output

    result = create_admin(runner, "boss@example.org", "--name", "Chief Editor")
    assert result.exit_code == 0, result.output
    boss = reader_by_email(app, "boss@example.org")
    assert boss is not None
    assert boss.display_name == "Chief Editor"


def test_users_list_prints_accounts_with_marks(app, runner):
    make_reader(app, email="boss@example.org", display_name="Boss", is_admin=True)
    make_reader(app, email="plain@example.org", display_name="Plain")
    make_reader(app, email="new@example.org", display_name="Newcomer", verified=False)

    result = runner.invoke(args=["users", "list"])
    assert result.exit_code == 0, result.output
    rows = [line.split("\t") for line in result.output.splitlines()]
    assert [row[1:] for row in rows] == [
        ["boss@example.org", "Boss", "verified,admin"],
        ["plain@example.org", "Plain", "verified"],
        ["new@example.org", "Newcomer", ""],
    ]


def test_mail_send_pending_delivers_queued_mail_and_prints_counts(app, client, runner, inbox):
    make_reader(app)
    client.post("/auth/reset", data={"email": "reader@example.org"})
    client.post("/auth/reset", data={"email": "reader@example.org"})

    result = runner.invoke(args=["mail", "send-pending"])
    assert result.exit_code == 0, result.output
    assert "sent 2, failed attempts 0" in result.output
    assert len(inbox.to("reader@example.org")) == 2

    again = runner.invoke(args=["mail", "send-pending"])
    assert "sent 0, failed attempts 0" in again.output


@pytest.fixture
def smtp_down(smtp_server: SMTPServer) -> Iterator[SMTPServer]:
    smtp_server.stop()
    yield smtp_server
    if smtp_server.controller is None:
        smtp_server.start()


def test_mail_send_pending_reports_failed_attempts(app, client, runner, inbox, smtp_down):
    make_reader(app)
    client.post("/auth/reset", data={"email": "reader@example.org"})

    result = runner.invoke(args=["mail", "send-pending"])
    assert result.exit_code == 0, result.output
    assert "sent 0, failed attempts 1" in result.output
    with app.app_context():
        row = db.session.scalar(select(OutboxMessage))
        assert row is not None
        assert (row.status, row.attempts) == (OutboxStatus.PENDING, 1)
