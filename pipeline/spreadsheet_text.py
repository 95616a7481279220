"""Text typed by submitters, made safe to write into a spreadsheet or CSV that someone else will open.

A contact name such as `=HYPERLINK("http://…","点击")` becomes a live formula when written into a cell as is, and
text starting with +, -, @, a tab or a carriage return is read as a formula by Excel when it opens a CSV (OWASP:
CSV injection). Such text is written with a leading apostrophe, which makes Excel and WPS show it as text; the
characters the submitter typed are all still there.
"""

from __future__ import annotations

FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


def neutralise_formula(value: object) -> object:
    """Text that a spreadsheet would take for a formula, prefixed with an apostrophe; anything else unchanged."""
    if isinstance(value, str) and value.startswith(FORMULA_TRIGGERS):
        return "'" + value
    return value
