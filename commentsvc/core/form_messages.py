"""WTForms' own validation messages, listed so they are extracted into our catalogue.

WTForms ships Russian but no Azerbaijani; forms.BaseForm looks messages up in our
catalogue first and falls back to WTForms' own translations.
"""

from flask_babel import lazy_gettext as _l
from flask_babel import lazy_ngettext as _n

WTFORMS_MESSAGES = (
    _l("This field is required."),
    _l("Field must be between %(min)d and %(max)d characters long."),
    _n(
        "Field must be at least %(min)d character long.",
        "Field must be at least %(min)d characters long.",
        1,
    ),
    _n(
        "Field cannot be longer than %(max)d character.",
        "Field cannot be longer than %(max)d characters.",
        1,
    ),
    _l("Number must be between %(min)s and %(max)s."),
    _l("Not a valid integer value."),
    _l("Not a valid choice."),
    _l("Invalid value, must be one of: %(values)s."),
)
