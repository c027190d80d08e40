"""Forms of the site's staff about thread identity: signing snippets, correcting a title."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, StringField
from wtforms.validators import Length

from commentsvc.core.forms import BaseForm


class ThreadSigningForm(BaseForm):
    # The button pressed: "secret" makes a new secret, "require" saves the switch.
    action = StringField()
    require_signed_threads = BooleanField(
        _l("Create threads and set their titles only from signed snippets"),
        description=_l(
            "Unsigned snippets then show existing threads only. Turn this on once every "
            "article template signs its snippet."
        ),
    )


class ThreadIdentityForm(BaseForm):
    # The length and origin rules live in comments.threads, which names the field.
    title = StringField(_l("Title"), validators=[Length(max=1000)])
    url = StringField(_l("Article URL"), validators=[Length(max=4000)])
