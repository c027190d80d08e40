"""The admin home (/admin): who sees it, where sign-in lands, each site's counts and
set-up checklist, the first-load records behind it, and the Install page's snippets
and preview."""

from __future__ import annotations

import html
import re

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from commentsvc.comments import reports, sites
from commentsvc.comments.models import SiteSighting, Thread
from commentsvc.core.extensions import db
from commentsvc.demo import create_demo_app
from tests.factories import PASSWORD
from tests.moderation_support import ORIGIN, Ids, build_world, client_for, post, reader

SECOND_ORIGIN = "https://www.news.example"
PAGE = f"/embed/demo/t/a1?url={ORIGIN}/a1"
FRAMED = {"Sec-Fetch-Dest": "iframe"}


@pytest.fixture
def ids(app: Flask) -> Ids:
    ids = build_world(app, "hold_all")
    with app.app_context():
        site = sites.require_site("demo")
        sites.update_site(site, site.name, [ORIGIN, SECOND_ORIGIN], "hold_all", 900)
    return ids


@pytest.fixture
def admin(app: Flask, ids: Ids) -> FlaskClient:
    return client_for(app, "admin@example.org")


def step(page: str, site: str, name: str) -> str:
    """The text of one checklist step of one site's card, and whether it is done."""
    card = page[page.index(f'id="site-{site}"') :]
    match = re.search(rf'<li class="step (done|todo)" data-step="{name}">(.*?)</li>', card, re.S)
    assert match, card
    state, body = match.groups()
    # What a screen reader hears first: "Done:" or "Not done:", matching the mark.
    hidden = re.search(r'<span class="visually-hidden">(.*?)</span>', body)
    assert hidden
    assert hidden.group(1) == ("Done:" if state == "done" else "Not done:")
    body = body[hidden.end() :]
    text = " ".join(re.sub(r"<[^>]+>", " ", body).split())
    return f"{state}: {html.unescape(text)}"


def sighting_rows(app: Flask) -> list[tuple[str, str]]:
    with app.app_context():
        rows = db.session.execute(select(SiteSighting.kind, SiteSighting.origin)).all()
        return sorted((kind, origin) for kind, origin in rows)


# --- who may open the admin pages ----------------------------------------------------------


def test_only_admins_open_the_home_the_install_page_and_the_preview(app, client, ids):
    admin_pages = ["/admin", "/admin/sites/demo/install", "/admin/sites/demo/preview"]
    for path in admin_pages:
        response = client.get(path)
        assert response.status_code == 302
        assert "/auth/sign-in" in response.headers["Location"]
    moderator = client_for(app, "mina@example.org")  # moderates demo, is no admin
    reader_client = client_for(app, "alice@example.org")
    for path in admin_pages:
        assert moderator.get(path).status_code == 403
        assert reader_client.get(path).status_code == 403
    assert "/admin" not in re.findall(r'href="([^"]*)"', moderator.get("/moderation/").text)
    admin = client_for(app, "admin@example.org")
    for path in admin_pages:
        assert admin.get(path).status_code == 200
    assert '<a href="/admin">Admin</a>' in admin.get("/account").text


LANDINGS = {
    "admin@example.org": "/admin",
    "mina@example.org": "/moderation/",  # moderates demo, is no admin
    "alice@example.org": "/account",
}


def sign_in_to(client: FlaskClient, email: str, next_url: str | None = None) -> str:
    response = client.post(
        "/auth/sign-in",
        query_string={"next": next_url} if next_url is not None else {},
        data={"email": email, "password": PASSWORD},
    )
    assert response.status_code == 303
    client.post("/auth/sign-out")
    return str(response.headers["Location"])


def test_sign_in_lands_admins_home_moderators_on_their_queue_readers_on_their_account(
    app, client, ids
):
    assert {email: sign_in_to(client, email) for email in LANDINGS} == LANDINGS


def test_a_safe_next_still_wins_and_an_unsafe_one_falls_back_to_the_landing(app, client, ids):
    for email, landing in LANDINGS.items():
        assert sign_in_to(client, email, "/account?tab=email") == "/account?tab=email"
        # A few of the refused targets (the sign-in rate limit allows 20 a minute).
        for target in ("//evil.example", "https://evil.example", "/%09/evil.example"):
            assert sign_in_to(client, email, target) == landing


# --- counts and the set-up checklist ---------------------------------------------------------


def test_cards_show_pending_open_reports_and_comments_today_per_site(app, admin, ids):
    post(app, ids.alice, "First held comment.")
    post(app, ids.bob, "Second held comment.")
    post(app, ids.alice, "Held on the other site.", thread_id=ids.other_thread)
    with app.app_context():
        site = sites.require_site("demo")
        sites.update_site(site, site.name, site.origins, "hold_none", 900)
    published = post(app, ids.carol, "A published one.")
    with app.app_context():
        reports.report_comment(reader(ids.alice), published, "spam")
        reports.report_comment(reader(ids.bob), published, "abuse")
    page = admin.get("/admin").text
    assert '<a href="/moderation/?site=demo" data-pending-site="demo">2</a>' in page
    assert '<a href="/moderation/?site=other" data-pending-site="other">1</a>' in page
    demo = page[page.index('id="site-demo"') : page.index('id="site-other"')]
    assert re.search(r"<dt>Open reports</dt>\s*<dd><a [^>]*>1</a>", demo)
    assert re.search(r"<dt>Comments today</dt><dd>3</dd>", demo)
    for link in [
        "/admin/sites/demo",
        "/admin/sites/demo/install",
        "/moderation/?site=demo",
        "/admin/sites/demo/consent",
    ]:
        assert f'href="{link}"' in demo


def test_home_tells_of_newly_held_comments_and_counts_them_in_its_title(app, admin, ids):
    post(app, ids.alice, "First held comment.")
    post(app, ids.alice, "Held on the other site.", thread_id=ids.other_thread)
    page = admin.get("/admin").text
    assert "<title>(2) Admin" in page
    notice = re.search(r'<div class="new-held"[^>]*data-live-url="([^"]+)"', page)
    assert notice, page
    # The notice's check answers for every site the admin sees, newer than the page.
    state = admin.get(html.unescape(notice.group(1))).get_json()
    assert (state["pending"], state["new"]) == (2, 0)
    post(app, ids.bob, "Held after the page was shown.")
    state = admin.get(html.unescape(notice.group(1))).get_json()
    assert (state["pending"], state["new"]) == (3, 1)
    assert state["sites"] == {"demo": 2, "other": 1}


def test_checklist_turns_done_step_by_step(app, client, admin, ids):
    with app.app_context():
        sites.create_site("fresh", "Fresh Daily", ["https://fresh.example"])
    page = admin.get("/admin").text
    assert step(page, "demo", "origins").startswith("done: Origins registered")
    assert step(page, "demo", "widget").startswith("todo: Widget seen")
    assert step(page, "demo", "comment") == "todo: First comment No comment yet."
    assert step(page, "demo", "banner").startswith("todo: Consent banner seen")
    moderators = step(page, "demo", "moderators")
    assert moderators.startswith("done: Moderators added 1 moderator, since 20")
    assert step(page, "fresh", "moderators").startswith("todo: Moderators added")

    # The news site frames the widget (embed.js names the page's origin).
    assert client.get(f"{PAGE}&origin={SECOND_ORIGIN}", headers=FRAMED).status_code == 200
    page = admin.get("/admin").text
    assert re.fullmatch(
        rf"done: Widget seen on the site {SECOND_ORIGIN} \d{{4}}-\d\d-\d\d \d\d:\d\d UTC",
        step(page, "demo", "widget"),
    )
    assert step(page, "demo", "comment").startswith("todo")
    assert step(page, "fresh", "widget").startswith("todo")

    post(app, ids.alice, "The very first comment.")
    assert re.fullmatch(
        r"done: First comment \d{4}-\d\d-\d\d \d\d:\d\d UTC",
        step(admin.get("/admin").text, "demo", "comment"),
    )

    config = client.get("/api/v1/sites/demo/consent-config", headers={"Origin": ORIGIN})
    assert config.status_code == 200
    page = admin.get("/admin").text
    assert re.fullmatch(
        rf"done: Consent banner seen on the site {ORIGIN} \d{{4}}.*UTC",
        step(page, "demo", "banner"),
    )
    assert "4 of 5 done" not in page[page.index('id="site-demo"') : page.index('id="site-fresh"')]
    assert "5 of 5 done" in page[page.index('id="site-demo"') : page.index('id="site-fresh"')]


def test_each_origin_is_recorded_once_with_its_first_load_even_from_the_page_cache(
    app, client, admin, ids
):
    for _ in range(3):  # the second and third answered by the page cache
        client.get(f"{PAGE}&origin={ORIGIN}", headers=FRAMED)
    # A plain iframe (no JavaScript): the embedding page's Referer names the origin.
    client.get(PAGE, headers={**FRAMED, "Referer": f"{SECOND_ORIGIN}/a1"})
    client.get(PAGE, headers={**FRAMED, "Referer": f"{SECOND_ORIGIN}/a1"})
    for _ in range(3):
        client.get("/api/v1/sites/demo/consent-config", headers={"Origin": SECOND_ORIGIN})
    assert sighting_rows(app) == [
        ("banner", SECOND_ORIGIN),
        ("widget", ORIGIN),
        ("widget", SECOND_ORIGIN),
    ]
    widget = step(admin.get("/admin").text, "demo", "widget")
    assert widget.index(ORIGIN + " ") < widget.index(SECOND_ORIGIN)


def test_no_one_marks_an_unregistered_origin_seen_and_rows_stay_bounded(app, client, admin, ids):
    for n in range(30):
        evil = f"https://evil{n}.example"
        assert client.get(f"{PAGE}&origin={evil}", headers=FRAMED).status_code == 403
        client.get(PAGE, headers={**FRAMED, "Referer": f"{evil}/page"})
        client.get("/api/v1/sites/demo/consent-config", headers={"Origin": evil})
        client.get("/api/v1/sites/nosuch/consent-config", headers={"Origin": ORIGIN})
    # Another site's origin is not this site's.
    client.get(PAGE, headers={**FRAMED, "Referer": "https://other.example/b1"})
    # The URL opened in a tab, fetched by a script, or by a client that does not say it
    # is framing it, is not the widget on a page.
    client.get(f"{PAGE}&origin={ORIGIN}")
    client.get(f"{PAGE}&origin={ORIGIN}", headers={"Sec-Fetch-Dest": "document"})
    client.get(f"{PAGE}&origin={ORIGIN}", headers={"Sec-Fetch-Dest": "empty"})
    # The first-party thread page is not the widget either.
    client.get(f"/threads/demo/t/a1?origin={ORIGIN}", headers=FRAMED)
    assert sighting_rows(app) == []
    page = admin.get("/admin").text
    assert step(page, "demo", "widget").startswith("todo")
    assert step(page, "demo", "banner").startswith("todo")


def test_an_origin_no_longer_registered_no_longer_counts(app, client, admin, ids):
    client.get(f"{PAGE}&origin={SECOND_ORIGIN}", headers=FRAMED)
    assert step(admin.get("/admin").text, "demo", "widget").startswith("done")
    with app.app_context():
        site = sites.require_site("demo")
        sites.update_site(site, site.name, [ORIGIN], "hold_all", 900)
    assert step(admin.get("/admin").text, "demo", "widget").startswith("todo")


# --- the Install page and the preview ------------------------------------------------------


def code_blocks(page: str) -> dict[str, str]:
    """Each snippet's text by its id, as a browser shows (and copy.js copies) it."""
    return {
        m.group(1): html.unescape(m.group(2))
        for m in re.finditer(r'<code id="([\w-]+)">(.*?)</code>', page, re.S)
    }


def test_install_snippets_are_what_the_demo_news_site_pastes(app, admin, ids):
    page = admin.get("/admin/sites/demo/install")
    assert page.status_code == 200
    blocks = code_blocks(page.text)
    demo = create_demo_app("http://localhost:5000", "demo").test_client()
    article = demo.get("/articles/blinken-azerbaijan").text
    index = demo.get("/").text
    comments = blocks["snippet-comments"].splitlines()
    assert comments == [
        '<div data-commentsvc-thread="ARTICLE-KEY" data-title="ARTICLE TITLE"'
        ' data-theme="auto"></div>',
        '<script src="http://localhost:5000/embed.js" data-site="demo" async></script>',
    ]
    assert comments[1] in article
    count = blocks["snippet-count"].splitlines()
    assert count[0] == '<span data-commentsvc-count="ARTICLE-KEY">0</span>'
    assert count[1] in article
    assert count[1] in index
    head = blocks["snippet-consent-head"]
    assert head == '<script src="http://localhost:5000/consent.js" data-site="demo" async></script>'
    assert head in article[: article.index("</head>")]
    link = blocks["snippet-consent-link"]
    assert link == '<button type="button" data-consent-open>Cookie settings</button>'
    assert link in article[article.index("<body>") :]
    # Unsigned site without a secret: no signed variant, a way to make one.
    assert "snippet-comments-signed" not in blocks
    assert 'href="/admin/sites/demo#signing-heading"' in page.text
    for name in blocks:
        assert f'data-copy="{name}"' in page.text
    assert 'role="status" aria-live="polite" data-copy-status' in page.text
    assert '<iframe class="widget-preview" title="Preview of the comments widget"' in page.text
    assert 'src="/admin/sites/demo/preview"' in page.text


def test_a_site_that_requires_signed_threads_gets_the_signed_snippet(app, admin, ids):
    with app.app_context():
        site = sites.require_site("demo")
        sites.new_thread_secret(site)
        sites.set_require_signed_threads(site, True)
    page = admin.get("/admin/sites/demo/install").text
    comments = code_blocks(page)["snippet-comments"].splitlines()
    assert comments == [
        '<div data-commentsvc-thread="ARTICLE-KEY" data-title="ARTICLE TITLE"',
        '     data-url="ARTICLE-URL" data-sig="SIGNATURE" data-theme="auto"></div>',
        '<script src="http://localhost:5000/embed.js" data-site="demo" async></script>',
    ]
    assert "accepts only signed snippets" in page
    assert "HMAC-SHA256" in page


def test_consent_page_keeps_the_head_part_and_the_link_apart(app, admin, ids):
    page = admin.get("/admin/sites/demo/consent").text
    blocks = code_blocks(page)
    head = blocks["snippet-consent-head"]
    assert head == '<script src="http://localhost:5000/consent.js" data-site="demo" async></script>'
    assert blocks["snippet-consent-link"] == (
        '<button type="button" data-consent-open>Cookie settings</button>'
    )
    assert "stats.example" not in head + blocks["snippet-consent-link"]
    assert 'data-copy="snippet-consent-head"' in page
    assert "copy.js" in page


def test_preview_shows_sample_comments_frameable_only_by_the_service_and_stores_nothing(
    app, admin, ids
):
    with app.app_context():
        threads_before = db.session.scalar(select(func.count()).select_from(Thread))
    response = admin.get("/admin/sites/demo/preview")
    assert response.status_code == 200
    assert "frame-ancestors 'self'" in response.headers["Content-Security-Policy"]
    assert response.headers["X-Frame-Options"] == "SAMEORIGIN"
    assert "Aysel" in response.text
    assert "<form" not in response.text
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Thread)) == threads_before
    # Every other admin page still refuses every frame.
    install = admin.get("/admin/sites/demo/install")
    assert "frame-ancestors 'none'" in install.headers["Content-Security-Policy"]
    assert admin.get("/admin/sites/nosuch/preview").status_code == 404
