"""Forms on the moderation pages. Every field a moderator cannot change (site, author,
status) comes from the database, never from the form."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import (
    BooleanField,
    DateTimeLocalField,
    Field,
    HiddenField,
    IntegerField,
    SelectChoice,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import InputRequired, Length, NumberRange, Optional

from commentsvc.comments.models import CommentStatus, ModerationPolicy
from commentsvc.core.forms import BaseForm
from commentsvc.moderation import rules
from commentsvc.moderation.decisions import REASON_MAX

# Reasons a moderator can pick instead of writing one; the author reads the text.
REJECTION_TEMPLATES = {
    "off_topic": _l("Off-topic: it does not discuss the article."),
    "abuse": _l("Personal attacks or abusive language."),
    "hate": _l("Hate speech or discrimination."),
    "spam": _l("Advertising or spam."),
    "privacy": _l("It shares someone's personal information."),
    "claims": _l("Unsupported accusations or false claims."),
}


def template_choices() -> list[SelectChoice]:
    return [
        SelectChoice("", _l("No reason given")),
        *(SelectChoice(k, v) for k, v in REJECTION_TEMPLATES.items()),
    ]


def reason_text(template: str | None, free_text: str | None) -> str:
    """The reason the author is told: the picked template and/or the moderator's words."""
    parts = [str(REJECTION_TEMPLATES[template])] if template in REJECTION_TEMPLATES else []
    if free_text and free_text.strip():
        parts.append(free_text.strip())
    return " ".join(parts)


class DecisionForm(BaseForm):
    action = SelectField(
        choices=[SelectChoice(v) for v in ("approve", "reject", "spam", "delete")],
        validators=[InputRequired()],
    )
    # The status the moderator saw; a stale one means someone else was first.
    expected = SelectField(
        choices=[
            SelectChoice(CommentStatus.PENDING.value),
            SelectChoice(CommentStatus.APPROVED.value),
        ],
        default=CommentStatus.PENDING.value,
    )
    reason_template = SelectField(_l("Reason"), choices=template_choices(), default="")
    reason = StringField(_l("Or write a reason"), validators=[Length(max=REASON_MAX)])
    next = HiddenField()


class BulkForm(BaseForm):
    action = SelectField(
        _l("With the selected comments"),
        choices=[
            SelectChoice("approve", _l("Approve")),
            SelectChoice("reject", _l("Reject")),
            SelectChoice("spam", _l("Mark as spam")),
        ],
        validators=[InputRequired()],
    )
    reason_template = SelectField(
        _l("Reason for rejecting"), choices=template_choices(), default=""
    )
    reason = StringField(_l("Or write a reason"), validators=[Length(max=REASON_MAX)])
    next = HiddenField()


class AuthorForm(BaseForm):
    """Approve an author's pending comments, or ban them and reject the pending ones."""

    reason = StringField(_l("Reason"), validators=[Length(max=500)])
    all_sites = BooleanField(_l("Ban from every site"))
    next = HiddenField()


class ActionForm(BaseForm):
    """A button with nothing but the CSRF token (undo, pin, lock, dismiss)."""

    next = HiddenField()


class BanForm(BaseForm):
    site = SelectField(_l("Where"), choices=[])
    until = DateTimeLocalField(
        _l("Suspend until (UTC)"),
        format="%Y-%m-%dT%H:%M",
        validators=[Optional()],
        description=_l("Leave empty to ban without an end date."),
    )
    reason = StringField(_l("Reason (the reader sees it)"), validators=[Length(max=500)])


class ScopeForm(BaseForm):
    """Unban or change trust on one site (or every site, for unbanning by admins)."""

    site = SelectField(choices=[])


class WordListsForm(BaseForm):
    suspicious_words = TextAreaField(
        _l("Suspicious words (hold the comment)"),
        validators=[Length(max=60_000)],
        description=_l(
            "One word or phrase per line, at most %(words)d words and %(chars)d characters "
            "each, %(n)d in all. Matches whole words, ignoring case, accents, invisible "
            "characters and look-alike letters.",
            words=rules.PHRASE_WORDS_MAX,
            chars=rules.WORD_MAX,
            n=rules.WORDS_MAX,
        ),
    )
    banned_words = TextAreaField(
        _l("Banned words (refuse the comment)"),
        validators=[Length(max=60_000)],
        description=_l("The reader is told which words were refused and may rephrase."),
    )

    # Every problem of both lists at once, next to its list; what was typed stays.
    def validate_suspicious_words(self, field: Field) -> None:
        field.errors.extend(rules.check_word_list(field.data or "")[1])

    def validate_banned_words(self, field: Field) -> None:
        field.errors.extend(rules.check_word_list(field.data or "")[1])


class HoldRulesForm(BaseForm):
    policy = SelectField(
        _l("Hold for moderation"),
        choices=[
            SelectChoice(ModerationPolicy.HOLD_ALL.value, _l("Every comment")),
            SelectChoice(
                ModerationPolicy.HOLD_FIRST_N.value, _l("The first comments of each reader")
            ),
            SelectChoice(ModerationPolicy.HOLD_NONE.value, _l("No comment (publish at once)")),
        ],
    )
    hold_first_n = IntegerField(
        _l("How many first comments to hold"),
        validators=[InputRequired(), NumberRange(min=1, max=100)],
        description=_l("A reader's comments are held until this many were approved."),
    )
    max_links = IntegerField(
        _l("Hold comments with more links than"),
        validators=[InputRequired(), NumberRange(min=0, max=100)],
    )
    report_threshold = IntegerField(
        _l("Send back to the queue after this many reports"),
        validators=[InputRequired(), NumberRange(min=1, max=100)],
    )
    trust_after = IntegerField(
        _l("Trust readers after this many approved comments"),
        validators=[InputRequired(), NumberRange(min=0, max=1000)],
        description=_l("Trusted readers skip the holds, but not the banned words. 0: never."),
    )
    close_after_days = IntegerField(
        _l("Close threads this many days after their first comment"),
        validators=[Optional(), NumberRange(min=1, max=3650)],
        description=_l("Leave empty to keep threads open."),
    )


class AddModeratorForm(BaseForm):
    email = StringField(
        _l("E-mail address of the new moderator"),
        validators=[InputRequired(), Length(max=254)],
        render_kw={"autocomplete": "off"},
    )
