"""The load and fault run (bench/load_fault.py) in its short form: 50 readers and 5
writers for 10 seconds against two gunicorn instances on a private PostgreSQL, which is
stopped and started again halfway. Every acknowledged comment must be stored and listed,
and nothing may fail outside the restart window (the full run is 60 s: see the README)."""

from __future__ import annotations

import os

import pytest

from bench.load_fault import run
from tests.servers import postgres_bin


def test_readers_and_writers_ride_out_a_database_restart():
    if postgres_bin() is None:
        if os.environ.get("CI"):
            pytest.fail("PostgreSQL is not installed: CI must run the load and fault run")
        pytest.skip("install PostgreSQL to run")
    passed, report = run(seconds=10, readers=50, writers=5)
    print(report)
    assert passed, report
