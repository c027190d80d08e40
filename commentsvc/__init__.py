"""commentsvc: reader accounts, consent and moderated comments for news sites.

The application is put together here from its parts: `core` (what every part
uses) and one package per area of the product, each registering its own pages,
API, hooks and commands through its `init_app`.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from flask import Flask

from commentsvc import accounts, comments, consent, core, moderation, transfer
from commentsvc.comments.page_cache import SharedPageCache
from commentsvc.core import config, edge, metrics

ROOT = Path(__file__).resolve().parent.parent


def create_app(test_config: Mapping[str, Any] | None = None) -> Flask:
    app = Flask(
        __name__,
        instance_relative_config=True,
        template_folder=str(ROOT / "templates"),
    )
    app.config.from_object(config.Defaults)
    if test_config is None:
        app.config.from_prefixed_env("COMMENTSVC")
    else:
        app.config.update(test_config)
    config.finalise(app)
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)

    core.init_app(app, ROOT)
    accounts.init_app(app)
    comments.init_app(app)
    moderation.init_app(app)
    consent.init_app(app)
    transfer.init_app(app)
    if app.config["SHARED_PAGE_CACHE_BYTES"]:
        # Anonymous thread reads are answered from memory before Flask runs.
        cache = SharedPageCache(app, app.config["SHARED_PAGE_CACHE_BYTES"])
        app.extensions[SharedPageCache.EXTENSION] = cache
        app.wsgi_app = cache  # type: ignore[method-assign]
    # Outside the page cache: the request id, and the proxy's word about the client.
    edge.wrap(app)
    # Last: every request is counted, the page cache's too.
    metrics.wrap_app(app)
    return app
