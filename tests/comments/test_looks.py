"""The widget's look (commentsvc/comments/looks.py): the theme a snippet asks for, and the
accent colour and font a site's admin sets, served as the site's own small stylesheet."""

from __future__ import annotations

import re

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from commentsvc.comments import looks
from commentsvc.comments.models import Site
from commentsvc.comments.page_cache import SharedPageCache
from commentsvc.core.extensions import db
from tests.comments.test_embed import widget
from tests.conftest import build_app
from tests.factories import PASSWORD
from tests.moderation_support import ORIGIN, Ids, build_world, client_for

PAGE = f"/embed/demo/t/a1?url={ORIGIN}/a1&origin={ORIGIN}"
LOOK = "/admin/sites/demo/look"
FRAMED = {"Sec-Fetch-Dest": "iframe"}


@pytest.fixture
def ids(app: Flask) -> Ids:
    return build_world(app)


@pytest.fixture
def admin(app: Flask, ids: Ids) -> FlaskClient:
    return client_for(app, "admin@example.org")


def html_theme(text: str) -> str:
    match = re.search(r'<html lang="[^"]+" data-theme="([^"]+)">', text)
    assert match, text[:300]
    return match.group(1)


def stored(app: Flask, slug: str = "demo") -> tuple[str | None, str | None]:
    with app.app_context():
        site = db.session.scalar(select(Site).where(Site.slug == slug))
        assert site is not None
        return site.accent_color, site.font_stack


def sheet_link(text: str) -> str | None:
    match = re.search(r'<link rel="stylesheet" href="(/embed/demo/theme\.css\?v=[0-9a-f]+)">', text)
    return match.group(1) if match else None


# --- the theme from the snippet ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "theme"), [("", "auto"), ("&theme=dark", "dark"), ("&theme=light", "light")]
)
def test_the_frame_takes_its_theme_from_the_url(client, ids, query, theme):
    response = client.get(PAGE + query)
    assert response.status_code == 200
    assert html_theme(response.text) == theme


def test_the_theme_stays_through_sort_links_forms_and_a_refused_post(app, ids):
    alice = widget(app, "dora@example.org", "Dora", ids.site)
    page = alice.get(PAGE + "&theme=dark").text
    next_fields = re.findall(r'name="next" value="([^"]+)"', page)
    assert next_fields
    assert all("theme=dark" in v for v in next_fields)
    sort_links = re.findall(r'href="([^"]*sort=newest[^"]*)"', page)
    assert sort_links
    assert "theme=dark" in sort_links[0]
    # An empty comment is refused: the page answered to the POST keeps the dark theme.
    refused = alice.post(
        "/embed/demo/t/a1",
        data={"body": "", "next": next_fields[0].replace("&amp;", "&")},
        headers={"Origin": "http://localhost:5000"},
    )
    assert refused.status_code == 422
    assert html_theme(refused.text) == "dark"


@pytest.mark.parametrize("value", ["DARK", "auto", "", "<script>", "x" * 3000, "dark;"])
def test_a_made_up_theme_is_shown_as_auto_and_never_kept(app, client, ids, value):
    cache = SharedPageCache.of(app)
    assert cache is not None
    client.get(PAGE)
    client.get(PAGE + "&theme=dark")
    kept = len(cache.entries)
    assert kept == 2  # the two canonical URLs, one copy each
    for n in range(3):
        response = client.get(PAGE + f"&theme={value}&n={n}")
        assert response.status_code == 200
        assert html_theme(response.text) == "auto"
        assert response.headers["Cache-Control"] == "private, no-store"
    assert len(cache.entries) == kept


def test_a_dark_frame_is_shared_under_its_own_key(client, ids):
    auto, dark = client.get(PAGE), client.get(PAGE + "&theme=dark")
    assert dark.headers["Cache-Control"].startswith("public, ")
    assert dark.headers["ETag"] != auto.headers["ETag"]
    assert html_theme(client.get(PAGE + "&theme=dark").text) == "dark"
    assert html_theme(client.get(PAGE).text) == "auto"


# --- the site's accent colour and font -------------------------------------------------------


def test_an_admin_sets_accent_and_font_and_the_widget_links_the_sites_sheet(app, admin, client):
    before = client.get(PAGE).text
    assert sheet_link(before) is None
    assert client.get("/embed/demo/theme.css").status_code == 404  # nothing set
    response = admin.post(LOOK, data={"accent": " #FFCC00 ", "font": "classic"})
    assert response.status_code == 303
    assert stored(app) == ("#ffcc00", "classic")
    # The kept page is rendered again, now with the sheet.
    link = sheet_link(client.get(PAGE).text)
    assert link is not None
    css = client.get(link)
    assert css.status_code == 200
    assert css.mimetype == "text/css"
    assert "--font:Georgia, 'Times New Roman', Times, serif" in css.text
    # Yellow does not read on white: the light theme gets a darker shade of it, with
    # white text on buttons; the dark theme keeps a light yellow with dark text.
    accent = r"--accent:(#[0-9a-f]{6});--accent-fg:(#[0-9a-f]{6})"
    light = re.search(r"^body\.framed\{[^}]*" + accent, css.text, re.M)
    dark = re.search(r":root\[data-theme=dark\] body\.framed\{" + accent, css.text)
    assert light
    assert dark
    for colour, on_colour, backgrounds in (
        (light[1], light[2], looks.LIGHT_BACKGROUNDS),
        (dark[1], dark[2], looks.DARK_BACKGROUNDS),
    ):
        assert all(looks.contrast(colour, bg) >= 4.5 for bg in backgrounds)
        assert looks.contrast(on_colour, colour) >= 4.5
    assert light.group(1) != "#ffcc00"
    assert dark.group(1) == "#ffcc00"
    # The admin page says which colours are used.
    assert (
        f"Used as {light.group(1)} in the light theme and {dark.group(1)}"
        in admin.get("/admin/sites/demo").text
    )
    # Unset again: the link goes.
    assert admin.post(LOOK, data={"accent": "", "font": ""}).status_code == 303
    assert stored(app) == (None, None)
    assert sheet_link(client.get(PAGE).text) is None


def test_the_sites_sheet_is_kept_a_year_under_its_version_and_briefly_without(app, admin, client):
    admin.post(LOOK, data={"accent": "#0b5cad", "font": ""})
    link = sheet_link(client.get(PAGE, headers=FRAMED).text)
    assert link is not None
    current = client.get(link)
    assert current.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    assert "Cookie" not in current.headers.get("Vary", "")
    assert "Set-Cookie" not in current.headers
    stale = client.get("/embed/demo/theme.css?v=000000000000")
    assert stale.status_code == 200
    assert stale.headers["Cache-Control"] == "public, max-age=300"
    assert stale.text == current.text
    assert client.get("/embed/nosuchsite/theme.css").status_code == 404


HOSTILE = [
    {"accent": "red;}body{display:none"},
    {"accent": "#fff;}body{display:none}"},
    {"accent": "url(https://evil.example/x.png)"},
    {"accent": "expression(alert(1))"},
    {"accent": "#12345g"},
    {"accent": "#abc"},
    {"accent": "#" + "a" * 10_000},
    {"font": "Georgia;}body{display:none"},
    {"font": "url(https://evil.example/font.woff)"},
    {"font": "expression(alert(1))"},
    {"font": "x" * 10_000},
]


@pytest.mark.parametrize("data", HOSTILE)
def test_hostile_look_settings_are_refused_with_the_form(app, admin, client, data):
    admin.post(LOOK, data={"accent": "#0b5cad", "font": "classic"})
    response = admin.post(LOOK, data={"accent": "", "font": "", **data})
    assert response.status_code == 422
    assert 'class="error"' in response.text
    assert stored(app) == ("#0b5cad", "classic")
    css = client.get(sheet_link(client.get(PAGE).text) or "/")
    assert "display:none" not in css.text
    assert "url(" not in css.text


def test_only_admins_set_the_look(app, ids):
    mina = client_for(app, "mina@example.org")  # moderates the site, is no admin
    assert mina.post(LOOK, data={"accent": "#ff0000"}).status_code == 403
    assert app.test_client().post(LOOK, data={"accent": "#ff0000"}).status_code in (302, 303)
    assert stored(app) == (None, None)


def test_setting_the_look_needs_the_csrf_token(smtp_server, tmp_path):
    app = build_app(tmp_path, smtp_server.port, WTF_CSRF_ENABLED=True)
    build_world(app)
    admin = app.test_client()
    token = re.search(
        r'name="csrf_token" type="hidden" value="([^"]+)"', admin.get("/auth/sign-in").text
    )
    assert token is not None
    credentials = {"email": "admin@example.org", "password": PASSWORD, "csrf_token": token[1]}
    assert admin.post("/auth/sign-in", data=credentials).status_code == 303
    assert admin.post(LOOK, data={"accent": "#ff0000"}).status_code == 400
    assert stored(app) == (None, None)
    page = admin.get("/admin/sites/demo").text
    form = page[page.index(f'action="{LOOK}"') :]
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', form)
    assert token is not None
    saved = admin.post(LOOK, data={"accent": "#ff0000", "csrf_token": token[1]})
    assert saved.status_code == 303
    assert stored(app) == ("#ff0000", None)


@pytest.mark.parametrize(
    "accent",
    ["#ffffff", "#000000", "#ffcc00", "#0b5cad", "#ff0000", "#777777", "#00ff7f", "#1e0a3c"],
)
def test_every_accent_reads_at_aa_in_both_themes(accent):
    p = looks.palette(accent)
    for colour, on_colour, backgrounds in (
        (p.light, p.light_fg, looks.LIGHT_BACKGROUNDS),
        (p.dark, p.dark_fg, looks.DARK_BACKGROUNDS),
    ):
        assert all(looks.contrast(colour, bg) >= 4.5 for bg in backgrounds), (accent, colour)
        assert looks.contrast(on_colour, colour) >= 4.5, (accent, colour, on_colour)
