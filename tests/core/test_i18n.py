"""Azerbaijani, Russian and Turkish pages, e-mails, widget and banner, and catalogs that stay
complete and current."""

# The Azerbaijani and Turkish dotless i and Cyrillic letters are the text under test, not
# look-alikes.
# ruff: noqa: RUF001

from __future__ import annotations

import gettext
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from babel.messages.catalog import Catalog
from babel.messages.plurals import get_plural
from babel.messages.pofile import read_po

from commentsvc.comments import sites
from commentsvc.consent.texts import DEFAULTS
from commentsvc.core import languages
from scripts.compile_translations import TRANSLATIONS, compile_translations
from tests.conftest import body_of
from tests.factories import PASSWORD, make_reader, sign_in

ROOT = TRANSLATIONS.parent
LANGUAGES = tuple(lang for lang in languages.LANGUAGES if lang != languages.DEFAULT_LANGUAGE)
# How many plural forms each language has (CLDR): Russian one/few/many, the others one/other.
PLURAL_FORMS = {"az": 2, "ru": 3, "tr": 2}
# printf-style conversions, as gettext's python-format check sees them (%% included).
PLACEHOLDER = re.compile(r"%(?:\([^)]*\))?[-#0 +]*(?:\d+|\*)?(?:\.\d+)?[diouxXeEfFgGcrsa%]")


@pytest.fixture(scope="module", autouse=True)
def compiled_translations():
    # The .mo files are build output; compile them so this module does not depend
    # on someone having run scripts/compile_translations.py first.
    compile_translations()


def read_catalog(path: Path, locale: str | None = None) -> Catalog:
    with path.open("rb") as f:
        return read_po(f, locale=locale)


def placeholders(text: str) -> list[str]:
    return sorted(PLACEHOLDER.findall(text))


def heading(html: str) -> str:
    match = re.search(r"<h1>(.*?)</h1>", html, re.S)
    assert match, html
    return match.group(1).strip()


def sign_up(client, email: str, language: str):
    form = {
        "email": email,
        "display_name": "Reader " + language,
        "password": PASSWORD,
        "accept_terms": "y",
    }
    response = client.post("/auth/sign-up", data=form, headers={"Accept-Language": language})
    assert response.status_code == 200, response.text
    return response


@pytest.mark.parametrize(
    ("accept_language", "lang", "title", "lost_password"),
    [
        ("az", "az", "Hesabınıza daxil olun", "Parolunuzu unutmusunuz?"),
        ("az-AZ,az;q=0.9", "az", "Hesabınıza daxil olun", "Parolunuzu unutmusunuz?"),
        ("ru", "ru", "Войдите в свой аккаунт", "Забыли пароль?"),
        ("de-DE,ru;q=0.8,en;q=0.5", "ru", "Войдите в свой аккаунт", "Забыли пароль?"),
        ("tr", "tr", "Hesabınıza giriş yapın", "Şifrenizi mi unuttunuz?"),
        ("tr-TR,tr;q=0.9,en-US;q=0.8", "tr", "Hesabınıza giriş yapın", "Şifrenizi mi unuttunuz?"),
        ("de", "en", "Sign in to your account", "Lost your password?"),
    ],
    ids=["az", "az-AZ", "ru", "ru-preferred-over-en", "tr", "tr-TR", "unsupported-de"],
)
def test_sign_in_page_speaks_the_browsers_language(
    client, accept_language, lang, title, lost_password
):
    page = client.get("/auth/sign-in", headers={"Accept-Language": accept_language})
    assert page.status_code == 200
    assert f'<html lang="{lang}">' in page.text
    assert heading(page.text) == title
    assert lost_password in page.text


def test_page_without_accept_language_is_english(client):
    page = client.get("/auth/sign-in")
    assert '<html lang="en">' in page.text
    assert heading(page.text) == "Sign in to your account"


@pytest.mark.parametrize(
    ("language", "error", "summary"),
    [
        (
            "az",
            "E-poçt ünvanı və ya parol yanlışdır.",
            "Zəhmət olmasa, qeyd olunmuş sahələri düzəldin.",
        ),
        (
            "ru",
            "Неверный адрес электронной почты или пароль.",
            "Пожалуйста, исправьте отмеченные поля.",
        ),
        ("tr", "E-posta adresi veya şifre hatalı.", "Lütfen işaretli alanları düzeltin."),
    ],
)
def test_wrong_password_error_is_translated(app, client, language, error, summary):
    make_reader(app, email="reader@example.org")
    response = client.post(
        "/auth/sign-in",
        data={"email": "reader@example.org", "password": "not the password"},
        headers={"Accept-Language": language},
    )
    assert response.status_code == 422
    assert error in response.text
    assert summary in response.text
    assert "Wrong e-mail address or password." not in response.text


def test_field_labels_from_forms_are_translated(client):
    # Labels are lazy strings built at import time; they must follow each request.
    az = client.get("/auth/sign-up", headers={"Accept-Language": "az"}).text
    ru = client.get("/auth/sign-up", headers={"Accept-Language": "ru"}).text
    tr = client.get("/auth/sign-up", headers={"Accept-Language": "tr"}).text
    assert ">Görünən ad</label>" in az
    assert ">Отображаемое имя</label>" in ru
    assert "Ən azı 8 simvol" in az
    assert "Не менее 8 символов" in ru
    assert ">Görünen ad</label>" in tr
    assert "En az 8 karakter" in tr
    # The links to the documents take the case ending that the sentence needs.
    assert "Kullanım Koşulları'nı</a> ve" in tr


def test_verification_email_arrives_in_the_language_of_sign_up(client, inbox, deliver):
    sign_up(client, "ru.reader@example.org", "ru")
    assert deliver() == (1, 0)
    msg = inbox.last_to("ru.reader@example.org")
    assert msg["Subject"] == "Подтвердите адрес электронной почты"
    assert "Здравствуйте, Reader ru!" in body_of(msg)


def test_later_emails_follow_the_readers_language_not_the_browsers(client, inbox, deliver):
    sign_up(client, "ru.reader@example.org", "ru")
    response = client.post(
        "/auth/reset",
        data={"email": "ru.reader@example.org"},
        headers={"Accept-Language": "az"},
    )
    assert response.status_code == 200
    assert heading(response.text) == "Poçt qutunuzu yoxlayın"
    # Cyrillic bodies are base64 and longer than 1000 bytes: this also needs CRLF on the wire.
    assert deliver() == (2, 0)
    assert inbox.last_to("ru.reader@example.org")["Subject"] == "Сброс пароля"


def test_signed_in_reader_sees_their_own_language_on_any_browser(client):
    sign_up(client, "az.reader@example.org", "az")
    sign_in(client, "az.reader@example.org")
    page = client.get("/account", headers={"Accept-Language": "ru"})
    assert '<html lang="az">' in page.text
    assert heading(page.text) == "Hesabınız"


@pytest.mark.parametrize(
    ("language", "text"),
    [("ru", "По этому адресу ничего нет."), ("tr", "Bu adreste hiçbir şey yok.")],
)
def test_error_pages_are_translated(client, language, text):
    page = client.get("/no-such-page", headers={"Accept-Language": language})
    assert page.status_code == 404
    assert heading(page.text) == text


@pytest.mark.parametrize("language", LANGUAGES)
def test_catalog_translates_every_message_with_the_same_placeholders(language):
    template = read_catalog(TRANSLATIONS / "messages.pot")
    catalog = read_catalog(TRANSLATIONS / language / "LC_MESSAGES" / "messages.po", language)
    messages = [m for m in catalog if m.id]
    assert {m.id for m in messages} == {m.id for m in template if m.id}, (
        f"run pybabel update for {language}"
    )
    problems = []
    for message in messages:
        if isinstance(message.id, str) and isinstance(message.string, str):
            source, forms = message.id, [message.string]
        else:
            # Every plural form shows the number, as the English plural does.
            assert isinstance(message.id, tuple)
            assert isinstance(message.string, tuple | list)
            source, forms = message.id[1], list(message.string)
            if len(forms) != catalog.num_plurals:
                problems.append(f"needs {catalog.num_plurals} plural forms: {source!r}")
        for form in forms:
            if not form.strip():
                problems.append(f"untranslated: {source!r}")
            elif message.fuzzy:
                problems.append(f"fuzzy: {source!r}")
            elif placeholders(form) != placeholders(source):
                problems.append(f"placeholders differ: {source!r} -> {form!r}")
            elif sorted(re.findall("[<>&]", form)) != sorted(re.findall("[<>&]", source)):
                # Templates mark translations safe (newstyle gettext), so no new markup.
                problems.append(f"HTML characters differ: {source!r} -> {form!r}")
    assert not problems, "\n".join(problems)


def test_pot_lists_exactly_the_messages_in_the_code(tmp_path):
    fresh = tmp_path / "messages.pot"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "babel.messages.frontend",
            "--quiet",
            "extract",
            "-F",
            "babel.cfg",
            "-o",
            str(fresh),
            ".",
        ],
        cwd=ROOT,
        check=True,
        capture_output=True,
    )
    extracted = {m.id for m in read_catalog(fresh) if m.id}
    committed = {m.id for m in read_catalog(TRANSLATIONS / "messages.pot") if m.id}
    assert "Sign in to your account" in extracted  # templates were scanned
    assert "Remember me" in extracted  # _l() in forms was scanned
    assert extracted == committed, (
        f"new: {sorted(map(str, extracted - committed))}, "
        f"gone: {sorted(map(str, committed - extracted))}; see the README's Translations section"
    )


def test_every_language_states_its_plural_forms():
    assert set(PLURAL_FORMS) == set(LANGUAGES)


@pytest.mark.parametrize("language", LANGUAGES)
def test_catalog_has_the_languages_plural_rule_and_every_form(language):
    catalog = read_catalog(TRANSLATIONS / language / "LC_MESSAGES" / "messages.po", language)
    rule = get_plural(language)
    assert catalog.num_plurals == rule.num_plurals == PLURAL_FORMS[language]
    assert catalog.plural_expr == rule.plural_expr
    plural = gettext.c2py(catalog.plural_expr)
    # 1, 2, 5, 11, 21 and 101 pick different forms in Russian, 1 and the rest elsewhere.
    expected = {2: [0, 1, 1, 1, 1, 1], 3: [0, 1, 2, 2, 0, 0]}[PLURAL_FORMS[language]]
    assert [plural(n) for n in (1, 2, 5, 11, 21, 101)] == expected
    plurals = [m for m in catalog if m.id and m.pluralizable]
    assert plurals  # the catalogue has plural messages to check
    for message in plurals:
        assert isinstance(message.string, tuple | list), message.id
        forms = list(message.string)
        assert len(forms) == PLURAL_FORMS[language], message.id
        assert all(form.strip() for form in forms), message.id


def test_turkish_reader_gets_turkish_emails_whatever_the_browser_says(client, inbox, deliver):
    sign_up(client, "tr.reader@example.org", "tr")
    assert deliver() == (1, 0)
    msg = inbox.last_to("tr.reader@example.org")
    assert msg["Subject"] == "E-posta adresinizi doğrulayın"
    assert "Merhaba Reader tr," in body_of(msg)
    response = client.post(
        "/auth/reset", data={"email": "tr.reader@example.org"}, headers={"Accept-Language": "en"}
    )
    assert heading(response.text) == "Check your inbox"
    assert deliver() == (1, 0)
    msg = inbox.last_to("tr.reader@example.org")
    assert msg["Subject"] == "Şifrenizi sıfırlayın"
    assert "bir saat içinde açın" in body_of(msg)


def test_widget_speaks_turkish_and_keeps_its_own_shared_copy(app, client):
    origin = "https://news.example"
    with app.app_context():
        sites.create_site("demo", "Demo", [origin])
    page = f"/embed/demo/t/a1?url={origin}/a1&origin={origin}"
    for _round in range(2):  # the second round comes from the shared page cache
        turkish = client.get(page, headers={"Accept-Language": "tr-TR,tr;q=0.9"}).text
        assert '<html lang="tr"' in turkish
        assert "Yorumlar" in turkish
        assert "Yorum yapmak için giriş yapın" in turkish
        english = client.get(page, headers={"Accept-Language": "en"}).text
        assert "Yorum" not in english
        assert "Hesabınıza" not in client.get(page, headers={"Accept-Language": "az"}).text


@pytest.mark.parametrize("language", languages.LANGUAGES)
def test_banner_has_built_in_texts_in_every_language(language):
    def keys(texts: dict[str, Any]) -> set[str]:
        found = set()
        for key, value in texts.items():
            if isinstance(value, dict):
                found |= {f"{key}.{name}" for name, text in value.items() if text}
            elif value:
                found.add(key)
        return found

    assert keys(DEFAULTS[language]) == keys(DEFAULTS[languages.DEFAULT_LANGUAGE])


def test_consent_banner_defaults_to_turkish_on_a_turkish_page(app, client):
    with app.app_context():
        sites.create_site("demo", "Demo News", ["https://news.example"])
    response = client.get(
        "/api/v1/sites/demo/consent-config?lang=tr-TR",
        headers={"Origin": "https://news.example"},
    )
    assert response.status_code == 200
    config = response.json
    assert config["language"] == "tr"
    assert config["text"]["title"] == "Bu sitede çerezler"
    assert config["text"]["accept_all"] == "Tümünü kabul et"
    assert config["text"]["reject_all"] == "Tümünü reddet"
