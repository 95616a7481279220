"""Text typed by submitters, made safe to write into a spreadsheet or CSV that someone else will open.

A contact name such as `=HYPERLINK("http://…","点击")` becomes a live formula when written into a cell as is, and
text starting with +, -, @, a tab or a carriage return is read as a formula by Excel when it opens a CSV (OWASP:
CSV injection). Such text is written with a leading apostrophe, which makes Excel and WPS show it as text; the
characters the submitter typed are all still there.
"""

from __future__ import annotations

import re

# What an .xlsx cell cannot hold (openpyxl refuses the whole workbook over one of them): C0 controls but tab,
# newline and carriage return. Values loaded before control characters were stripped at normalisation may have them.
_UNWRITABLE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


def neutralise_formula(value: object) -> object:
    """Text that a spreadsheet would take for a formula, prefixed with an apostrophe, and without characters a
    cell cannot hold; anything that is not text unchanged."""
    if not isinstance(value, str):
        return value
    value = _UNWRITABLE.sub("", value)
    return "'" + value if value.startswith(FORMULA_TRIGGERS) else value
