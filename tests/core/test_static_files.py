"""Static files are linked by the hash of their content, and such a link may be kept a
year by browsers and proxies: a changed file gets a new link."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

from commentsvc.comments import sites, threads
from tests.comments.test_embed import PAGE

STATIC = Path(__file__).resolve().parents[2] / "commentsvc" / "static"


def linked(page: str, name: str) -> str:
    match = re.search(rf'"(/static/{re.escape(name)}\?v=[0-9a-f]+)"', page)
    assert match, page
    return match.group(1)


def test_pages_link_static_files_by_their_content(client):
    url = linked(client.get("/auth/sign-in").text, "style.css")
    digest = hashlib.sha256((STATIC / "style.css").read_bytes()).hexdigest()
    assert url == f"/static/style.css?v={digest[:12]}"


def test_a_versioned_link_is_kept_a_year_and_others_are_revalidated(client):
    url = linked(client.get("/auth/sign-in").text, "style.css")
    with client.get(url) as response:
        assert response.status_code == 200
        assert response.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    for other in ("/static/style.css", "/static/style.css?v=0123456789ab"):
        with client.get(other) as response:
            assert response.status_code == 200
            assert "immutable" not in response.headers.get("Cache-Control", "")


def test_the_widget_links_its_files_by_content_too(app, client):
    with app.app_context():
        site = sites.create_site("demo", "Demo", ["https://news.example"])
        threads.create_thread(site, "a1", "First article", "https://news.example/a1")
    page = client.get(PAGE).text
    assert re.search(r'/static/widget\.(css|js)\?v=[0-9a-f]{12}"', page)
