"""Text in a PowerPoint deck that renders as Simplified Chinese in PowerPoint, WPS and LibreOffice alike.

python-pptx's ``font.name`` writes only ``<a:latin>``: East Asian text then keeps the viewer's default face, which
is a Japanese-shaped or missing glyph in LibreOffice and WPS. Every run, paragraph default and chart text property
written by the deck therefore also gets ``<a:ea typeface=…>`` and ``lang="zh-CN"`` through the XML, here.
微软雅黑 is the face on the federation's Windows PCs; where it is missing, ``lang="zh-CN"`` makes the fallback an SC
face (Noto Sans CJK SC on our machines) rather than the JP one.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from lxml import etree
from pptx.dml.color import RGBColor
from pptx.enum.text import MSO_ANCHOR, PP_ALIGN
from pptx.oxml.ns import qn
from pptx.text.text import TextFrame, _Paragraph
from pptx.util import Pt

from dashboard.theme import STATUS_COLOURS, STATUS_TEXT_COLOURS

EAST_ASIAN_FACE = "微软雅黑"
LATIN_FACE = "Microsoft YaHei"
LANGUAGE = "zh-CN"
TEXT_COLOUR = "212121"
MUTED_COLOUR = "616161"

# Children of a:rPr that must follow a:ea (DrawingML's CT_TextCharacterProperties sequence).
_AFTER_EA = ("a:cs", "a:sym", "a:hlinkClick", "a:hlinkMouseOver", "a:rtl", "a:extLst")
_PROPERTY_TAGS = ("a:rPr", "a:defRPr", "a:endParaRPr")


def east_asian(properties: etree._Element, face: str = EAST_ASIAN_FACE) -> None:
    """Name the East Asian face and the Chinese language on one a:rPr / a:defRPr / a:endParaRPr element."""
    properties.set("lang", LANGUAGE)
    properties.set("altLang", "en-US")
    ea = properties.find(qn("a:ea"))
    if ea is None:
        ea = etree.SubElement(properties, qn("a:ea"))
        following = next((child for tag in _AFTER_EA if (child := properties.find(qn(tag))) is not None), None)
        if following is not None:
            following.addprevious(ea)
    ea.set("typeface", face)


def east_asian_everywhere(root: etree._Element) -> None:
    """Give every run under ``root`` its run properties, and every text property the East Asian face: used on
    chart XML, where python-pptx writes titles, axis labels and legends of its own."""
    for run in root.iter(qn("a:r")):
        if run.find(qn("a:rPr")) is None:
            run.insert(0, etree.Element(qn("a:rPr")))
    for tag in _PROPERTY_TAGS:
        for properties in root.iter(qn(tag)):
            east_asian(properties)


@dataclass(frozen=True)
class Style:
    size: float = 16  # points
    bold: bool = False
    colour: str = TEXT_COLOUR  # hex RGB
    align: PP_ALIGN = PP_ALIGN.LEFT


def style_run(run, style: Style) -> None:
    font = run.font
    font.size = Pt(style.size)
    font.bold = style.bold
    font.name = LATIN_FACE
    font.color.rgb = RGBColor.from_string(style.colour)
    east_asian(run._r.get_or_add_rPr())


def add_run(paragraph: _Paragraph, text: str, style: Style) -> None:
    run = paragraph.add_run()
    run.text = text
    style_run(run, style)


def _finish_paragraph(paragraph: _Paragraph, style: Style) -> None:
    paragraph.alignment = style.align
    # The end-of-paragraph mark sets the height of an empty line and the style of text typed after it.
    end = paragraph._p.get_or_add_endParaRPr()
    end.set("sz", str(int(style.size * 100)))
    east_asian(end)


def write_lines(
    frame: TextFrame,
    lines: Iterable[str | list[tuple[str, Style]]],
    style: Style,
    *,
    anchor: MSO_ANCHOR = MSO_ANCHOR.TOP,
    space_after: float = 0,
) -> None:
    """Replace a text frame's text with one paragraph per line; a line is a string in ``style`` or a list of
    (text, style) runs, e.g. a bold label and its value."""
    frame.word_wrap = True
    frame.vertical_anchor = anchor
    for index, line in enumerate(lines):
        paragraph = frame.paragraphs[0] if index == 0 else frame.add_paragraph()
        paragraph.text = ""
        runs = [(line, style)] if isinstance(line, str) else line
        for text, run_style in runs:
            add_run(paragraph, text, run_style)
        if space_after:
            paragraph.space_after = Pt(space_after)
        _finish_paragraph(paragraph, style)


def add_text_box(slide, left, top, width, height, lines, style: Style, **options) -> None:
    box = slide.shapes.add_textbox(left, top, width, height)
    write_lines(box.text_frame, lines, style, **options)
    return box


def label_line(label: str, value: str, style: Style) -> list[tuple[str, Style]]:
    """**计算过程**：… as two runs, the label bold."""
    return [(f"{label}：", Style(style.size, True, style.colour)), (value, style)]


# --- tables ------------------------------------------------------------------------------------------------------

HEADER_FILL, HEADER_TEXT, STRIPE_FILL = "37474F", "FFFFFF", "F5F5F5"


@dataclass(frozen=True)
class Cell:
    """One table cell: its text, and optionally its own fill and text colour (a status cell)."""

    text: str
    fill: str | None = None  # hex RGB; None = the row's stripe
    colour: str | None = None
    bold: bool = False
    align: PP_ALIGN | None = None


def status_cell(status: str) -> Cell:
    """A status word in its status colour, centred and bold: how every table of the deck shows a status."""
    return Cell(status, fill=STATUS_COLOURS[status].lstrip("#"), colour=STATUS_TEXT_COLOURS[status].lstrip("#"),
                bold=True, align=PP_ALIGN.CENTER)  # fmt: skip


def _fill_cell(cell, colour: str) -> None:
    cell.fill.solid()
    cell.fill.fore_color.rgb = RGBColor.from_string(colour.lstrip("#"))


def add_table(slide, left, top, width, header: list[str], rows: list[list[Cell]], widths: list[float], *,
              size: float = 12, row_height=None):  # fmt: skip
    """A plain table: a dark header row, striped body rows, every cell written through ``write_lines``.
    ``widths`` are relative column widths; ``row_height`` (EMU) fixes the height of each row."""
    height = row_height * (len(rows) + 1) if row_height else Pt(size * 2) * (len(rows) + 1)
    table = slide.shapes.add_table(len(rows) + 1, len(header), left, top, width, height).table
    total = sum(widths)
    for index, share in enumerate(widths):
        table.columns[index].width = int(width * share / total)
    for row in table.rows:
        row.height = int(height / (len(rows) + 1))
    body = [[Cell(text, fill=HEADER_FILL, colour=HEADER_TEXT, bold=True) for text in header], *rows]
    for r, cells in enumerate(body):
        for c, spec in enumerate(cells):
            cell = table.cell(r, c)
            cell.margin_top = cell.margin_bottom = Pt(2)
            cell.margin_left = cell.margin_right = Pt(5)
            _fill_cell(cell, spec.fill or ("FFFFFF" if r % 2 else STRIPE_FILL))
            style = Style(size, spec.bold, spec.colour or TEXT_COLOUR, spec.align or PP_ALIGN.LEFT)
            write_lines(cell.text_frame, [spec.text], style, anchor=MSO_ANCHOR.MIDDLE)
    return table
