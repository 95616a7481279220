"""`python -m pipeline export …`: each kind writes its file, named by year, data version and demo label, and the
file opens with its library with the content the exports' own tests check in depth."""

from __future__ import annotations

import io
import zipfile

import docx
import pptx
import pytest

from pipeline.__main__ import main


def _run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


@pytest.mark.parametrize(
    ("kind", "extra", "name"),
    [
        ("deck", (), "演示数据_2024年度汇报稿.pptx"),
        ("brief", (), "演示数据_2024年度情况通报.docx"),
        ("brief", ("--unit", "汉中"), "演示数据_2024年度汉中市单位情况通报.docx"),
        ("letters", ("--year", "2025"), "演示数据_2025年度催报函.docx"),
        ("letters", ("--year", "2025", "--zip"), "演示数据_2025年度催报函.zip"),
        ("data", (), "演示数据_2024年度十八条落实数据.xlsx"),
    ],
)
def test_each_export_kind_writes_its_file(capsys, tmp_path, demo_warehouse, kind, extra, name):
    year = () if "--year" in extra else ("--year", "2024")
    code, out, err = _run(
        capsys, "--warehouse", str(demo_warehouse), "export", kind, *year, *extra, "--out", str(tmp_path)
    )
    assert code == 0, err
    written = sorted(p.name for p in tmp_path.iterdir())
    assert written == [name] and f"已生成：{tmp_path / name}（实时数据）" in out
    data = (tmp_path / written[0]).read_bytes()
    if kind == "deck":
        titles = [s.shapes.title.text if s.shapes.title else "" for s in pptx.Presentation(io.BytesIO(data)).slides]
        assert len(titles) >= 8
    elif kind == "brief":
        text = "\n".join(p.text for p in docx.Document(io.BytesIO(data)).paragraphs)
        assert "一、" in text and "【演示数据】" in "".join(
            p.text for s in docx.Document(io.BytesIO(data)).sections for p in s.header.paragraphs
        )
    elif kind == "letters" and "--zip" in extra:
        assert len(zipfile.ZipFile(io.BytesIO(data)).namelist()) == 2  # 商洛 and 海员建设 owe 2025 returns
    elif kind == "letters":
        assert len(docx.Document(io.BytesIO(data)).sections) == 2  # a section per letter
    else:
        assert data[:2] == b"PK"


def test_export_charts_zips_every_figure(capsys, tmp_path, demo_warehouse):
    code, out, err = _run(
        capsys, "--warehouse", str(demo_warehouse), "export", "charts", "--year", "2024", "--out", str(tmp_path)
    )
    assert code == 0, err
    (path,) = tmp_path.iterdir()
    assert path.name == "演示数据_2024年度图表.zip"
    from dashboard.figures import FIGURES

    names = zipfile.ZipFile(path).namelist()
    assert len(names) == 2 * len(FIGURES) + 1 and "README.txt" in names


def test_export_refuses_a_year_without_data_and_an_unknown_unit(capsys, demo_warehouse, tmp_path):
    code, _, err = _run(
        capsys, "--warehouse", str(demo_warehouse), "export", "deck", "--year", "2019", "--out", str(tmp_path)
    )
    assert code == 2 and "2019 年度没有数据；可选年度：2021、2022、2023、2024、2025" in err
    code, _, err = _run(
        capsys, "--warehouse", str(demo_warehouse), "export", "brief", "--unit", "火星市", "--out", str(tmp_path)
    )
    assert code == 2 and err.strip()
    assert not any(tmp_path.iterdir())


def test_a_meeting_versions_brief_is_the_same_document_after_new_returns(
    capsys, monkeypatch, tmp_path, demo_warehouse_copy
):
    from datetime import date

    from tests.test_tracker_queries import r1_bytes

    monkeypatch.setenv("SHIBATIAO_MEETINGS", str(tmp_path / "meetings"))
    base = ("--warehouse", str(demo_warehouse_copy))
    assert _run(capsys, *base, "meeting", "freeze", "推进会", "--year", "2025")[0] == 0
    first = tmp_path / "first"
    assert _run(capsys, *base, "export", "brief", "--meeting", "推进会", "--out", str(first))[0] == 0
    late = tmp_path / "商洛_2025_R1.xlsx"
    late.write_bytes(r1_bytes("C10"))  # 商洛 files its missing 2025 return after the meeting
    assert _run(capsys, *base, "ingest", str(late), "--raw-dir", str(tmp_path / "raw"))[0] == 0
    again = tmp_path / "again"
    assert _run(capsys, *base, "export", "brief", "--meeting", "推进会", "--out", str(again))[0] == 0
    (a,), (b,) = list(first.iterdir()), list(again.iterdir())

    def text(path):
        return [p.text for p in docx.Document(path).paragraphs]

    assert text(a) == text(b)
    assert f"（{date.today().year}年{date.today().month}月{date.today().day}日）" in text(a)  # frozen today
    live = tmp_path / "live"
    assert _run(capsys, *base, "export", "brief", "--year", "2025", "--out", str(live))[0] == 0
    assert text(next(live.iterdir())) != text(a)  # the live data has moved on: 商洛 reported
