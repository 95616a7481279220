"""Charts as PNG and SVG (exports/images.py): sizes, Chinese text kept as text in the SC face, the figures and
statuses of the query and the status engine, the footer (source, data date, version, demo label) below the axis
titles, the placeholder for a year without data, and the zip of a year's charts with its README."""

import io
import re
import struct
import zipfile

import plotly.graph_objects as go
import pytest

from dashboard.figures import BY_KEY, FIGURES
from dashboard.theme import FONT_FAMILY
from exports import images
from pipeline.warehouse import open_reader
from queries.board import StatusBook, unit_statuses
from queries.warehouse import warehouse_summary

YEAR = 2025  # the demo's last year; its special-inspection round is 2024's (one every two years)
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def con(demo_warehouse):
    connection = open_reader(demo_warehouse)
    yield connection
    connection.close()


@pytest.fixture(scope="module")
def book(con):
    return StatusBook.from_warehouse(con)


@pytest.fixture(scope="module", autouse=True)
def browser():
    """One browser for the whole module, as a batch export keeps one."""
    with images.browser_session():
        yield


def svg_of(figure, con, book, year=YEAR, *, demo=True) -> str:
    return images.figure_image(figure, con, book, year, fmt="svg", demo=demo).decode("utf-8")


def texts(svg: str, css_class: str) -> list[str]:
    """The text of every <text class=…> element, its wrapped lines (tspans) joined."""
    found = re.findall(rf'<text class="{css_class}"[^>]*>(.*?)</text>', svg)
    return [re.sub(r"<[^>]+>", "", item) for item in found]


def tick_texts(svg: str, axis: str) -> list[str]:
    found = re.findall(rf'<g class="{axis}tick"><text[^>]*>(.*?)</text>', svg)
    return [re.sub(r"<[^>]+>", "", item) for item in found]


def png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == PNG_SIGNATURE
    assert data[12:16] == b"IHDR"
    return struct.unpack(">II", data[16:24])


def footer_box(svg: str) -> tuple[float, float]:
    """Top and bottom (pixels from the image's top) of the footer annotation."""
    group = re.search(r'<g class="cursor-pointer" transform="translate\([\d.]+,([\d.]+)\)"><rect class="bg"[^>]*'
                      r'height="([\d.]+)"[^>]*/><text class="annotation-text"[^>]*>(?:(?!</text>).)*数据来源', svg)  # fmt: skip
    assert group, "no footer annotation"
    top = float(group.group(1))
    return top, top + float(group.group(2))


def test_png_has_the_signature_and_the_size_asked_for(con, book):
    figure = BY_KEY["m3_coverage_by_city"]
    width, height = images.image_size(figure)
    assert (width, height) == (images.WIDTH, figure.height + images.SUBTITLE_ROOM + images.FOOTER_ROOM)
    assert png_size(images.figure_image(figure, con, book, YEAR, demo=True)) == (2 * width, 2 * height)
    assert png_size(images.figure_image(figure, con, book, YEAR, demo=True, scale=1)) == (width, height)


def test_svg_keeps_the_chinese_title_subtitle_and_font_as_text(con, book):
    figure = BY_KEY["m5_dues_by_union"]
    svg = svg_of(figure, con, book)
    assert re.search(r'<svg [^>]*width="1000" height="528"', svg)
    (title,) = texts(svg, "gtitle")
    assert title == f"{YEAR}年省级产业工会会费收缴率（第5条）"
    assert figure.title in title and figure.measures_text in title
    (subtitle,) = texts(svg, "gtitle-subtitle")
    assert subtitle == f"第5条　{book.catalog.measure(5).short_name} · {YEAR}年度"
    families = set(re.findall(r"font-family: ([^;]+);", svg))
    assert families == {"'Noto Sans CJK SC', 'Microsoft YaHei', 'PingFang SC', sans-serif"}
    assert FONT_FAMILY.startswith("Noto Sans CJK SC")


def test_svg_draws_the_units_of_the_query_in_the_statuses_of_the_engine(con, book):
    figure = BY_KEY["m5_dues_by_union"]
    shown = images.figure_frame(figure, con, book, YEAR)
    frame = figure.series(con, years=[YEAR])
    svg = svg_of(figure, con, book)
    engine = unit_statuses(book, 5, YEAR)
    # Every unit the engine judges, the one that sent nothing (省海员建设工会) too, marked 未报送 in place.
    judged = sorted(book.registry.get(code).short_name for code in engine)
    assert sorted(tick_texts(svg, "x")) == judged and len(judged) == len(frame) + 1
    assert "省海员建设工会" not in set(frame["unit_name"]) and any(
        t.startswith("未报送") for t in texts(svg, "bartext bartext-outside")
    )
    assert list(shown.frame["status"]) == [engine[code] for code in shown.frame["unit_code"]]
    # Legend entries (one per status drawn) are exactly the engine's verdicts on the units shown.
    assert set(texts(svg, "legendtext")) == set(engine.values())


def test_footer_names_source_date_version_and_demo_label(con, book):
    summary = warehouse_summary(con)
    date = summary.latest_accepted_at
    svg = svg_of(BY_KEY["m16_training_by_union"], con, book)
    assert (
        f"【演示数据】数据来源：各市（区）总工会、省级产业工会年度报表 · 数据截至 {date.year}年{date.month}月{date.day}日"
        in svg
    )
    assert summary.version_text in svg and summary.version_text.startswith("数据版本：截至第")
    real = svg_of(BY_KEY["m16_training_by_union"], con, book, demo=False)
    assert "演示数据" not in real and "数据来源：各市（区）总工会" in real


def test_given_date_and_version_are_used(con, book):
    svg = images.figure_image(
        BY_KEY["m17_promotion_parity_by_union"], con, book, YEAR, fmt="svg", demo=False,
        data_date="2026年2月1日", version="数据版本：会议版“年中推进会”",
    ).decode()  # fmt: skip
    assert "数据截至 2026年2月1日" in svg and "数据版本：会议版“年中推进会”" in svg


def test_year_without_data_gives_the_placeholder(con, book):
    figure = BY_KEY["m5_dues_by_union"]
    svg = svg_of(figure, con, book, 2019)
    assert texts(svg, "gtitle") == ["会费收缴率（第5条）"]
    assert "2019年度暂无第5条（会费收缴率）的数据" in svg
    assert not tick_texts(svg, "x") and "数据来源" in svg
    inspections = svg_of(BY_KEY["m9_scores_by_unit"], con, book, 2019)
    assert "截至2019年度尚未开展第9条专项督查，暂无督查结果" in inspections
    width, height = images.image_size(figure)
    assert png_size(images.figure_image(figure, con, book, 2019, demo=True)) == (2 * width, 2 * height)


def test_a_year_without_a_round_shows_the_latest_round(con, book):
    svg = svg_of(BY_KEY["m9_scores_by_unit"], con, book)
    assert texts(svg, "gtitle") == ["2024年专项督查各单位分项得分（第9条）"]
    assert "2025年度未开展专项督查（每2年一轮），此为最近一轮：2024年" in texts(svg, "gtitle-subtitle")[0]


@pytest.fixture(scope="module")
def year_zip(con, book) -> zipfile.ZipFile:
    calls = []
    data = images.year_charts_zip(con, book, YEAR, demo=True, progress=lambda *a: calls.append(a))
    assert [c[:2] for c in calls] == [(n, len(FIGURES)) for n in range(1, len(FIGURES) + 1)]
    return zipfile.ZipFile(io.BytesIO(data))


def test_zip_holds_png_and_svg_of_every_figure_and_a_readme(year_zip):
    stems = [figure.file_stem(YEAR) for figure in FIGURES]
    expected = {f"{stem}.{suffix}" for stem in stems for suffix in ("png", "svg")} | {images.README_NAME}
    assert set(year_zip.namelist()) == expected and len(year_zip.namelist()) == 2 * len(FIGURES) + 1
    assert "第3条_专题会议覆盖率_2025年度.png" in expected
    for figure in FIGURES:
        width, height = images.image_size(figure)
        assert png_size(year_zip.read(f"{figure.file_stem(YEAR)}.png")) == (2 * width, 2 * height)
        svg = year_zip.read(f"{figure.file_stem(YEAR)}.svg").decode("utf-8")
        assert figure.measures_text in texts(svg, "gtitle")[0]
        assert "【演示数据】" in svg


def test_readme_lists_each_file_with_its_measure_and_title(year_zip, con):
    readme = year_zip.read(images.README_NAME).decode("utf-8-sig")
    lines = readme.split("\r\n")
    assert lines[0].startswith("【演示数据】")
    assert f"{YEAR}年度全部图表" in readme and warehouse_summary(con).version_text in readme
    for figure in FIGURES:
        for suffix in ("png", "svg"):
            assert f"{figure.file_stem(YEAR)}.{suffix}　{figure.measures_text}　{figure.title}" in lines


def test_footer_sits_below_the_axis_titles_and_inside_the_image(year_zip):
    for figure in FIGURES:
        svg = year_zip.read(f"{figure.file_stem(YEAR)}.svg").decode("utf-8")
        top, bottom = footer_box(svg)
        _, height = images.image_size(figure)
        assert bottom <= height, figure.key
        # Every x axis: a small-multiples figure (第6条) has one per panel (x2, x3 …).
        lowest = [float(y) for y in re.findall(r'<text class="x\d*title"[^>]*? y="([\d.]+)"', svg)]
        lowest += [float(y) for y in re.findall(r'<g class="x\d*tick"><text[^>]*? y="([\d.]+)"', svg)]
        assert lowest and max(lowest) + 4 < top, figure.key  # a baseline, plus the descent of the glyphs


def test_an_inner_session_leaves_the_kept_browser_running(con, book):
    assert images._browser_kept  # the module's session started it
    with images.browser_session():
        assert images._browser_kept
    assert images._browser_kept  # only the outermost session stops it
    svg = svg_of(BY_KEY["m3_coverage_by_city"], con, book)
    assert "专题会议覆盖率" in texts(svg, "gtitle")[0]


def test_an_unknown_format_is_refused():
    with pytest.raises(ValueError, match="fmt"):
        images.render(go.Figure(), "jpg", width=100, height=100)
