"""Reader-facing names for stored codes, declared next to the enum they name.

    class BanKind(LabelledEnum):
        BAN = "ban"
        SUSPENSION = "suspension"

    name_members(BanKind, {BanKind.BAN: _l("banned"), BanKind.SUSPENSION: _l("suspended")})

Then `BanKind.BAN.label`, or `BanKind.label_of(code)` for a code read from the
database or a form (an unknown code is shown as it is).
"""

from __future__ import annotations

import enum
from collections.abc import Mapping

_NAMES: dict[type[LabelledEnum], dict[LabelledEnum, object]] = {}


class LabelledEnum(enum.StrEnum):
    """A StrEnum whose members have a translated name (see name_members)."""

    @property
    def label(self) -> str:
        return str(_NAMES[type(self)][self])

    @classmethod
    def label_of(cls, code: str) -> str:
        try:
            return cls(code).label
        except ValueError:
            return code


def name_members(kind: type[LabelledEnum], names: Mapping[LabelledEnum, object]) -> None:
    """Give every member of kind its name (a lazy gettext string).

    :raises ValueError: a member without a name (caught at import, not on a page).
    """
    missing = set(kind) - set(names)
    if missing:
        raise ValueError(f"{kind.__name__} members without a name: {sorted(missing)}")
    _NAMES[kind] = dict(names)
