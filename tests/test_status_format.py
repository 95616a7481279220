"""How figures read: one formatter for the screen, slides and briefings (pipeline/status/format.py)."""

from pipeline.status.format import number


def test_a_sum_a_hair_off_whole_reads_as_whole_like_its_parts():
    parts = [214.2, 289.6, 40.5, 183.9, 77.8]  # amounts in 万元 whose float sum is 805.9999999999999
    total = sum(parts)
    assert total != round(total)
    assert number(total, "万元") == "806万元"
    assert number(1243.0, "万元") == "1,243万元"
    assert number(924, "万元") == "924万元"


def test_a_fraction_keeps_one_decimal():
    assert number(1234.5, "万元") == "1,234.5万元"
    assert number(1004.44, "万元") == "1,004.4万元"
    assert number(None) == "—"
    assert number(3.14159, digits=2) == "3.14"
