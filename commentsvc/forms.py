"""The base form every HTML form derives from."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm


class BaseForm(FlaskForm):
    """A FlaskForm (with CSRF) that refuses NUL bytes and undecodable input in any field.

    Werkzeug decodes invalid UTF-8 as U+FFFD; such a field gets a clear error
    instead of being stored mangled.
    """

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
