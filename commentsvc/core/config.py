"""Configuration defaults, environment overrides and the start-up safety check."""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

from flask import Flask

from commentsvc.core import languages

DEV_SECRET_KEY = "dev"  # noqa: S105 -- check() refuses it outside debug and testing


class Defaults:
    """Safe defaults: a development instance runs with no environment at all."""

    SECRET_KEY = DEV_SECRET_KEY
    # A relative SQLite URL lands in the instance folder (Flask-SQLAlchemy 3).
    DATABASE_URL = "sqlite:///commentsvc.sqlite3"
    # Links in e-mails are built from this, never from the request's Host header.
    PUBLIC_URL = "http://localhost:5000"
    REDIS_URL: str | None = None
    # Seconds to wait for PostgreSQL to accept a connection; past it the request gets a
    # 503 page (core/security.py) instead of hanging on a lost server.
    DATABASE_CONNECT_TIMEOUT = 5

    MAIL_HOST = "127.0.0.1"
    MAIL_PORT = 25
    MAIL_USERNAME: str | None = None
    MAIL_PASSWORD: str | None = None
    MAIL_STARTTLS = False
    MAIL_TIMEOUT = 10
    MAIL_FROM = "commentsvc <noreply@localhost>"
    MAIL_MAX_ATTEMPTS = 12
    # Print every queued e-mail to the log (on by default in debug mode).
    MAIL_ECHO: bool | None = None

    MAX_CONTENT_LENGTH = 256 * 1024
    MAX_FORM_MEMORY_SIZE = 256 * 1024
    RESET_TOKEN_MAX_AGE = 3600
    # The 6-digit codes the sign-in popup asks for (sign-up, password reset): how long
    # one works, and how many tries it takes before it is dead.
    EMAIL_CODE_MAX_AGE = 15 * 60
    EMAIL_CODE_ATTEMPTS = 5
    VERIFY_TOKEN_MAX_AGE = 7 * 24 * 3600
    # Passkeys: the name authenticators show for the service, and how long a challenge
    # handed to the browser works (it also works only once).
    PASSKEY_RP_NAME = "commentsvc"
    PASSKEY_CHALLENGE_MAX_AGE = 5 * 60
    # Every admin must have a second factor (a passkey or an authenticator app).
    # Only tests may turn this off (finalise() refuses it otherwise).
    ADMINS_NEED_SECOND_FACTOR = True
    # Sensitive staff actions (accounts/step_up.py) ask for the second factor again when
    # the session last proved it longer ago than this, in seconds.
    STEP_UP_MAX_AGE = 15 * 60
    SESSION_LIFETIME = timedelta(hours=12)
    REMEMBER_LIFETIME = timedelta(days=30)

    # argon2id cost; tests lower it to keep the suite fast.
    ARGON2_TIME_COST = 3
    ARGON2_MEMORY_COST = 64 * 1024
    ARGON2_PARALLELISM = 2

    RATELIMIT_SIGN_IN_IP = "20 per minute; 200 per hour"
    RATELIMIT_SIGN_IN_ACCOUNT = "5 per minute; 30 per hour"
    RATELIMIT_RESET = "5 per 15 minutes; 20 per day"
    # Reset e-mails per address (folded like the other per-address limits). Requests
    # over it get the usual "check your inbox" page, and no e-mail.
    RATELIMIT_RESET_MAIL = "3 per hour"
    RATELIMIT_SIGN_UP = "10 per hour"
    # "Send a new code" in the sign-in popup: per address (folded like the other
    # per-address limits) and, separately, per client address.
    RATELIMIT_CODE_RESEND = "3 per 15 minutes; 10 per day"
    RATELIMIT_CODE_RESEND_IP = "10 per 15 minutes; 50 per day"
    # Codes typed into the popup, per client address (each code also takes only
    # EMAIL_CODE_ATTEMPTS tries).
    RATELIMIT_CODE_CHECK = "30 per 15 minutes"
    # Passkey ceremonies (options and answers), per client address.
    RATELIMIT_PASSKEY = "30 per minute; 300 per hour"
    # Second-step codes (an app's code or a recovery code), per client address and,
    # separately, per account waiting for its second step.
    RATELIMIT_SECOND_STEP_IP = "20 per 15 minutes"
    RATELIMIT_SECOND_STEP_ACCOUNT = "5 per 5 minutes; 20 per day"
    # Posting comments (the widget, its first-party twin and the API share each limit).
    RATELIMIT_POST_READER = "60 per minute; 1000 per day"
    RATELIMIT_POST_IP = "200 per minute; 5000 per day"
    # Previews of a comment being written (the widget's Preview tab).
    RATELIMIT_PREVIEW_READER = "120 per minute; 3000 per day"
    RATELIMIT_PREVIEW_IP = "400 per minute; 10000 per day"
    RATELIMIT_ENABLED = True
    RATELIMIT_STORAGE_URI = "memory://"
    # With Redis: while it does not answer, each process counts in its own memory (limits
    # still apply, per process) and goes back to Redis once it answers again.
    RATELIMIT_IN_MEMORY_FALLBACK_ENABLED = True
    # Anonymous page views that create a thread or change its title or URL (reads of
    # existing threads are not limited): per client address and per site.
    RATELIMIT_THREAD_WRITE_IP = "20 per minute; 200 per day"
    RATELIMIT_THREAD_WRITE_SITE = "60 per minute; 2000 per day"
    # Consent decisions (/api/v1/consent): per site and client address, and per client
    # address over every site.
    RATELIMIT_CONSENT_SITE_IP = "20 per minute; 300 per hour"
    RATELIMIT_CONSENT_IP = "120 per minute"

    # Moderation: how long a decision can be undone, how often a moderator is e-mailed
    # about held comments, and the no-JavaScript form's minimum fill time.
    MODERATION_UNDO_SECONDS = 10 * 60
    MODERATION_DIGEST_INTERVAL = 15 * 60
    # How often an open staff page asks whether new comments were held (seconds).
    MODERATION_POLL_SECONDS = 20
    COMMENT_MIN_FILL_SECONDS = 3
    # How long the unsubscribe link in a notification e-mail works.
    UNSUBSCRIBE_TOKEN_MAX_AGE = 365 * 24 * 3600

    # Thread pages every anonymous reader shares are kept in memory, per worker
    # process, up to this many bytes (see comments/page_cache.py); 0 turns the cache off.
    SHARED_PAGE_CACHE_BYTES = 64 * 1024 * 1024

    # Anonymous thread reads (widget pages, first-party thread pages, JSON lists) may be
    # kept by a CDN or caching proxy this many seconds, then revalidated with their ETag
    # (see core/cdn.py); 0 keeps them out of shared caches. A cache may answer with an
    # expired copy for the second number of seconds while it asks again.
    CDN_S_MAXAGE = 10
    CDN_STALE_WHILE_REVALIDATE = 30
    # Names the deployed code in ETags, beside a digest of the code, templates and
    # translations (optional: set it to the release's version or commit).
    RELEASE: str | None = None
    # Behind a reverse proxy: how many proxies in front set X-Forwarded-For, -Proto and
    # -Host (werkzeug's ProxyFix). 0 (the default) ignores those headers: anyone could
    # send them.
    PROXY_FIX_X_FOR = 0
    PROXY_FIX_X_PROTO = 0
    PROXY_FIX_X_HOST = 0
    # Keep an incoming X-Request-Id (a token of at most 64 [A-Za-z0-9._-]) as the
    # request's id instead of making one: only when the proxy in front sets it.
    TRUST_REQUEST_ID = False
    # "text" or "json" (one object per line).
    LOG_FORMAT = "text"
    # Who may read /metrics (see core/metrics.py): requests with this bearer token, and
    # requests straight from these addresses or ranges (comma-separated). Neither: 404.
    METRICS_TOKEN: str | None = None
    METRICS_ALLOW = ""

    LANGUAGES = languages.LANGUAGES
    BABEL_DEFAULT_LOCALE = languages.DEFAULT_LANGUAGE

    SESSION_COOKIE_NAME = "commentsvc_session"
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_NAME = "commentsvc_remember"
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    # The widget's own cookie (SameSite=None; Secure; Partitioned; Path=/embed).
    EMBED_COOKIE_NAME = "commentsvc_embed"
    WTF_CSRF_TIME_LIMIT = None  # the token lives as long as the session


def finalise(app: Flask) -> None:
    """Derive settings that follow from others, then refuse unsafe combinations.

    :raises RuntimeError: the development secret key outside debug or testing.
    """
    config: dict[str, Any] = app.config
    config["SQLALCHEMY_DATABASE_URI"] = config["DATABASE_URL"]
    if str(config["DATABASE_URL"]).startswith("postgresql"):
        options = config.setdefault("SQLALCHEMY_ENGINE_OPTIONS", {})
        connect_args = options.setdefault("connect_args", {})
        connect_args.setdefault("connect_timeout", int(config["DATABASE_CONNECT_TIMEOUT"]))
    config["PUBLIC_URL"] = config["PUBLIC_URL"].rstrip("/")
    https = urlsplit(config["PUBLIC_URL"]).scheme == "https"
    config["HTTPS"] = https
    config["SESSION_COOKIE_SECURE"] = https
    config["REMEMBER_COOKIE_SECURE"] = https
    config["REMEMBER_COOKIE_DURATION"] = config["REMEMBER_LIFETIME"]
    config["PERMANENT_SESSION_LIFETIME"] = config["REMEMBER_LIFETIME"]
    if config["MAIL_ECHO"] is None:
        config["MAIL_ECHO"] = app.debug
    production = not (app.debug or app.testing)
    if production and https:
        # __Host- cookies are Secure, host-only and path=/: no sibling domain can set them.
        for key in ("SESSION_COOKIE_NAME", "REMEMBER_COOKIE_NAME"):
            if not config[key].startswith("__Host-"):
                config[key] = "__Host-" + config[key]
        # __Host- needs Path=/; the widget's cookie is scoped to /embed, so __Secure-.
        if not config["EMBED_COOKIE_NAME"].startswith("__Secure-"):
            config["EMBED_COOKIE_NAME"] = "__Secure-" + config["EMBED_COOKIE_NAME"]
    if production and config["SECRET_KEY"] == DEV_SECRET_KEY:
        raise RuntimeError(
            "Refusing to start with the development SECRET_KEY. "
            "Set COMMENTSVC_SECRET_KEY to a long random value."
        )
    if production and not config["ADMINS_NEED_SECOND_FACTOR"]:
        raise RuntimeError(
            "ADMINS_NEED_SECOND_FACTOR may be turned off only in debug mode and tests."
        )
    if config["LOG_FORMAT"] not in ("text", "json"):
        raise RuntimeError(
            f"COMMENTSVC_LOG_FORMAT must be text or json, not {config['LOG_FORMAT']!r}."
        )
    if config["REDIS_URL"]:
        config["RATELIMIT_STORAGE_URI"] = config["REDIS_URL"]
