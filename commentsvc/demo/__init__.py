"""A demo news site (another origin) that embeds the comments, for development and tests."""

from __future__ import annotations

import hashlib
import hmac
from pathlib import Path
from urllib.parse import urlencode

from flask import Flask, Response, render_template, request

from commentsvc.core.languages import LANGUAGES

ROOT = Path(__file__).resolve().parent.parent.parent

ARTICLES = {
    "blinken-azerbaijan": {
        "title": "Blinken's failure in Azerbaijan",
        "byline": "By Aysel Quliyeva · 27 November 2026",
        "body": [
            "The Secretary of State left Baku without the agreement his staff had promised, "
            "and the region's capitals read the silence in very different ways.",
            "Diplomats on both sides say the talks stalled on the sequencing of guarantees: "
            "who moves first, and who checks that the other side has moved.",
            "For readers in the region the question is simpler: what changes on the ground? "
            "So far, very little, and the coming winter will test every promise made.",
        ],
    },
    "caspian-energy": {
        "title": "The Caspian's quiet energy race",
        "byline": "By Rauf Məmmədov · 26 November 2026",
        "body": ["Pipelines are slow, politics is fast, and investors are watching both."],
    },
}


def sign_snippet(secret: str, key: str, url: str, title: str) -> str:
    """What a news site's article template computes to sign its snippet (see the README)."""
    message = f"{key}\n{url}\n{title}".encode()
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def create_demo_app(
    service_url: str, site_slug: str = "demo", thread_secret: str | None = None
) -> Flask:
    """The news site: an article list with comment counts, and article pages with comments.

    With thread_secret (the site's signing secret), article pages sign their snippets.
    """
    app = Flask(__name__, template_folder=str(ROOT / "templates" / "demo"), static_folder=None)
    service_url = service_url.rstrip("/")

    @app.get("/")
    def index() -> str:
        return render_template(
            "index.html", articles=ARTICLES, service_url=service_url, site=site_slug
        )

    @app.get("/articles/<key>")
    def article(key: str) -> tuple[str, int] | str:
        found = ARTICLES.get(key)
        if found is None:
            return "Not found", 404
        # ?lang=az, ru or tr shows the page, and so the consent banner, in that language.
        lang = request.args.get("lang", "en")
        # ?theme=dark (or light, auto): a page in that colour scheme, whose snippet asks
        # the widget for the same theme.
        theme = request.args.get("theme", "")
        # ?snippet=iframe: the plain-iframe snippet for pages without JavaScript.
        plain = request.args.get("snippet") == "iframe"
        url = request.base_url
        sig = sign_snippet(thread_secret, key, url, str(found["title"])) if thread_secret else ""
        return render_template(
            "article.html",
            key=key,
            article=found,
            service_url=service_url,
            site=site_slug,
            lang=lang if lang in LANGUAGES else "en",
            theme=theme if theme in ("light", "dark", "auto") else "",
            url=url,
            sig=sig,
            plain=plain,
            frame_query=urlencode({"url": url, "title": str(found["title"]), "sig": sig}),
        )

    @app.get("/demo-analytics.js")
    def analytics_js() -> Response:
        # An external "analytics tag", run by consent.js between the two inline ones.
        body = 'window.demoAnalytics = (window.demoAnalytics || []).concat("external");\n'
        return Response(body, mimetype="text/javascript")

    return app
