"""Registering sites: `flask sites create/list` and the admin pages under /admin/sites."""

from __future__ import annotations

import html
from urllib.parse import parse_qs, urlsplit

import pytest
from click.testing import Result
from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner

from commentsvc.comments import sites
from commentsvc.comments.models import ModerationPolicy, Site
from commentsvc.core.extensions import db
from tests.factories import make_reader, sign_in

ORIGIN = "https://news.example"


def create(runner: FlaskCliRunner, *args: str) -> Result:
    return runner.invoke(args=["sites", "create", *args])


def all_sites(app: Flask) -> list[tuple[str, str, list[str], str, int]]:
    with app.app_context():
        return [
            (s.slug, s.name, s.origins, s.moderation_policy, s.edit_window_seconds)
            for s in sites.list_sites()
        ]


def test_cli_creates_a_site_with_normalised_origins(app, runner):
    result = create(
        runner,
        "daily",
        "--name",
        "The Daily",
        "--origin",
        "HTTPS://News.Example:443/",
        "--origin",
        "http://localhost:8001",
    )
    assert result.exit_code == 0, result.output
    assert "Created site daily (The Daily)" in result.output
    assert all_sites(app) == [
        ("daily", "The Daily", [ORIGIN, "http://localhost:8001"], "hold_none", 900)
    ]


def test_cli_can_hold_every_comment(app, runner):
    result = create(runner, "daily", "--name", "Daily", "--origin", ORIGIN, "--hold-all")
    assert result.exit_code == 0, result.output
    assert all_sites(app)[0][3] == ModerationPolicy.HOLD_ALL


@pytest.mark.parametrize(
    "origin",
    [
        "https://news.example/articles",
        "https://news.example/?x=1",
        "https://news.example/#top",
        "ftp://news.example",
        "javascript:alert(1)",
        "news.example",
        "//news.example",
        "https://user:pw@news.example",
        "https://news.example:99999",
        "",
    ],
)
def test_cli_refuses_what_is_not_an_origin(app, runner, origin):
    result = create(runner, "daily", "--name", "Daily", "--origin", ORIGIN, "--origin", origin)
    assert result.exit_code != 0
    assert "origin" in result.output
    assert all_sites(app) == []


@pytest.mark.parametrize("slug", ["Bad Slug", "daily-", "x" * 61, "dai/ly"])
def test_cli_refuses_bad_slugs(app, runner, slug):
    result = create(runner, slug, "--name", "Daily", "--origin", ORIGIN)
    assert result.exit_code != 0
    assert "slug" in result.output
    assert all_sites(app) == []


def test_cli_refuses_a_taken_slug(app, runner):
    assert create(runner, "daily", "--name", "Daily", "--origin", ORIGIN).exit_code == 0
    result = create(runner, "Daily", "--name", "Other", "--origin", "https://other.example")
    assert result.exit_code != 0
    assert "already exists" in result.output
    assert all_sites(app) == [("daily", "Daily", [ORIGIN], "hold_none", 900)]


def test_cli_lists_sites(runner):
    create(runner, "daily", "--name", "Daily", "--origin", ORIGIN)
    create(runner, "alpha", "--name", "Alpha", "--origin", "https://a.example", "--hold-all")
    result = runner.invoke(args=["sites", "list"])
    assert result.exit_code == 0
    assert result.output.splitlines() == [
        "alpha\tAlpha\thold_all\thttps://a.example",
        f"daily\tDaily\thold_none\t{ORIGIN}",
    ]


@pytest.fixture
def admin(app: Flask, client: FlaskClient) -> FlaskClient:
    make_reader(app, "boss@example.org", "Boss", is_admin=True)
    sign_in(client, "boss@example.org")
    return client


FORM = {
    "slug": "daily",
    "name": "The Daily",
    "origins": f"{ORIGIN}\r\nhttps://www.news.example\r\n",
    "moderation_policy": "hold_none",
    "edit_window_minutes": "15",
}


@pytest.mark.parametrize(
    ("method", "path"),
    [("GET", "/admin/sites"), ("GET", "/admin/sites/new"), ("POST", "/admin/sites/new")],
)
def test_anonymous_visitors_are_sent_to_sign_in(client, method, path):
    response = client.open(path, method=method, data=FORM)
    assert response.status_code == 302
    target = urlsplit(response.headers["Location"])
    assert target.path == "/auth/sign-in"
    assert parse_qs(target.query)["next"] == [path]


def test_readers_who_are_not_admins_get_403(app, client):
    with app.app_context():
        sites.create_site("daily", "Daily", [ORIGIN])
    make_reader(app)
    sign_in(client)
    assert client.get("/admin/sites").status_code == 403
    assert client.post("/admin/sites/new", data={**FORM, "slug": "other"}).status_code == 403
    assert client.post("/admin/sites/daily", data={**FORM, "name": "Mine"}).status_code == 403
    assert all_sites(app) == [("daily", "Daily", [ORIGIN], "hold_none", 900)]


def test_admin_registers_a_site_and_sees_it_listed(app, admin):
    response = admin.post("/admin/sites/new", data=FORM)
    assert response.status_code == 303
    assert response.headers["Location"] == "/admin/sites/daily"
    assert all_sites(app) == [
        ("daily", "The Daily", [ORIGIN, "https://www.news.example"], "hold_none", 900)
    ]
    page = admin.get("/admin/sites/daily")
    assert "Site The Daily registered." in page.text
    assert 'href="/admin/sites/daily/install"' in page.text
    assert 'data-site="daily"' in html.unescape(admin.get("/admin/sites/daily/install").text)
    listing = admin.get("/admin/sites")
    assert "/admin/sites/daily" in listing.text
    assert f"{ORIGIN}, https://www.news.example" in listing.text


def test_admin_edits_origins_edit_window_and_policy(app, client, admin):
    admin.post("/admin/sites/new", data=FORM)
    changed = {
        **FORM,
        "slug": "ignored",
        "name": "Daily News",
        "origins": "https://daily.example",
        "moderation_policy": "hold_all",
        "edit_window_minutes": "5",
    }
    response = admin.post("/admin/sites/daily", data=changed)
    assert response.status_code == 303
    assert all_sites(app) == [("daily", "Daily News", ["https://daily.example"], "hold_all", 300)]
    form = admin.get("/admin/sites/daily").text
    assert '<option selected value="hold_all">' in form
    assert "\nhttps://daily.example</textarea>" in form
    assert 'name="edit_window_minutes" type="number" value="5"' in form
    assert '="None"' not in form
    # The widget follows at once: the old origin may no longer frame or embed it.
    old = client.get(f"/embed/daily/t/a1?url={ORIGIN}/a1&origin={ORIGIN}")
    assert old.status_code == 403
    new = client.get("/embed/daily/t/a1?url=https://daily.example/a1&origin=https://daily.example")
    assert new.status_code == 200
    assert "frame-ancestors https://daily.example" in new.headers["Content-Security-Policy"]


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"origins": "https://news.example/path"}, "is not an origin like"),
        ({"origins": "news.example"}, "is not an origin like"),
        ({"origins": "  \r\n "}, "This field is required"),
        ({"edit_window_minutes": "-1"}, "Number must be between 0 and 10080"),
        ({"edit_window_minutes": "many"}, "Not a valid integer value"),
        ({"moderation_policy": "publish_everything"}, "Not a valid choice"),
        ({"name": ""}, "This field is required"),
    ],
)
def test_bad_site_forms_are_refused_with_422(app, admin, changes, message):
    admin.post("/admin/sites/new", data=FORM)
    for path in ("/admin/sites/new", "/admin/sites/daily"):
        response = admin.post(path, data={**FORM, "slug": "other", **changes})
        assert response.status_code == 422, path
        assert message in response.text
    assert all_sites(app) == [
        ("daily", "The Daily", [ORIGIN, "https://www.news.example"], "hold_none", 900)
    ]


def test_admin_cannot_register_a_taken_slug_or_edit_an_unknown_site(app, admin):
    admin.post("/admin/sites/new", data=FORM)
    response = admin.post("/admin/sites/new", data={**FORM, "name": "Copy"})
    assert response.status_code == 422
    assert "A site with this slug already exists." in response.text
    assert admin.post("/admin/sites/nope", data=FORM).status_code == 404
    with app.app_context():
        assert db.session.query(Site).count() == 1
