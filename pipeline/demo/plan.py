"""Which returns come out messy, and how: a fixed plan, so every trait appears whatever the seed.

Keys are (year, return code, unit code); values map a trait to the variants it should use (empty: its
default). About a quarter of the returns carry traits, several per file where that is natural.
"""

from __future__ import annotations

Plan = dict[str, tuple[str, ...]]

TRAIT_PLAN: dict[tuple[int, str, str], Plan] = {
    (2021, "R1", "C04"): {"numbers_as_text": ("fullwidth_digits",), "dates_as_text": ("cn",), "unit_name_spelling": ()},
    (2021, "R1", "C12"): {"extra_sheet": ("附表",), "merged_title": ()},
    (2021, "R2", "I01"): {"numbers_as_text": ("thousands_sep", "wan_suffix"), "edited_headers": ()},
    (2021, "R2", "I06"): {"wps_export": (), "dates_as_text": ("dot",)},
    (2021, "R3", "P00"): {"formulas_with_cached_values": ("2",), "note_rows": ()},
    (2021, "R1", "C09"): {"moved_columns": (), "hidden_sheet": ()},
    (2022, "R1", "C01"): {"note_rows": (), "edited_headers": (), "unit_name_spelling": ("西安",)},
    (2022, "R1", "C06"): {"wps_export": (), "numbers_as_text": ("wan_suffix",), "dates_as_text": ("slash",)},
    (2022, "R2", "I02"): {"moved_columns": (), "formulas_with_cached_values": ("1",)},
    (2022, "R4", "P00"): {"dates_as_text": ("cn", "dot"), "merged_title": (), "note_rows": ()},
    (2022, "R2", "I08"): {"unit_name_spelling": ("省金融工会",), "extra_sheet": ("草稿",)},
    (2023, "R1", "C05"): {"numbers_as_text": ("fullwidth_digits",), "hidden_sheet": (), "wps_export": ()},
    (2023, "R1", "C07"): {"moved_columns": (), "note_rows": ()},
    (2023, "R2", "I03"): {
        "edited_headers": (),
        "numbers_as_text": ("wan_suffix",),
        "formulas_with_cached_values": ("1",),
    },
    (2023, "R2", "I04"): {"unit_name_spelling": (), "dates_as_text": ("dot",), "estimate_value": ()},
    (2023, "R3", "P00"): {"moved_columns": (), "extra_sheet": ("草稿",)},
    (2024, "R1", "C08"): {"formulas_with_cached_values": ("2",), "merged_title": (), "extra_sheet": ("草稿",)},
    (2024, "R1", "C11"): {"unit_name_spelling": ("杨凌示范区总工会（盖章）",), "wps_export": ()},
    (2024, "R2", "I06"): {
        "numbers_as_text": ("fullwidth_digits", "thousands_sep"),
        "edited_headers": (),
        "hidden_sheet": (),
    },
    (2025, "R4", "P00"): {"moved_columns": (), "edited_headers": ()},
    (2024, "R1", "C02"): {"dates_as_text": ("slash",), "note_rows": ()},
    (2025, "R2", "I02"): {"wps_export": (), "moved_columns": (), "numbers_as_text": ("thousands_sep",)},
    (2025, "R1", "C09"): {"edited_headers": (), "unit_name_spelling": ("安康市总工会（盖章）",), "note_rows": ()},
    (2025, "R3", "P00"): {"dates_as_text": ("cn",), "hidden_sheet": (), "merged_title": ()},
}

# Clean returns also sent as .xls (the .xlsx stays clean and is the .xls file's clean twin).
XLS_COPIES: tuple[tuple[int, str, str], ...] = ((2022, "R2", "I05"), (2025, "R1", "C04"))
