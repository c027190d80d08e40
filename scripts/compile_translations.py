"""Compile every translations/<lang>/LC_MESSAGES/*.po into the .mo file Flask-Babel reads.

Run with ``.venv/bin/python scripts/compile_translations.py``. It uses babel's Python
API, so it works without pybabel on PATH. The .mo files are build output (git-ignored):
run this after a checkout, after editing a .po file, and before building a release.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

TRANSLATIONS = Path(__file__).resolve().parent.parent / "translations"


class CatalogError(Exception):
    """A .po file has translations that would break at run time (e.g. a wrong placeholder)."""


def compile_translations(directory: Path = TRANSLATIONS) -> list[Path]:
    """Write a .mo next to each .po under directory; returns the .mo paths.

    Fuzzy entries are left out, as ``pybabel compile`` does, so readers see the
    English text rather than a guess.

    :raises CatalogError: a catalog fails babel's checks; nothing of it is written.
    """
    written = []
    for po_path in sorted(directory.glob("*/LC_MESSAGES/*.po")):
        locale = po_path.parent.parent.name
        with po_path.open("rb") as f:
            catalog = read_po(f, locale=locale)
        problems = [
            f"{po_path}:{message.lineno}: {error}"
            for message, errors in catalog.check()
            for error in errors
        ]
        if problems:
            raise CatalogError("\n".join(problems))
        mo_path = po_path.with_suffix(".mo")
        # Write then rename, so a running app or a parallel test never reads half a file.
        tmp_path = mo_path.with_name(f"{mo_path.name}.{os.getpid()}.tmp")
        try:
            with tmp_path.open("wb") as out:
                write_mo(out, catalog)
            tmp_path.replace(mo_path)
        finally:
            tmp_path.unlink(missing_ok=True)
        written.append(mo_path)
    return written


def main() -> int:
    try:
        written = compile_translations()
    except CatalogError as exc:
        print(exc, file=sys.stderr)
        return 1
    for path in written:
        print(f"compiled {path.relative_to(TRANSLATIONS.parent)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
