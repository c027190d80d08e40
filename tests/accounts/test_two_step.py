"""Two-step sign-in: authenticator apps with a controlled clock, recovery codes, the
second step after the password, staff who must have a factor, a site's rule for its
moderators, resets of staff accounts, and the attacker's side of each."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pyotp
import pytest
from flask import Flask
from flask.testing import FlaskClient

from commentsvc.accounts import factor_rules, recovery_codes, reset, totp
from commentsvc.accounts.models import Reader, RecoveryCode, TotpFactor
from commentsvc.comments import sites
from commentsvc.core import tokens
from commentsvc.core.extensions import db, utcnow
from commentsvc.moderation.models import AuditEntry, SiteModerator
from tests.accounts.popup_support import NEW_PASSWORD, make_site
from tests.conftest import Inbox, build_app
from tests.factories import make_reader, sign_in

ADMIN = "admin@example.org"
T0 = datetime(2026, 11, 30, 12, 0, 0, tzinfo=UTC)


@pytest.fixture
def app(smtp_server, tmp_path) -> Flask:
    """Admins must have a second factor here, as in production."""
    return build_app(tmp_path, smtp_server.port, ADMINS_NEED_SECOND_FACTOR=True)


def reader_of(email: str) -> Reader:
    reader = db.session.query(Reader).filter_by(email=email).one()
    return reader


def secret_of(app: Flask, email: str) -> str:
    with app.app_context():
        return db.session.get(TotpFactor, reader_of(email).id).secret  # type: ignore[union-attr]


def set_up_app(client: FlaskClient, app: Flask, email: str) -> list[str]:
    """Set up an app through the pages; returns the recovery codes shown."""
    page = client.get("/account/two-step/app").get_data(as_text=True)
    assert "<svg" in page
    code = pyotp.TOTP(secret_of(app, email)).now()
    shown = client.post("/account/two-step/app", data={"code": code}).get_data(as_text=True)
    codes = re.findall(r"<code>([a-z0-9]{5}-[a-z0-9]{5})</code>", shown)
    assert len(codes) == 10, shown
    return codes


# --- authenticator apps with a controlled clock -------------------------------------------


def test_an_app_code_works_once_and_stale_codes_fail(app):
    make_reader(app)
    with app.app_context():
        reader = reader_of("reader@example.org")
        setup = totp.begin_setup(reader)
        generator = pyotp.TOTP(setup.secret)
        assert "otpauth://totp/" in setup.uri
        assert setup.qr_svg.startswith("<svg")
        codes = totp.confirm_setup(reader, generator.at(T0), at=T0)
        assert len(codes) == 10
        # The code that confirmed the set-up is spent.
        assert not totp.verify(reader, generator.at(T0), at=T0)
        later = T0 + timedelta(seconds=30)
        assert totp.verify(reader, generator.at(later), at=later)
        # Reused, and an older step after a newer one: refused.
        assert not totp.verify(reader, generator.at(later), at=later)
        assert not totp.verify(reader, generator.at(T0), at=later)
        # A code from two minutes ago is stale; the next step's is taken (clock drift).
        much_later = T0 + timedelta(minutes=10)
        assert not totp.verify(
            reader, generator.at(much_later - timedelta(minutes=2)), at=much_later
        )
        assert totp.verify(reader, generator.at(much_later + timedelta(seconds=30)), at=much_later)
        assert not totp.verify(reader, "12345", at=much_later)
        assert not totp.verify(reader, "١٢٣٤٥٦", at=much_later)


def test_a_wrong_first_code_does_not_turn_the_app_on(app):
    make_reader(app)
    with app.app_context():
        reader = reader_of("reader@example.org")
        setup = totp.begin_setup(reader)
        wrong = pyotp.TOTP(setup.secret).at(T0 - timedelta(minutes=5))
        with pytest.raises(Exception, match="not right"):
            totp.confirm_setup(reader, wrong, at=T0)
        assert not totp.is_set_up(reader)
        # Reloading the set-up shows the same secret.
        assert totp.begin_setup(reader).secret == setup.secret


# --- recovery codes ----------------------------------------------------------------------


def test_recovery_codes_are_single_use_hashed_and_personal(app):
    make_reader(app)
    make_reader(app, email="other@example.org", display_name="Other")
    with app.app_context():
        reader = reader_of("reader@example.org")
        other = reader_of("other@example.org")
        codes = recovery_codes.replace_codes(reader)
        db.session.commit()
        stored = {row.code_hash for row in db.session.query(RecoveryCode)}
        assert not any(code.replace("-", "") in h for code in codes for h in stored)
        assert not recovery_codes.use(other, codes[0])
        assert recovery_codes.use(reader, codes[0].upper().replace("-", " "))
        assert not recovery_codes.use(reader, codes[0])
        assert recovery_codes.remaining(reader) == 9
        fresh = recovery_codes.replace_codes(reader)
        db.session.commit()
        assert not recovery_codes.use(reader, codes[1])
        assert recovery_codes.use(reader, fresh[1])


# --- the second step after the password --------------------------------------------------


def test_an_admin_without_a_factor_cannot_reach_staff_pages_until_adding_one(
    app, client, inbox: Inbox, deliver
):
    make_reader(app, email=ADMIN, display_name="Admin", is_admin=True)
    sign_in(client, ADMIN)
    for page in ("/admin", "/moderation/", "/admin/sites"):
        response = client.get(page)
        assert response.status_code == 303, page
        assert response.headers["Location"] == "/account#two-step-heading"
    account = client.get("/account").get_data(as_text=True)
    assert "Your role needs two-step sign-in" in account
    set_up_app(client, app, ADMIN)
    assert client.get("/admin").status_code == 200
    deliver()
    assert inbox.last_to(ADMIN)["Subject"] == "Two-step sign-in was turned on"
    with app.app_context():
        entry = db.session.query(AuditEntry).one()
        assert entry.action == "totp_add"
        assert entry.actor_name == "Admin"


def test_the_second_step_takes_an_app_code_once_and_a_recovery_code_once(app, client):
    make_reader(app, email=ADMIN, display_name="Admin", is_admin=True)
    sign_in(client, ADMIN)
    codes = set_up_app(client, app, ADMIN)
    client.post("/auth/sign-out")

    response = sign_in(client, ADMIN)
    assert response.headers["Location"] == "/auth/two-step"
    # Not signed in yet: staff pages and the account send to sign in.
    assert client.get("/admin").status_code == 302
    assert client.post("/auth/two-step", data={"code": "000000"}).status_code == 422
    # The code that set the app up (this very step) is spent; try the next one's.
    next_code = pyotp.TOTP(secret_of(app, ADMIN)).at(utcnow() + timedelta(seconds=30))
    answer = client.post("/auth/two-step", data={"code": next_code})
    assert answer.status_code == 303, answer.get_data(as_text=True)
    assert answer.headers["Location"] == "/admin"
    assert client.get("/admin").status_code == 200
    client.post("/auth/sign-out")

    sign_in(client, ADMIN)
    # The app's code that signed in once does not sign in again.
    assert client.post("/auth/two-step", data={"code": next_code}).status_code == 422
    assert client.post("/auth/two-step", data={"code": codes[0]}).status_code == 303
    client.post("/auth/sign-out")
    sign_in(client, ADMIN)
    assert client.post("/auth/two-step", data={"code": codes[0]}).status_code == 422


def test_the_second_step_expires(app, client):
    make_reader(app, email=ADMIN, display_name="Admin", is_admin=True)
    sign_in(client, ADMIN)
    codes = set_up_app(client, app, ADMIN)
    client.post("/auth/sign-out")
    sign_in(client, ADMIN)
    with client.session_transaction() as session:
        waiting = dict(session["second_step"])
        waiting["at"] -= 3600
        session["second_step"] = waiting
    response = client.post("/auth/two-step", data={"code": codes[0]})
    assert response.status_code == 303
    assert response.headers["Location"] == "/auth/sign-in"
    assert client.get("/admin").status_code == 302


def guarded_admin(smtp_port: int, tmp_path: Path) -> tuple[Flask, FlaskClient, list[str]]:
    """An app allowing 5 second-step guesses per account in 5 minutes, and its admin with
    an app set up, signed out (with the recovery codes shown)."""
    app = build_app(
        tmp_path,
        smtp_port,
        ADMINS_NEED_SECOND_FACTOR=True,
        RATELIMIT_SECOND_STEP_ACCOUNT="5 per 5 minutes",
    )
    client = app.test_client()
    make_reader(app, email=ADMIN, display_name="Admin", is_admin=True)
    sign_in(client, ADMIN)
    codes = set_up_app(client, app, ADMIN)
    client.post("/auth/sign-out")
    return app, client, codes


def test_guessing_second_step_codes_hits_the_limit(smtp_server, tmp_path):
    _app, client, codes = guarded_admin(smtp_server.port, tmp_path)
    sign_in(client, ADMIN)
    statuses = [
        client.post("/auth/two-step", data={"code": f"{n:06d}"}).status_code for n in range(6)
    ]
    assert statuses == [422] * 5 + [429]
    # Even the right code waits out the limit.
    assert client.post("/auth/two-step", data={"code": codes[0]}).status_code == 429


def test_the_last_factor_of_an_admin_cannot_be_removed(app, client, inbox, deliver):
    make_reader(app, email=ADMIN, display_name="Admin", is_admin=True)
    sign_in(client, ADMIN)
    set_up_app(client, app, ADMIN)
    client.post("/account/two-step/app/remove")
    with app.app_context():
        assert totp.is_set_up(reader_of(ADMIN))
    page = client.get("/account").get_data(as_text=True)
    assert "Your role needs a second factor" in page


def test_a_reader_removes_an_app_and_is_told(app, client, inbox, deliver):
    make_reader(app)
    sign_in(client)
    set_up_app(client, app, "reader@example.org")
    client.post("/account/two-step/app/remove")
    with app.app_context():
        reader = reader_of("reader@example.org")
        assert not totp.is_set_up(reader)
        assert recovery_codes.remaining(reader) == 0
    deliver()
    subjects = [m["Subject"] for m in inbox.to("reader@example.org")]
    assert subjects == ["Two-step sign-in was turned on", "An authenticator app was removed"]


def test_new_recovery_codes_replace_the_old_ones_and_are_audited(app, client):
    make_reader(app, email=ADMIN, display_name="Admin", is_admin=True)
    sign_in(client, ADMIN)
    old = set_up_app(client, app, ADMIN)
    page = client.post("/account/two-step/recovery-codes").get_data(as_text=True)
    new = re.findall(r"<code>([a-z0-9]{5}-[a-z0-9]{5})</code>", page)
    assert len(new) == 10
    assert not set(new) & set(old)
    with app.app_context():
        assert not recovery_codes.use(reader_of(ADMIN), old[0])
        actions = [e.action for e in db.session.query(AuditEntry).order_by(AuditEntry.id)]
        assert actions == ["totp_add", "recovery_codes"]


# --- a site's rule for its moderators ----------------------------------------------------


def test_a_site_can_require_a_factor_of_its_moderators(app, client):
    make_reader(app, email=ADMIN, display_name="Admin", is_admin=True)
    mod_id = make_reader(app, email="mina@example.org", display_name="Mina")
    with app.app_context():
        site = sites.create_site("demo", "Demo News", ["https://news.example"])
        db.session.add(SiteModerator(site_id=site.id, reader_id=mod_id))
        db.session.commit()
        site_id = site.id
    sign_in(client, "mina@example.org")
    assert client.get("/moderation/").status_code == 200
    client.post("/auth/sign-out")

    sign_in(client, ADMIN)
    set_up_app(client, app, ADMIN)
    response = client.post(
        "/moderation/sites/demo/second-factor", data={"moderators_need_second_factor": "y"}
    )
    assert response.status_code == 303
    with app.app_context():
        site = sites.require_site("demo")
        assert site.id == site_id
        assert factor_rules.site_requires_factor(site)
        entry = db.session.query(AuditEntry).filter_by(action="second_factor_rule").one()
        assert (entry.status_before, entry.status_after) == ("optional", "required")
    client.post("/auth/sign-out")

    sign_in(client, "mina@example.org")
    response = client.get("/moderation/")
    assert response.headers["Location"] == "/account#two-step-heading"
    set_up_app(client, app, "mina@example.org")
    assert client.get("/moderation/").status_code == 200


def test_only_an_admin_sets_the_site_rule(app, client):
    mod_id = make_reader(app, email="mina@example.org", display_name="Mina")
    with app.app_context():
        site = sites.create_site("demo", "Demo News", ["https://news.example"])
        db.session.add(SiteModerator(site_id=site.id, reader_id=mod_id))
        db.session.commit()
    sign_in(client, "mina@example.org")
    response = client.post("/moderation/sites/demo/second-factor", data={})
    assert response.status_code == 403


# --- a password reset of an account with a second factor ---------------------------------


def reset_token(app: Flask, email: str) -> str:
    with app.app_context():
        return tokens.PASSWORD_RESET.make(reset._reset_payload(reader_of(email)))


def test_a_staff_reset_needs_the_second_factor(app, client):
    make_reader(app, email=ADMIN, display_name="Admin", is_admin=True)
    sign_in(client, ADMIN)
    codes = set_up_app(client, app, ADMIN)
    client.post("/auth/sign-out")

    client.get(f"/auth/reset/{reset_token(app, ADMIN)}")
    page = client.get("/auth/reset/new-password").get_data(as_text=True)
    assert "Code from your app, or a recovery code" in page
    refused = client.post(
        "/auth/reset/new-password", data={"password": "a brand new passphrase", "code": "000000"}
    )
    assert refused.status_code == 422
    missing = client.post("/auth/reset/new-password", data={"password": "a brand new passphrase"})
    assert missing.status_code == 422
    # A weak password is refused without using the code up.
    weak = client.post("/auth/reset/new-password", data={"password": "password", "code": codes[0]})
    assert weak.status_code == 422
    done = client.post(
        "/auth/reset/new-password", data={"password": "a brand new passphrase", "code": codes[0]}
    )
    assert done.status_code == 303
    with app.app_context():
        assert totp.is_set_up(reader_of(ADMIN))
        assert recovery_codes.remaining(reader_of(ADMIN)) == 9


def test_a_reader_without_a_factor_resets_with_the_link_alone(app, client):
    make_reader(app)
    client.get(f"/auth/reset/{reset_token(app, 'reader@example.org')}")
    page = client.get("/auth/reset/new-password").get_data(as_text=True)
    assert "recovery code" not in page
    done = client.post("/auth/reset/new-password", data={"password": "a brand new passphrase"})
    assert done.status_code == 303


def test_a_staff_session_that_never_proved_a_factor_is_asked_for_it(app, client):
    """A browser signed in before the factor was added (elsewhere) must prove it before
    staff pages, and goes on to the page it asked for."""
    make_reader(app, email=ADMIN, display_name="Admin", is_admin=True)
    sign_in(client, ADMIN)
    elsewhere = app.test_client()
    sign_in(elsewhere, ADMIN)
    codes = set_up_app(elsewhere, app, ADMIN)
    response = client.get("/admin/sites")
    assert response.headers["Location"] == "/auth/two-step?next=/admin/sites"
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Confirm it is you" in page
    answer = client.post("/auth/two-step?next=/admin/sites", data={"code": codes[0]})
    assert answer.headers["Location"] == "/admin/sites"
    assert client.get("/admin/sites").status_code == 200


def test_a_staff_reset_in_the_popup_needs_the_second_factor_too(app, client):
    make_site(app)
    make_reader(app, email=ADMIN, display_name="Admin", is_admin=True)
    sign_in(client, ADMIN)
    codes = set_up_app(client, app, ADMIN)
    client.post("/auth/sign-out")
    with client.session_transaction() as session:
        session["reset_token"] = reset_token(app, ADMIN)
    refused = client.post(NEW_PASSWORD, data={"password": "a brand new passphrase"})
    assert refused.status_code == 422
    done = client.post(NEW_PASSWORD, data={"password": "a brand new passphrase", "code": codes[1]})
    assert done.status_code == 303
    assert done.headers["Location"] == "/auth/embed-sign-in?site=demo"
    # Signed in with the second factor proved: staff pages open.
    assert client.get("/admin").status_code == 200


def test_guessing_codes_at_a_staff_reset_hits_the_limit(smtp_server, tmp_path):
    app, client, codes = guarded_admin(smtp_server.port, tmp_path)
    client.get(f"/auth/reset/{reset_token(app, ADMIN)}")
    statuses = [
        client.post(
            "/auth/reset/new-password",
            data={"password": "a brand new passphrase", "code": f"{n:06d}"},
        ).status_code
        for n in range(6)
    ]
    assert statuses == [422] * 5 + [429]
    right = {"password": "a brand new passphrase", "code": codes[0]}
    assert client.post("/auth/reset/new-password", data=right).status_code == 429


def test_the_second_step_and_a_reset_share_one_count_of_guesses(smtp_server, tmp_path):
    app, client, _codes = guarded_admin(smtp_server.port, tmp_path)
    sign_in(client, ADMIN)
    for n in range(3):
        assert client.post("/auth/two-step", data={"code": f"{n:06d}"}).status_code == 422
    client.get(f"/auth/reset/{reset_token(app, ADMIN)}")
    guess = {"password": "a brand new passphrase", "code": "000009"}
    statuses = [client.post("/auth/reset/new-password", data=guess).status_code for _ in range(3)]
    assert statuses == [422, 422, 429]


def test_an_operator_removes_every_factor_of_an_admin_who_lost_them(app, client, inbox, deliver):
    make_reader(app, email=ADMIN, display_name="Admin", is_admin=True)
    sign_in(client, ADMIN)
    codes = set_up_app(client, app, ADMIN)
    result = app.test_cli_runner().invoke(args=["users", "reset-two-step", "Admin@Example.org"])
    assert result.exit_code == 0, result.output
    assert "Removed 0 passkey(s)" in result.output
    with app.app_context():
        reader = reader_of(ADMIN)
        assert not totp.is_set_up(reader)
        assert not recovery_codes.use(reader, codes[0])
        entry = db.session.query(AuditEntry).order_by(AuditEntry.id.desc()).first()
        assert entry is not None
        assert (entry.action, entry.actor_id, entry.target_id) == ("totp_remove", None, reader.id)
    # This browser's proof went with the factors: add a new one before the admin pages.
    assert client.get("/admin").headers["Location"] == "/account#two-step-heading"
    deliver()
    assert inbox.last_to(ADMIN)["Subject"] == "Your passkeys and two-step sign-in were removed"
    unknown = app.test_cli_runner().invoke(args=["users", "reset-two-step", "nobody@example.org"])
    assert unknown.exit_code != 0


def test_a_staff_sign_in_in_the_popup_takes_the_second_step_there(app, client):
    make_site(app)
    make_reader(app, email=ADMIN, display_name="Admin", is_admin=True)
    sign_in(client, ADMIN)
    codes = set_up_app(client, app, ADMIN)
    client.post("/auth/sign-out")
    response = sign_in(client, ADMIN, next_url="/auth/embed-sign-in?site=demo")
    assert response.headers["Location"] == "/auth/two-step"
    page = client.get("/auth/two-step").get_data(as_text=True)
    assert "Comments on Demo News" in page  # the popup's layout
    answer = client.post("/auth/two-step", data={"code": codes[0]})
    assert answer.headers["Location"] == "/auth/embed-sign-in?site=demo"
    assert 'data-code="' in client.get(answer.headers["Location"]).get_data(as_text=True)
