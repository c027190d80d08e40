"""Readers claiming the comments imported under their address, from the attacker's side:
only a verified owner of the address, only once, and the address never shows."""

from __future__ import annotations

import re

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select, update

from commentsvc.accounts.models import Reader
from commentsvc.comments.models import Comment, Site, Thread
from commentsvc.core.extensions import db
from commentsvc.transfer import claims
from commentsvc.transfer.models import ImportedAuthor, ImportedItem
from tests.conftest import Inbox, build_app, link_in
from tests.factories import PASSWORD, make_reader, sign_in
from tests.transfer.support import DATA, cli, make_site

FILE = str(DATA / "disqus.xml")
ORIGIN = "https://news.example"
BUDGET = f"/embed/news/t/budget-2021?url={ORIGIN}/articles/budget-2021&origin={ORIGIN}"
AYSEL = "aysel.m@mail.example"  # the file has "Aysel.M@Mail.example"
IMPORTED_NAME = "Aysel Məmmədova"
SECTION = "Comments from before"
CLAIM = "/account/claim-comments"
ONE_SITE = (
    "2 comments on Caspian Daily were written with your address before the site moved "
    "to this service. Claim them to show them under your name."
)
# Every address in the file: none of them may ever be shown.
IMPORTED_ADDRESSES = ("aysel.m@mail.example", "lena@mail.example", "rashad@", "bot@spam")


def imported(app: Flask) -> None:
    make_site(app)
    result = cli(app, "import", "disqus", FILE, "--site", "news")
    assert result.exit_code == 0, result.output


def reader_client(
    app: Flask, email: str, name: str = "Aysel Q", verified: bool = True
) -> FlaskClient:
    make_reader(app, email=email, display_name=name, verified=verified)
    client = app.test_client()
    assert sign_in(client, email).status_code == 303
    return client


def aysel_authors(app: Flask) -> list[int | None]:
    """Who holds each comment of the imported author Aysel (by account id; None: nobody)."""
    with app.app_context():
        return list(
            db.session.scalars(
                select(Comment.author_id)
                .join(ImportedItem, ImportedItem.comment_id == Comment.id)
                .join(ImportedAuthor, ImportedAuthor.id == ImportedItem.imported_author_id)
                .where(ImportedAuthor.name == IMPORTED_NAME)
                .order_by(Comment.id)
            )
        )


def owners(app: Flask) -> list[int | None]:
    """Every comment's account, in id order: what a refused claim must leave as it was."""
    with app.app_context():
        return list(db.session.scalars(select(Comment.author_id).order_by(Comment.id)))


def budget_version(app: Flask) -> int:
    with app.app_context():
        version = db.session.scalar(select(Thread.version).where(Thread.key == "budget-2021"))
    assert version is not None
    return version


def flashes(html: str) -> list[str]:
    match = re.search(r'<div role="status" class="flashes">(.*?)</div>', html, re.S)
    return re.findall(r"<p>(.*?)</p>", match.group(1), re.S) if match else []


def claim_now(app: Flask, reader_id: int) -> int:
    with app.app_context():
        reader = db.session.get(Reader, reader_id)
        assert reader is not None
        return claims.claim(reader)


def test_the_owner_of_the_address_claims_the_comments_and_they_show_under_their_name(app):
    imported(app)
    anonymous = app.test_client()
    assert IMPORTED_NAME in anonymous.get(BUDGET).text  # now cached for this version
    version = budget_version(app)
    client = reader_client(app, AYSEL, "Aysel Q")
    with app.app_context():
        reader_id = db.session.scalar(select(Reader.id).where(Reader.email == AYSEL))

    page = client.get("/account").text
    assert SECTION in page
    assert ONE_SITE in page
    assert "Claim my comments" in page

    response = client.post(CLAIM)
    assert response.status_code == 303
    page = client.get("/account").text
    assert flashes(page) == ["2 comments now show under your name."]
    assert SECTION not in page

    assert aysel_authors(app) == [reader_id, reader_id]
    with app.app_context():
        author = db.session.scalar(
            select(ImportedAuthor).where(ImportedAuthor.name == IMPORTED_NAME)
        )
        assert author is not None
        # Claimed for good, and the address, its only use served, forgotten.
        assert (author.reader_id, author.email) == (reader_id, None)
        assert author.claimed_at is not None
    assert budget_version(app) > version
    widget = anonymous.get(BUDGET).text
    assert "Aysel Q" in widget
    assert IMPORTED_NAME not in widget
    assert "First! The" in widget

    # Again: nothing left, nothing moves.
    again = client.post(CLAIM, follow_redirects=True)
    assert flashes(again.text) == ["There are no comments to claim."]
    assert aysel_authors(app) == [reader_id, reader_id]


def test_the_account_page_shows_no_imported_address(app):
    imported(app)
    client = reader_client(app, AYSEL)
    page = client.get("/account").text
    assert SECTION in page
    # The account's own address, once, where the page always shows it; no other.
    assert page.count(AYSEL) == 1
    assert "Aysel.M@Mail.example" not in page
    for address in IMPORTED_ADDRESSES[1:]:
        assert address not in page
    assert IMPORTED_NAME not in page

    other = reader_client(app, "someone@example.org", "Someone")
    page = other.get("/account").text
    for address in IMPORTED_ADDRESSES:
        assert address not in page


def test_an_unverified_account_with_the_address_can_claim_nothing(app):
    imported(app)
    before = owners(app)
    client = reader_client(app, AYSEL, verified=False)
    assert SECTION not in client.get("/account").text
    response = client.post(CLAIM)
    assert response.status_code == 403
    assert owners(app) == before
    with app.app_context():
        reader = db.session.scalar(select(Reader).where(Reader.email == AYSEL))
        assert reader is not None
        assert claims.claimable(reader) == claims.Claimable()
        claimed = db.session.scalars(select(ImportedAuthor.reader_id)).all()
    assert set(claimed) == {None}


def test_a_reader_with_another_address_sees_and_claims_nothing(app):
    imported(app)
    before = owners(app)
    client = reader_client(app, "aysel.m@mail.example.org", "Not Aysel")
    page = client.get("/account").text
    assert SECTION not in page
    assert "Claim my comments" not in page
    response = client.post(CLAIM, follow_redirects=True)
    # The same answer as for anyone with nothing to claim: no hint that others have some.
    assert flashes(response.text) == ["There are no comments to claim."]
    assert owners(app) == before


def test_once_claimed_no_later_holder_of_the_address_can_claim_again(app):
    imported(app)
    first = make_reader(app, email=AYSEL, display_name="Aysel Q")
    assert claim_now(app, first) == 2
    # The first account moves to another address; a new account takes this one.
    with app.app_context():
        db.session.execute(update(Reader).where(Reader.id == first).values(email="new@x.example"))
        db.session.commit()
    client = reader_client(app, AYSEL, "Later Aysel")
    assert SECTION not in client.get("/account").text
    response = client.post(CLAIM, follow_redirects=True)
    assert flashes(response.text) == ["There are no comments to claim."]
    assert aysel_authors(app) == [first, first]


def test_a_reader_who_moves_to_the_address_through_the_change_flow_can_claim(
    app, inbox: Inbox, deliver
):
    imported(app)
    client = reader_client(app, "old@example.org")
    assert SECTION not in client.get("/account").text
    response = client.post(
        "/account/email",
        data={"email-new_email": "Aysel.M@Mail.EXAMPLE", "email-current_password": PASSWORD},
    )
    assert response.status_code == 303
    # Asked, not confirmed: nothing to claim yet.
    assert SECTION not in client.get("/account").text
    deliver()
    assert client.get(link_in(inbox.last_to(AYSEL))).status_code == 303
    assert ONE_SITE in client.get("/account").text
    assert client.post(CLAIM).status_code == 303
    with app.app_context():
        reader_id = db.session.scalar(select(Reader.id).where(Reader.email == AYSEL))
    assert reader_id is not None
    assert aysel_authors(app) == [reader_id, reader_id]


def test_deleting_the_account_leaves_claimed_comments_as_placeholders(app):
    imported(app)
    client = reader_client(app, AYSEL)
    assert client.post(CLAIM).status_code == 303
    response = client.post("/account/delete", data={"delete-current_password": PASSWORD})
    assert response.status_code == 303
    assert aysel_authors(app) == [None, None]
    with app.app_context():
        comments = db.session.scalars(
            select(Comment)
            .join(ImportedItem, ImportedItem.comment_id == Comment.id)
            .join(ImportedAuthor, ImportedAuthor.id == ImportedItem.imported_author_id)
            .where(ImportedAuthor.name == IMPORTED_NAME)
        ).all()
        # Like any deleted account's comments: no text, no account, no name.
        assert [(c.status, c.body_source, c.imported_name) for c in comments] == [
            ("deleted", "", None),
            ("deleted", "", None),
        ]
        author = db.session.scalar(
            select(ImportedAuthor).where(ImportedAuthor.name == IMPORTED_NAME)
        )
        assert author is not None
        assert (author.reader_id, author.email) == (None, None)
        assert author.claimed_at is not None
    page = app.test_client().get(BUDGET).text
    assert "First! The" not in page
    assert IMPORTED_NAME not in page

    # A new account with the address does not get the placeholders back.
    again = reader_client(app, AYSEL, "Aysel Again")
    assert SECTION not in again.get("/account").text
    again.post(CLAIM)
    assert aysel_authors(app) == [None, None]


def test_comments_on_several_sites_are_listed_by_site(app):
    imported(app)
    make_site(app, "metro", "https://metro.example")
    assert cli(app, "import", "disqus", FILE, "--site", "metro").exit_code == 0
    with app.app_context():
        db.session.execute(update(Site).where(Site.slug == "metro").values(name="Metro <Weekly>"))
        db.session.commit()
    client = reader_client(app, AYSEL)
    page = client.get("/account").text
    assert "4 comments were written with your address before these sites moved" in page
    assert "2 comments on Caspian Daily" in page
    assert "2 comments on Metro &lt;Weekly&gt;" in page
    client.post(CLAIM)
    assert "4 comments now show under your name." in client.get("/account").text


def test_comments_a_later_import_adds_to_a_claimed_author_go_to_the_same_account(app):
    imported(app)
    client = reader_client(app, AYSEL)
    client.post(CLAIM)
    with app.app_context():
        author = db.session.scalar(
            select(ImportedAuthor).where(ImportedAuthor.name == IMPORTED_NAME)
        )
        thread = db.session.scalar(select(Thread).where(Thread.key == "budget-2021"))
        assert author is not None
        assert thread is not None
        late = Comment(
            thread_id=thread.id,
            body_source="Late",
            body_html="<p>Late</p>",
            status="approved",
            imported_name=IMPORTED_NAME,
        )
        db.session.add(late)
        db.session.flush()
        db.session.add(
            ImportedItem(
                site_id=author.site_id,
                source="disqus",
                kind="comment",
                source_id="9100",
                comment_id=late.id,
                imported_author_id=author.id,
            )
        )
        db.session.commit()
    assert "1 comment on Caspian Daily was written" in client.get("/account").text
    client.post(CLAIM)
    assert len(set(aysel_authors(app))) == 1
    assert None not in aysel_authors(app)


def test_a_claim_without_the_csrf_token_is_refused_and_changes_nothing(smtp_server, tmp_path):
    app = build_app(tmp_path, smtp_server.port, WTF_CSRF_ENABLED=True)
    imported(app)
    make_reader(app, email=AYSEL, display_name="Aysel Q")
    client = app.test_client()
    form = client.get("/auth/sign-in").text
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', form)
    assert token
    signed = client.post(
        "/auth/sign-in", data={"csrf_token": token.group(1), "email": AYSEL, "password": PASSWORD}
    )
    assert signed.status_code == 303
    before = owners(app)

    assert client.post(CLAIM).status_code == 400
    assert client.post(CLAIM, data={"csrf_token": "forged"}).status_code == 400
    assert owners(app) == before

    page = client.get("/account").text
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page)
    assert token
    assert client.post(CLAIM, data={"csrf_token": token.group(1)}).status_code == 303
    assert None not in aysel_authors(app)


def test_claimed_comments_are_in_the_readers_data_export(app):
    imported(app)
    aysel = reader_client(app, AYSEL)
    assert aysel.post(CLAIM).status_code == 303
    data = aysel.post("/account/export").json
    assert data is not None
    bodies = [c["body"] for c in data["comments"]]
    assert bodies == [
        "First! The tax table is on page 4.\n\nSee the PDF.",
        "Replying to the reply, before it appears in the file.",
    ]
    assert {c["thread"]["key"] for c in data["comments"]} == {"budget-2021"}
