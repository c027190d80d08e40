"""Thread keys that are article paths ("/2024/05/story/"), as a site's snippet gives them
with its request path: the widget, the API and the thread page reach that thread, never
one named by a path with the slashes merged."""

from __future__ import annotations

from urllib.parse import quote

from sqlalchemy import select

from commentsvc.comments import sites, threads
from commentsvc.comments.models import Thread
from commentsvc.core.extensions import db
from tests.factories import make_reader, sign_in

ORIGIN = "https://news.example"
KEY = "/2024/05/story/"


def test_a_path_key_works_in_the_widget_and_the_api(app, client):
    with app.app_context():
        site = sites.create_site("demo", "Demo", [ORIGIN])
        threads.create_thread(site, "2024/05/story/", "Not this one", ORIGIN + "/other")
    make_reader(app, "alice@example.org", "Alice")
    sign_in(client, "alice@example.org")

    # As embed.js writes the address: the key percent-encoded, slashes and all.
    widget = f"/embed/demo/t/{quote(KEY, safe='')}?url={ORIGIN}{KEY}&origin={ORIGIN}"
    assert client.get(widget).status_code == 200
    posted = client.post(f"/api/v1/sites/demo/threads/{KEY}/comments", json={"body": "Hi"})
    assert posted.status_code == 201, posted.data
    listed = client.get(f"/api/v1/sites/demo/threads/{KEY}/comments")
    assert [c["body_html"] for c in listed.get_json()["comments"]] == ["<p>Hi</p>"]
    assert "Hi" in client.get(widget).get_data(as_text=True)

    with app.app_context():
        made = db.session.scalar(select(Thread).where(Thread.key == KEY))
        other = db.session.scalar(select(Thread).where(Thread.key == "2024/05/story/"))
        assert made is not None
        assert made.comment_count == 1
        assert other is not None
        assert other.comment_count == 0
