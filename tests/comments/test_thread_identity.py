"""Who decides a thread's title and URL, seen from an attacker's side: crafted first views,
forged titles and signatures, floods of new threads, the staff's corrections, and what
mails put in their subjects."""

from __future__ import annotations

import hashlib
import hmac
import re
from urllib.parse import urlencode

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import event, func, select, update

from commentsvc.comments import sites
from commentsvc.comments.models import ModerationPolicy, Site, Thread
from commentsvc.core.extensions import db
from commentsvc.moderation.models import AuditAction, AuditEntry
from tests.conftest import body_of
from tests.factories import make_reader
from tests.moderation_support import ORIGIN, build_world, client_for, post

FAKE = "FAKE: this outlet endorses candidate X"
REAL = "Blinken leaves Baku without a deal"
FROM_SITE = {"Referer": ORIGIN + "/"}


def page(key: str, title: str, url: str | None = None, sig: str | None = None) -> str:
    args = {"title": title, "url": url or f"{ORIGIN}/{key}", "origin": ORIGIN}
    if sig is not None:
        args["sig"] = sig
    return f"/embed/demo/t/{key}?" + urlencode(args)


def sign(secret: str, key: str, url: str, title: str) -> str:
    """What the README tells a site's templates to compute."""
    return hmac.new(secret.encode(), f"{key}\n{url}\n{title}".encode(), hashlib.sha256).hexdigest()


def thread_of(app: Flask, key: str, slug: str = "demo") -> Thread:
    """The thread as stored now (it must exist)."""
    with app.app_context():
        found = db.session.scalar(
            select(Thread)
            .join(Site, Site.id == Thread.site_id)
            .where(Site.slug == slug, Thread.key == key)
        )
        assert found is not None, key
        db.session.expunge(found)
        return found


def count_threads(app: Flask) -> int:
    with app.app_context():
        return int(db.session.scalar(select(func.count(Thread.id))) or 0)


@pytest.fixture
def world(app: Flask):
    return build_world(app)


def as_ip(client: FlaskClient, ip: str) -> FlaskClient:
    client.environ_base["REMOTE_ADDR"] = ip
    return client


# --- where threads may come from -----------------------------------------------------------


def test_a_url_off_the_sites_origins_creates_no_thread(app, client, world):
    before = count_threads(app)
    for url in (
        "https://evil.example/new",
        f"{ORIGIN}.evil.example/new",
        "javascript:alert(1)",
        f"{ORIGIN}/new\nFAKE",  # a newline would make the signed message ambiguous
    ):
        response = client.get(page("new", FAKE, url))
        assert response.status_code == 400, url
        assert "not on one of the site" in response.text
    assert count_threads(app) == before


def test_a_forged_title_does_not_stick(app, client, world):
    # The attacker's crafted request comes first and names the thread.
    attacker = as_ip(app.test_client(), "203.0.113.9")
    assert attacker.get(page("a2", FAKE)).status_code == 200
    assert thread_of(app, "a2").title == FAKE  # provisional
    # The article's real page, opened from the site, replaces it.
    assert client.get(page("a2", REAL), headers=FROM_SITE).status_code == 200
    assert thread_of(app, "a2").title == REAL
    # The attacker's next attempts, not from the site's pages, change nothing.
    assert attacker.get(page("a2", FAKE + "!")).status_code == 200
    assert (
        attacker.get(page("a2", FAKE), headers={"Referer": "https://evil.example/"}).status_code
        == 200
    )
    found = thread_of(app, "a2")
    assert (found.title, found.url) == (REAL, f"{ORIGIN}/a2")
    first_party = client.get("/threads/demo/t/a2")
    assert REAL in first_party.text
    assert "FAKE" not in first_party.text


def test_signed_threads_only_when_the_site_requires_them(app, client, world):
    with app.app_context():
        site = sites.require_site("demo")
        secret = sites.new_thread_secret(site)
        sites.set_require_signed_threads(site, True)
    url = f"{ORIGIN}/a3"
    before = count_threads(app)
    # No signature, a forged one, or one for another title: refused inside the frame.
    for sig in (None, "0" * 64, sign(secret, "a3", url, REAL), sign("guess", "a3", url, FAKE)):
        response = client.get(page("a3", FAKE, url, sig), headers=FROM_SITE)
        assert response.status_code == 403, sig
        assert "only under its own articles" in response.text
        assert "frame-ancestors " + ORIGIN in response.headers["Content-Security-Policy"]
    assert count_threads(app) == before
    # The site's own signed snippet creates it.
    assert client.get(page("a3", REAL, url, sign(secret, "a3", url, REAL))).status_code == 200
    assert thread_of(app, "a3").title == REAL
    # Unsigned views, even from the site's pages, no longer set the title.
    assert client.get(page("a3", FAKE, url), headers=FROM_SITE).status_code == 200
    assert thread_of(app, "a3").title == REAL
    # A later signed snippet (the headline was edited) does.
    edited = REAL + " (updated)"
    assert client.get(page("a3", edited, url, sign(secret, "a3", url, edited))).status_code == 200
    assert thread_of(app, "a3").title == edited
    # A new secret: snippets signed with the old one count for nothing.
    with app.app_context():
        sites.new_thread_secret(sites.require_site("demo"))
    assert (
        client.get(
            page("a4", REAL, f"{ORIGIN}/a4", sign(secret, "a4", f"{ORIGIN}/a4", REAL))
        ).status_code
        == 403
    )


def test_a_signed_title_is_not_replaced_by_unsigned_views(app, client, world):
    with app.app_context():
        secret = sites.new_thread_secret(sites.require_site("demo"))
    url = f"{ORIGIN}/a5"
    assert client.get(page("a5", REAL, url, sign(secret, "a5", url, REAL))).status_code == 200
    # Signing is optional here: unsigned snippets still create threads...
    assert client.get(page("a6", REAL)).status_code == 200
    # ...but cannot replace a signed title, whatever Referer they claim.
    assert client.get(page("a5", FAKE, url), headers=FROM_SITE).status_code == 200
    assert thread_of(app, "a5").title == REAL


# --- floods of new threads ---------------------------------------------------------------


def test_new_thread_floods_are_cut_per_address_and_per_site(app, world):
    before = count_threads(app)
    one = as_ip(app.test_client(), "203.0.113.1")
    codes = [one.get(page(f"flood-{n}", FAKE)).status_code for n in range(300)]
    assert codes.count(200) == 20  # RATELIMIT_THREAD_WRITE_IP: 20 per minute
    assert set(codes[20:]) == {429}
    assert count_threads(app) == before + 20
    # Existing threads are still read, by the same address, without limit.
    for _ in range(30):
        assert one.get(page("flood-0", FAKE)).status_code == 200
        assert one.get("/threads/demo/t/a1").status_code == 200
    # Many addresses: the site's budget (60 per minute) stops them.
    codes = [
        as_ip(app.test_client(), f"198.51.100.{n % 250}").get(page(f"many-{n}", FAKE)).status_code
        for n in range(300)
    ]
    assert codes.count(200) == 40  # 60 for the site, 20 of them already spent
    assert count_threads(app) == before + 60
    # Another site has its own budget.
    other = as_ip(app.test_client(), "192.0.2.77")
    response = other.get(
        "/embed/other/t/b2?"
        + urlencode({"url": "https://other.example/b2", "origin": "https://other.example"})
    )
    assert response.status_code == 200


def test_forged_referer_title_flips_share_the_write_budget(app, client, world):
    flipper = as_ip(app.test_client(), "203.0.113.5")
    assert flipper.get(page("a7", REAL)).status_code == 200
    codes = [
        flipper.get(page("a7", f"{FAKE} {n}"), headers=FROM_SITE).status_code for n in range(40)
    ]
    # The page is shown each time, but only the budget's worth of changes were made.
    assert set(codes) == {200}
    assert thread_of(app, "a7").title == f"{FAKE} 18"


def statements(app: Flask, client: FlaskClient, path: str, **headers: str) -> list[str]:
    """The SQL a request runs through the app (no page cache: a cookie bypasses it)."""
    seen: list[str] = []

    def record(conn, cursor, statement, *args) -> None:
        seen.append(statement.split()[0].upper())

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", record)
    try:
        client.set_cookie("commentsvc_embed", "none", path="/embed")
        assert client.get(path, headers=headers).status_code == 200
    finally:
        event.remove(engine, "before_cursor_execute", record)
    return seen


def test_views_that_claim_what_the_thread_has_cost_no_writes(app, client, world):
    assert client.get(page("a10", REAL)).status_code == 200
    plain = statements(app, client, "/embed/demo/t/a10?" + urlencode({"origin": ORIGIN}))
    same = statements(app, client, page("a10", REAL), **FROM_SITE)
    assert "SELECT" in plain
    assert same == plain
    assert not {"INSERT", "UPDATE"} & set(same)


# --- corrections by the site's staff -----------------------------------------------------


def test_staff_correct_the_title_and_url_and_it_sticks(app, client, world):
    with app.app_context():
        secret = sites.new_thread_secret(sites.require_site("demo"))
    assert client.get(page("a8", FAKE)).status_code == 200
    first_party = client.get("/threads/demo/t/a8")  # kept by the page cache
    assert FAKE in first_party.text
    thread_id = thread_of(app, "a8").id
    # Another site's moderator may not; a reader may not.
    omar = client_for(app, "omar@example.org")
    data = {"title": REAL, "url": f"{ORIGIN}/articles/a8"}
    assert omar.post(f"/moderation/threads/{thread_id}/identity", data=data).status_code == 403
    alice = client_for(app, "alice@example.org")
    assert alice.post(f"/moderation/threads/{thread_id}/identity", data=data).status_code == 403
    mina = client_for(app, "mina@example.org")
    # A URL off the site's origins, or no title, is refused next to the field.
    bad = mina.post(
        f"/moderation/threads/{thread_id}/identity",
        data={"title": REAL, "url": "https://evil.example/a8"},
    )
    assert bad.status_code == 422
    assert "not on one of the site" in bad.text
    assert (
        mina.post(
            f"/moderation/threads/{thread_id}/identity", data={"title": " ", "url": data["url"]}
        ).status_code
        == 422
    )
    assert thread_of(app, "a8").title == FAKE
    saved = mina.post(f"/moderation/threads/{thread_id}/identity", data=data)
    assert saved.status_code == 303
    found = thread_of(app, "a8")
    assert (found.title, found.url) == (REAL, f"{ORIGIN}/articles/a8")
    # The cached page is not served any more.
    again = client.get("/threads/demo/t/a8")
    assert REAL in again.text
    assert FAKE not in again.text
    # No view changes it now: unsigned from the site, nor signed.
    url = f"{ORIGIN}/a8"
    client.get(page("a8", FAKE), headers=FROM_SITE)
    client.get(page("a8", FAKE, url, sign(secret, "a8", url, FAKE)))
    assert thread_of(app, "a8").title == REAL
    assert REAL in mina.get(f"/moderation/threads/{thread_id}").text
    # The correction is in the audit log, with what it replaced; the refused ones are not.
    with app.app_context():
        entries = db.session.scalars(
            select(AuditEntry).where(AuditEntry.action == AuditAction.THREAD_IDENTITY)
        ).all()
        assert [(e.target_id, e.details) for e in entries] == [
            (
                thread_id,
                {
                    "title_before": FAKE,
                    "url_before": f"{ORIGIN}/a8",
                    "title": REAL,
                    "url": f"{ORIGIN}/articles/a8",
                },
            )
        ]
    assert "corrected the title and URL" in mina.get("/moderation/audit").text


def test_admin_makes_a_signing_secret_and_requires_it(app, world):
    admin = client_for(app, "admin@example.org")
    page_before = admin.get("/admin/sites/demo")
    assert page_before.status_code == 200
    assert "This site has no signing secret yet." in page_before.text
    # Requiring signatures without a secret is refused.
    refused = admin.post(
        "/admin/sites/demo/thread-signing",
        data={"action": "require", "require_signed_threads": "y"},
    )
    assert refused.status_code == 422
    assert "Make a signing secret first." in refused.text
    assert (
        admin.post("/admin/sites/demo/thread-signing", data={"action": "secret"}).status_code == 303
    )
    shown = admin.get("/admin/sites/demo").text
    secret = re.search(r"<code>([0-9a-f]{64})</code>", shown)
    assert secret is not None
    assert (
        admin.post(
            "/admin/sites/demo/thread-signing",
            data={"action": "require", "require_signed_threads": "y"},
        ).status_code
        == 303
    )
    client = app.test_client()
    assert client.get(page("a9", FAKE)).status_code == 403
    url = f"{ORIGIN}/a9"
    assert (
        client.get(page("a9", REAL, url, sign(secret.group(1), "a9", url, REAL))).status_code == 200
    )
    # Moderators do not see the secret page.
    mina = client_for(app, "mina@example.org")
    assert mina.get("/admin/sites/demo").status_code == 403
    assert (
        mina.post("/admin/sites/demo/thread-signing", data={"action": "secret"}).status_code == 403
    )


# --- mail subjects -----------------------------------------------------------------------


def test_no_reader_chosen_text_in_mail_subjects(app, world, deliver, inbox):
    """A display name or comment text in a subject lets a reader write the first line
    other readers see from the service's address."""
    bait = "URGENT verify your account at evil.example"
    replier = make_reader(app, "mallory@example.org", bait)
    with app.app_context():
        db.session.execute(update(Site).values(moderation_policy=ModerationPolicy.HOLD_ALL))
        db.session.commit()
    alice = client_for(app, "alice@example.org")
    alice.post("/notifications/settings", data={"reply_emails": "y", "decision_emails": "y"})
    mina = client_for(app, "mina@example.org")
    first = post(app, world.alice, bait + " (a comment)")
    mina.post(f"/moderation/comments/{first}/decide", data={"action": "approve"})
    reply = post(app, replier, bait + " (a reply)", parent_id=first)
    mina.post(f"/moderation/comments/{reply}/decide", data={"action": "approve"})
    rejected = post(app, world.alice, bait + " (rejected)")
    mina.post(f"/moderation/comments/{rejected}/decide", data={"action": "reject"})
    deliver()
    mails = inbox.to("alice@example.org")
    subjects = [str(m["Subject"]) for m in mails]
    assert sorted(subjects) == sorted(
        [
            "Your comment was published",
            "New reply to your comment",
            "Your comment was not published",
        ]
    )
    reply_mail = next(m for m in mails if m["Subject"] == "New reply to your comment")
    assert bait in body_of(reply_mail)  # the body still says who replied
    for msg in inbox.messages:
        assert "evil.example" not in str(msg["Subject"]), msg["Subject"]
