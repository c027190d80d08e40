"""Forms of the consent pages: accepting policy versions; the admins' banner settings,
records filter and policy editor."""

from __future__ import annotations

from functools import cache
from typing import Any, cast

from flask_babel import lazy_gettext as _l
from wtforms import (
    BooleanField,
    DateField,
    HiddenField,
    IntegerField,
    SelectChoice,
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from commentsvc.consent import banner_settings
from commentsvc.consent.models import ConsentAction, ConsentCategory
from commentsvc.consent.policies import SOURCE_MAX, SUMMARY_MAX
from commentsvc.consent.texts import DEFAULTS, FALLBACK_LANGUAGE
from commentsvc.core.forms import BaseForm
from commentsvc.core.languages import LANGUAGE_NAMES


class AcceptForm(BaseForm):
    # The versions the reader was shown ("terms:0:3,privacy:0:2"): accepting records
    # exactly those, and a version published meanwhile is shown first.
    shown = HiddenField(validators=[Length(max=200)])


CATEGORY_NAMES = {
    ConsentCategory.NECESSARY: _l("Strictly necessary"),
    ConsentCategory.PREFERENCES: _l("Preferences"),
    ConsentCategory.ANALYTICS: _l("Analytics"),
    ConsentCategory.MARKETING: _l("Marketing"),
}


class PolicyForm(BaseForm):
    source = TextAreaField(
        _l("Text (Markdown)"),
        validators=[DataRequired(), Length(max=SOURCE_MAX)],
        description=_l("Headings (#), lists, links and tables. Raw HTML is shown as text."),
        render_kw={"rows": 24},
    )
    summary = StringField(
        _l("What changed"),
        validators=[DataRequired(), Length(max=SUMMARY_MAX)],
        description=_l("Readers asked to accept the new version see this summary."),
        render_kw={"maxlength": SUMMARY_MAX},
    )
    preview = SubmitField(_l("Preview"))
    publish = SubmitField(_l("Publish new version"))


class _SettingsBase(BaseForm):
    # Fields per category and language are added by settings_form().
    cookie_domain = StringField(
        _l("Cookie domain"),
        validators=[Length(max=253)],
        description=_l(
            "Where the choice cookie is kept, e.g. .news.example to share it across "
            "subdomains. Empty: each page's own host."
        ),
    )
    retention_days = IntegerField(
        _l("Keep consent records for (days)"),
        default=banner_settings.DEFAULT_RETENTION_DAYS,
        validators=[
            NumberRange(min=banner_settings.RETENTION_MIN, max=banner_settings.RETENTION_MAX)
        ],
        description=_l("Older records are deleted by `flask --app commentsvc consent purge`."),
    )
    ask_again = BooleanField(
        _l("Ask every reader again"),
        description=_l(
            "Starts a new revision. Changing the categories or their cookies, or publishing "
            "a privacy or cookie policy, does this by itself."
        ),
    )


def _default(language: str, key: str, category: str | None = None) -> str:
    texts = DEFAULTS.get(language, DEFAULTS[FALLBACK_LANGUAGE])
    value = texts["descriptions"][category] if category else texts[key]
    return str(value)


@cache
def settings_form(languages: tuple[str, ...]) -> type[_SettingsBase]:
    """The settings form class for these languages: one fieldset of texts per language."""
    fields: dict[str, Any] = {}
    for category in banner_settings.OPTIONAL:
        fields[f"use_{category}"] = BooleanField(
            _l("Offer “%(name)s”", name=CATEGORY_NAMES[category])
        )
        fields[f"cookies_{category}"] = TextAreaField(
            _l("Cookies set under “%(name)s”", name=CATEGORY_NAMES[category]),
            validators=[Length(max=5000)],
            description=_l(
                "One name per line (end with * for a prefix, e.g. _ga*). They are deleted "
                "when a reader withdraws consent."
            ),
            render_kw={"rows": 3},
        )
    for language in languages:
        name = LANGUAGE_NAMES.get(language, language)
        fields[f"{language}_title"] = StringField(
            _l("Title (%(language)s)", language=name),
            validators=[Length(max=banner_settings.TITLE_MAX)],
            render_kw={"placeholder": _default(language, "title"), "lang": language},
        )
        fields[f"{language}_body"] = TextAreaField(
            _l("Banner text (%(language)s)", language=name),
            validators=[Length(max=banner_settings.BODY_MAX)],
            render_kw={"placeholder": _default(language, "body"), "lang": language, "rows": 4},
        )
        for category in (ConsentCategory.NECESSARY, *banner_settings.OPTIONAL):
            fields[f"{language}_{category}"] = TextAreaField(
                _l(
                    "Description of “%(name)s” (%(language)s)",
                    name=CATEGORY_NAMES[category],
                    language=name,
                ),
                validators=[Length(max=banner_settings.DESCRIPTION_MAX)],
                render_kw={
                    "placeholder": _default(language, "", category),
                    "lang": language,
                    "rows": 2,
                },
            )
    return cast(type[_SettingsBase], type("ConsentSettingsForm", (_SettingsBase,), fields))


ACTION_CHOICES = [
    SelectChoice("", _l("Any action")),
    SelectChoice(ConsentAction.ACCEPT_ALL.value, _l("Accept all")),
    SelectChoice(ConsentAction.REJECT_ALL.value, _l("Reject all")),
    SelectChoice(ConsentAction.CUSTOM.value, _l("Custom")),
    SelectChoice(ConsentAction.WITHDRAW.value, _l("Withdraw")),
]


class RecordFilterForm(BaseForm):
    """Read from the query string; changes nothing, so it carries no CSRF token."""

    class Meta:
        csrf = False

    site = SelectField(_l("Site"), choices=[], default="")
    action = SelectField(_l("Action"), choices=ACTION_CHOICES, default="")
    since = DateField(_l("From"), validators=[Optional()])
    until = DateField(_l("Until"), validators=[Optional()])
    consent_id = StringField(_l("Consent ID"), validators=[Optional(), Length(max=36)])
