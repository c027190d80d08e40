"""Regenerate commentsvc/data/common-passwords.txt from zxcvbn's password frequency list.

Run with the dev extras installed: ``python scripts/build_common_passwords.py``.
The list is data (passwords seen most often in public breach corpora), ranked most
common first; commentsvc refuses any password on it, compared case-insensitively.
"""

from importlib.metadata import version
from pathlib import Path

from zxcvbn.frequency_lists import FREQUENCY_LISTS

TARGET = Path(__file__).resolve().parent.parent / "commentsvc" / "data" / "common-passwords.txt"


def main() -> None:
    seen: dict[str, None] = {}
    for word in FREQUENCY_LISTS["passwords"]:
        seen.setdefault(word.strip().casefold(), None)
    words = [w for w in seen if w]
    header = (
        "# Common passwords, most frequent first, one a line, lower-case.\n"
        f"# Taken from the 'passwords' frequency list of zxcvbn {version('zxcvbn')} (MIT licence,\n"
        "# Copyright (c) 2012-2016 Dan Wheeler and Dropbox, Inc.).\n"
        "# Regenerate with scripts/build_common_passwords.py.\n"
    )
    TARGET.write_text(header + "\n".join(words) + "\n", encoding="utf-8")
    print(f"wrote {len(words)} passwords to {TARGET}")


if __name__ == "__main__":
    main()
