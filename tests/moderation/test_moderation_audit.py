"""The audit log page with its filters, the admins' JSON export, and the reports page."""

from __future__ import annotations

import json
import re
from datetime import timedelta

import pytest

from commentsvc.comments import reports
from commentsvc.comments.models import ModerationPolicy
from commentsvc.core.extensions import db, utcnow
from commentsvc.moderation import audit
from commentsvc.moderation.models import AuditAction
from tests.conftest import build_app
from tests.moderation_support import build_world, client_for, post, reader, status


@pytest.fixture
def ids(app):
    return build_world(app, ModerationPolicy.HOLD_ALL)


def rows(html: str) -> list[str]:
    """The audit table's rows as "who action site target" strings."""
    body = html.split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    found = []
    for row in re.findall(r"<tr>(.*?)</tr>", body, re.S):
        cells = [
            re.sub(r"<[^>]+>|\s+", " ", c).strip() for c in re.findall(r"<td>(.*?)</td>", row, re.S)
        ]
        if cells:
            found.append(" | ".join(cells[1:5]))
    return found


def test_every_action_is_logged_and_the_page_filters_it(app, ids):
    first = post(app, ids.alice, "first")
    second = post(app, ids.bob, "second")
    theirs = post(app, ids.carol, "theirs", ids.other_thread)
    mod = client_for(app, "mina@example.org")
    admin = client_for(app, "admin@example.org")
    mod.post(f"/moderation/comments/{first}/decide", data={"action": "approve"})
    mod.post(f"/moderation/comments/{second}/decide", data={"action": "reject", "reason": "Rude"})
    mod.post(f"/moderation/threads/{ids.thread}/lock")
    mod.post(f"/moderation/readers/{ids.bob}/ban", data={"site": "demo", "reason": "Rude again"})
    admin.post(f"/moderation/comments/{theirs}/decide", data={"action": "spam"})
    admin.post("/moderation/sites/other/word-lists", data={"suspicious_words": "casino"})

    log = admin.get("/moderation/audit")
    assert rows(log.text) == [
        "Admin Ada | changed word lists | other | site Other Times",
        "Admin Ada | marked as spam | other | comment Caspian #3",
        "Moderator Mina | banned | demo | reader Bob",
        "Moderator Mina | locked | demo | thread Blinken in Baku",
        "Moderator Mina | rejected | demo | comment Blinken in Baku #2",
        "Moderator Mina | approved | demo | comment Blinken in Baku #1",
    ]
    assert "pending → rejected" in log.text
    assert "published → " not in log.text
    assert "Rude again" in log.text
    by_mod = admin.get(f"/moderation/audit?moderator={ids.mod}&action=reject")
    assert rows(by_mod.text) == ["Moderator Mina | rejected | demo | comment Blinken in Baku #2"]
    assert len(rows(admin.get("/moderation/audit?site=other").text)) == 2
    today = utcnow().date().isoformat()
    assert len(rows(admin.get(f"/moderation/audit?since={today}&until={today}").text)) == 6
    tomorrow = (utcnow() + timedelta(days=1)).date().isoformat()
    assert rows(admin.get(f"/moderation/audit?since={tomorrow}").text) == []
    # Nonsense filters are ignored rather than failing.
    assert len(rows(admin.get("/moderation/audit?action=x&since=y&moderator=z").text)) == 6
    # A site moderator sees only their site's entries.
    assert len(rows(mod.get("/moderation/audit").text)) == 4


def test_audit_log_pages_backwards(smtp_server, tmp_path):
    app = build_app(tmp_path, smtp_server.port)
    ids = build_world(app, ModerationPolicy.HOLD_ALL)
    admin = client_for(app, "admin@example.org")
    with app.app_context():
        for n in range(audit.PAGE_SIZE + 3):
            audit.record(
                reader(ids.admin),
                AuditAction.LOCK,
                target_type="thread",
                target_id=n,
                target_label=f"t{n}",
            )
        db.session.commit()
    first = admin.get("/moderation/audit")
    assert len(rows(first.text)) == 50
    older = re.search(r'<a href="([^"]+)" rel="next">Older entries</a>', first.text)
    assert older
    assert len(rows(admin.get(older.group(1).replace("&amp;", "&")).text)) == 3
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def test_admins_export_the_audit_log_as_json(app, ids):
    cid = post(app, ids.alice, "first")
    mod = client_for(app, "mina@example.org")
    mod.post(f"/moderation/comments/{cid}/decide", data={"action": "reject", "reason": "Rude"})
    admin = client_for(app, "admin@example.org")
    assert mod.post("/moderation/audit/export").status_code == 403
    assert 'action="/moderation/audit/export"' not in mod.get("/moderation/audit").text
    # buffered: read the streamed body to its end and close it, as a browser would.
    response = admin.post("/moderation/audit/export", data={"action": "reject"}, buffered=True)
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    assert "attachment" in response.headers["Content-Disposition"]
    data = json.loads(response.text)
    assert data["audit_log"] == [
        {
            "id": 1,
            "at": data["audit_log"][0]["at"],
            "actor": {"id": ids.mod, "name": "Moderator Mina"},
            "action": "reject",
            "site": "demo",
            "target": {"type": "comment", "id": cid, "label": "Blinken in Baku #1"},
            "status_before": "pending",
            "status_after": "rejected",
            "reason": "Rude",
            "details": {},
        }
    ]
    empty = admin.post("/moderation/audit/export", data={"action": "ban"}, buffered=True)
    assert json.loads(empty.text)["audit_log"] == []


def test_reports_page_lists_open_reports_and_dismisses_them(app, ids):
    mod = client_for(app, "mina@example.org")
    cid = post(app, ids.alice, "Reported words")
    mod.post(f"/moderation/comments/{cid}/decide", data={"action": "approve"})
    with app.app_context():
        reports.report_comment(reader(ids.bob), cid, "abuse", "Name-calling")
    page = mod.get("/moderation/reports")
    assert "Reported words" in page.text
    assert "1 open report:" in page.text
    assert "Abuse or harassment: “Name-calling” — Bob" in page.text
    assert "Dismiss reports" in page.text
    assert status(app, cid) == "approved"
    response = mod.post(f"/moderation/comments/{cid}/dismiss-reports", follow_redirects=True)
    assert "Reports dismissed" in response.text
    assert "Reported words" not in mod.get("/moderation/reports").text
    assert status(app, cid) == "approved"
    # The other site's moderator never sees it.
    assert (
        "Reported words" not in client_for(app, "omar@example.org").get("/moderation/reports").text
    )
