"""What an attacker learns from sign-up and reset: nothing from the text, nothing from
the time, and no more than a few reset e-mails per address whatever its spelling."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from itertools import count

import pytest
from flask import Flask
from werkzeug.test import TestResponse

from commentsvc.core.config import Defaults
from commentsvc.core.mail import deliver_pending
from tests.accounts.spellings import wide
from tests.conftest import build_app
from tests.factories import PASSWORD, make_reader, without_tokens

LOOSE = "100000 per minute"
SAMPLES = 15

# The e-mail spellings of reader@example.org an attacker might cycle through.
VARIANTS = [
    "reader@example.org",
    "READER@Example.ORG",
    "reader@" + wide("example") + ".org",
    "reader@example\u3002org",
    wide("reader") + "@example.org",
    "reader@example.org.",
]


def test_reset_emails_per_address_are_limited_across_spellings_and_ips(
    smtp_server, tmp_path, inbox
):
    app = build_app(
        tmp_path,
        smtp_server.port,
        RATELIMIT_RESET=LOOSE,
        RATELIMIT_SIGN_IN_IP=LOOSE,
        RATELIMIT_RESET_MAIL="3 per hour",
    )
    make_reader(app, email="reader@example.org")
    client = app.test_client()
    pages = []
    for n, variant in enumerate(VARIANTS):
        response = client.post(
            "/auth/reset",
            data={"email": variant},
            environ_base={"REMOTE_ADDR": f"192.0.2.{n + 1}"},
        )
        assert response.status_code == 200
        pages.append(without_tokens(response.text.replace(variant, "ADDRESS")))
    # Over the limit the page is the same: it tells nothing.
    assert len(set(pages)) == 1
    with app.app_context():
        deliver_pending()
    assert len(inbox.to("reader@example.org")) == 3


# --- timing -----------------------------------------------------------------------------------


def timed(measure: Callable[[], TestResponse], expected_status: int) -> float:
    start = time.perf_counter()
    response = measure()
    elapsed = (time.perf_counter() - start) * 1000
    assert response.status_code == expected_status, response.text
    return elapsed


def compare(
    registered: Callable[[], TestResponse],
    unknown: Callable[[], TestResponse],
    status: int,
    samples: int = SAMPLES,
) -> tuple[float, float]:
    """Medians in milliseconds of interleaved requests (after a warm-up of each)."""
    registered()
    unknown()
    times_registered, times_unknown = [], []
    for _ in range(samples):
        times_registered.append(timed(registered, status))
        times_unknown.append(timed(unknown, status))
    return statistics.median(times_registered), statistics.median(times_unknown)


def assert_indistinguishable(registered: float, unknown: float) -> None:
    """Within 30 % of the slower, or within 1 ms, whichever is larger."""
    tolerance = max(0.3 * max(registered, unknown), 1.0)
    assert abs(registered - unknown) <= tolerance, (
        f"registered {registered:.1f} ms, new {unknown:.1f} ms"
    )


def timing_app(smtp_server, tmp_path, **argon2: int) -> Flask:
    app = build_app(
        tmp_path,
        smtp_server.port,
        RATELIMIT_SIGN_UP=LOOSE,
        RATELIMIT_RESET=LOOSE,
        RATELIMIT_RESET_MAIL=LOOSE,
        **argon2,
    )
    make_reader(app, email="known@example.org", display_name="Known")
    return app


REAL_ARGON2 = {
    "ARGON2_TIME_COST": Defaults.ARGON2_TIME_COST,
    "ARGON2_MEMORY_COST": Defaults.ARGON2_MEMORY_COST,
    "ARGON2_PARALLELISM": Defaults.ARGON2_PARALLELISM,
}


# The test app's cheap hashing shows the rest of the work is the same; the production
# cost shows the hash is paid for both (it was paid for new addresses only).
@pytest.mark.parametrize("argon2", [{}, REAL_ARGON2], ids=["test-cost", "production-cost"])
def test_sign_up_takes_as_long_for_a_registered_address_as_for_a_new_one(
    smtp_server, tmp_path, argon2
):
    client = timing_app(smtp_server, tmp_path, **argon2).test_client()
    names = count()

    def sign_up(email: str) -> TestResponse:
        n = next(names)
        form = {
            "email": email,
            "display_name": f"Newcomer {n}",
            "password": PASSWORD,
            "accept_terms": "y",
        }
        return client.post("/auth/sign-up", data=form)

    addresses = count()
    registered, new = compare(
        lambda: sign_up("known@example.org"),
        lambda: sign_up(f"new{next(addresses)}@example.org"),
        200,
    )
    assert_indistinguishable(registered, new)


def test_reset_takes_as_long_for_a_registered_address_as_for_an_unknown_one(smtp_server, tmp_path):
    client = timing_app(smtp_server, tmp_path).test_client()
    addresses = count()
    registered, unknown = compare(
        lambda: client.post("/auth/reset", data={"email": "known@example.org"}),
        lambda: client.post("/auth/reset", data={"email": f"nobody{next(addresses)}@example.org"}),
        200,
        samples=25,
    )
    assert_indistinguishable(registered, unknown)
