"""The filing side of the story: who filed when, which returns are late or missing, and the one resubmission."""

from __future__ import annotations

from datetime import date

from pipeline.demo.model import ReturnStory
from pipeline.demo.people import Contacts, filled_on

MISSING = (("C10", "R1", 2025), ("I07", "R2", 2025))
LATE = {("C02", "R1", 2024): date(2025, 2, 20), ("I05", "R2", 2023): date(2024, 2, 6)}
# 2023 宝鸡 R1 first version: 重点工作经费 typed with an extra digit, corrected in version 2.
RESUBMITTED = ("C03", "R1", 2023)
RESUBMISSION_ERROR = ("m6_budget_key_work", 10)
FIRST_VERSION_FILED = date(2024, 1, 12)
SECOND_VERSION_FILED = date(2024, 1, 19)


def add_headers(seed: int, stories: list[ReturnStory]) -> None:
    """Submitter, phone and filing date of every return; late ones get their fixed dates."""
    contacts = Contacts(seed)
    for story in stories:
        story.submitter, story.phone = contacts.contact(story.unit_code, story.year)
        key = (story.unit_code, story.return_code, story.year)
        story.filled_on = LATE.get(key) or filled_on(seed, *key)
        if key == RESUBMITTED:
            story.filled_on = SECOND_VERSION_FILED


def first_version(story: ReturnStory) -> ReturnStory:
    """The superseded first version of the resubmitted return: one figure typed ten times too high."""
    code, factor = RESUBMISSION_ERROR
    first = ReturnStory(
        story.unit_code,
        story.unit_name,
        story.return_code,
        story.year,
        values=dict(story.values),
        remarks=dict(story.remarks),
        records={k: [dict(r) for r in rows] for k, rows in story.records.items()},
        submitter=story.submitter,
        phone=story.phone,
        filled_on=FIRST_VERSION_FILED,
    )
    first.values[code] = round(story.values[code] * factor, 1)
    return first
