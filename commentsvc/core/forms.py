"""The base form every HTML form derives from."""

from __future__ import annotations

from typing import Any

from flask_babel import get_translations
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.i18n import translations as wtforms_translations


class _Translations:
    """WTForms messages from our catalogue first, then from WTForms' own."""

    def gettext(self, string: str) -> str:
        ours = str(get_translations().ugettext(string))
        return ours if ours != string else str(wtforms_translations.gettext(string))

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        ours = str(get_translations().ungettext(singular, plural, n))
        if ours not in (singular, plural):
            return ours
        return str(wtforms_translations.ngettext(singular, plural, n))


_TRANSLATIONS = _Translations()


class BaseForm(FlaskForm):
    """A FlaskForm (with CSRF) that refuses NUL bytes and undecodable input in any field.

    Werkzeug decodes invalid UTF-8 as U+FFFD; such a field gets a clear error
    instead of being stored mangled.
    """

    class Meta:
        def get_translations(self, form: Any) -> _Translations:
            return _TRANSLATIONS

    def validate(self, extra_validators: Any = None) -> bool:
        ok: bool = super().validate(extra_validators)
        for field in self:
            data = field.data
            if isinstance(data, str) and ("\x00" in data or "\ufffd" in data):
                field.errors = [
                    *field.errors,
                    _l("This field contains characters that cannot be used."),
                ]
                ok = False
        return ok
