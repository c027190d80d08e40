"""Stored codes get their reader-facing names from the enum that declares them."""

from __future__ import annotations

import pytest

from commentsvc.comments.models import CommentStatus, ReportReason
from commentsvc.core.labels import LabelledEnum, name_members
from commentsvc.moderation.models import AuditAction, BanKind, HoldReason


def test_every_member_of_every_labelled_enum_has_a_name(app):
    with app.test_request_context(headers={"Accept-Language": "ru"}):
        for kind in (CommentStatus, ReportReason, HoldReason, BanKind, AuditAction):
            for member in kind:
                assert member.label
                assert member.label != member.value, member
        assert CommentStatus.APPROVED.label == "опубликован"


def test_a_code_no_longer_known_is_shown_as_stored(app):
    with app.test_request_context():
        assert HoldReason.label_of("links") == "Many links"
        assert HoldReason.label_of("retired_reason") == "retired_reason"


def test_an_enum_missing_a_name_is_refused_at_import():
    class Colour(LabelledEnum):
        RED = "red"
        BLUE = "blue"

    with pytest.raises(ValueError, match="BLUE"):
        name_members(Colour, {Colour.RED: "red"})
