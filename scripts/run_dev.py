"""Serve commentsvc for development on http://localhost:5000 (debug mode), and a demo
news site on http://127.0.0.1:8001 whose articles embed the comments.

Mail is not delivered in development: every e-mail is printed to this terminal
and listed at http://localhost:5000/dev/outbox.
"""

from __future__ import annotations

import os
import threading

from werkzeug.serving import make_server, run_simple

from commentsvc import create_app
from commentsvc.comments import sites
from commentsvc.consent import banner_settings
from commentsvc.demo import create_demo_app

SERVICE = ("localhost", 5000)
DEMO = ("127.0.0.1", 8001)
DEMO_ORIGIN = f"http://{DEMO[0]}:{DEMO[1]}"


def main() -> None:
    os.environ.setdefault("FLASK_DEBUG", "1")
    app = create_app()
    with app.app_context():
        site = sites.get_site("demo") or sites.create_site("demo", "Demo News", [DEMO_ORIGIN])
        # The demo's article pages sign their snippets, as a real site's templates would.
        secret = site.thread_secret or sites.new_thread_secret(site)
        settings = banner_settings.current_settings(site)
        if not settings.cookies:
            # The demo's stand-in analytics tag sets this cookie; withdrawal deletes it.
            banner_settings.save_settings(
                site,
                banner_settings.SettingsInput(
                    categories=list(settings.categories), cookies={"analytics": ["demo_analytics"]}
                ),
                None,
            )
    demo_app = create_demo_app(f"http://{SERVICE[0]}:{SERVICE[1]}", thread_secret=secret)
    demo = make_server(*DEMO, demo_app, threaded=True)
    threading.Thread(target=demo.serve_forever, daemon=True).start()
    print(f" * Demo news site on {DEMO_ORIGIN}/articles/blinken-azerbaijan")
    run_simple(*SERVICE, app, use_reloader=False, use_debugger=True, threaded=True)


if __name__ == "__main__":
    main()
