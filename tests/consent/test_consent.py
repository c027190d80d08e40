"""Consent helpers: IP truncation, browser families, the text hash, CSV cells, the script's size."""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest

from commentsvc.consent import banner_settings, records
from commentsvc.consent.texts import DEFAULTS
from commentsvc.core.sanitize import render_document

CONSENT_JS = Path(__file__).resolve().parents[2] / "commentsvc" / "static" / "consent.js"


@pytest.mark.parametrize(
    ("address", "stored"),
    [
        ("203.0.113.77", "203.0.113.0/24"),
        ("2001:db8:abcd:12:1:2:3:4", "2001:db8:abcd::/48"),
        ("::ffff:198.51.100.9", "198.51.100.0/24"),
        ("not an address", ""),
        (None, ""),
    ],
)
def test_ip_addresses_are_cut_to_their_network(address, stored):
    assert records.truncate_ip(address) == stored


@pytest.mark.parametrize(
    ("user_agent", "family"),
    [
        ("Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 Chrome/131.0 Safari/537.36", "chrome"),
        (
            "Mozilla/5.0 (Windows NT 10.0) AppleWebKit/537.36 Chrome/131.0 Safari/537.36 Edg/131.0",
            "edge",
        ),
        ("Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0", "firefox"),
        (
            "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1) AppleWebKit/605.1.15 Version/18.1 "
            "Safari/604.1",
            "safari",
        ),
        ("Mozilla/5.0 (Linux; Android 14) Chrome/130.0 Mobile Safari/537.36 OPR/85.0", "opera"),
        ("curl/8.5.0", "other"),
        ("", "other"),
    ],
)
def test_browser_family_is_coarse(user_agent, family):
    assert records.browser_family(user_agent) == family


def test_text_hash_is_sha256_of_canonical_json_and_follows_every_change():
    text = {"title": "Çərəzlər", "body": "b", "categories": [{"id": "necessary"}]}
    same = {"categories": [{"id": "necessary"}], "body": "b", "title": "Çərəzlər"}
    assert banner_settings.text_hash(text) == banner_settings.text_hash(same)
    assert len(banner_settings.text_hash(text)) == 64
    assert banner_settings.text_hash(text) != banner_settings.text_hash({**text, "body": "b "})


def test_every_default_language_has_every_text():
    keys = set(DEFAULTS["en"])
    for language in ("az", "ru"):
        assert set(DEFAULTS[language]) == keys, language
        for group in ("labels", "descriptions", "policies"):
            assert set(DEFAULTS[language][group]) == set(DEFAULTS["en"][group])
            assert all(DEFAULTS[language][group].values())


@pytest.mark.parametrize(
    ("value", "cell"),
    [
        ("=SUM(A1)", "'=SUM(A1)"),
        ("+1", "'+1"),
        ("-1", "'-1"),
        ("@cmd", "'@cmd"),
        ("\tx", "'\tx"),
        ("demo", "demo"),
        (["necessary", "analytics"], "necessary analytics"),
        (True, "true"),
        (None, ""),
    ],
)
def test_csv_cells_never_start_a_formula(value, cell):
    assert records._cell(value) == cell


def test_policy_documents_keep_headings_tables_and_safe_links_only():
    html = render_document(
        "# Title\n\n## Part\n\n| a | b |\n|---|---|\n| 1 | 2 |\n\n"
        "[ok](/policies/terms) [bad](javascript:alert(1)) [far](//evil.example) "
        "<script>alert(1)</script> ![img](https://x.example/i.png)"
    )
    assert "<h2>Title</h2>" in html
    assert "<h3>Part</h3>" in html
    assert "<table>" in html
    assert "<td>1</td>" in html
    assert 'href="/policies/terms"' in html
    assert 'href="javascript' not in html
    assert 'href="//evil.example' not in html
    assert "<script>" not in html
    assert "<img" not in html


def test_consent_js_is_at_most_6_kb_gzipped():
    assert len(gzip.compress(CONSENT_JS.read_bytes(), compresslevel=9)) <= 6 * 1024
