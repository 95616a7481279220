"""The 公文 layout of GB/T 9704-2012 for Word documents: page, line and character grid, styles, page numbers.

python-docx has no API for East Asian fonts, the document grid or page-number fields, so those are written
through the XML here, once; exports/brief.py and exports/letters.py only add paragraphs and tables.

Fonts: every style names its East Asian face in ``w:eastAsia`` and carries no theme attributes; otherwise
Word, WPS and LibreOffice show Chinese text in the template's default face (or as boxes). The faces are the
federation's usual ones (仿宋_GB2312, 黑体, 楷体_GB2312, 方正小标宋简体); machines without them substitute, and
``w:lang w:eastAsia="zh-CN"`` makes the substitute a Simplified Chinese face rather than Noto's Japanese one.
"""

from __future__ import annotations

import io
import math
from collections.abc import Sequence
from dataclasses import dataclass

from docx import Document
from docx.document import Document as DocxDocument
from docx.enum.section import WD_SECTION
from docx.enum.style import WD_STYLE_TYPE
from docx.enum.table import WD_CELL_VERTICAL_ALIGNMENT, WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_BREAK
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Mm, Pt
from docx.table import Table
from docx.text.paragraph import Paragraph

from dashboard.theme import STATUS_COLOURS

TWIPS_PER_POINT = 20
POINTS_PER_MM = 72 / 25.4


@dataclass(frozen=True)
class BriefLayout:
    """GB/T 9704-2012 by default; federations vary these, so each is a setting."""

    page_width_mm: float = 210.0  # A4
    page_height_mm: float = 297.0
    top_margin_mm: float = 37.0  # 天头
    binding_margin_mm: float = 28.0  # 订口 (left)
    text_width_mm: float = 156.0  # 版心
    text_height_mm: float = 225.0
    lines_per_page: int = 22
    chars_per_line: int = 28
    title_font: str = "方正小标宋简体"
    title_size_pt: float = 22.0  # 2号
    body_font: str = "仿宋_GB2312"
    body_size_pt: float = 16.0  # 3号
    heading1_font: str = "黑体"
    heading2_font: str = "楷体_GB2312"
    latin_font: str = "Times New Roman"  # digits and Latin letters in running text
    table_size_pt: float = 12.0  # 小四: an 18-row table in 3号 would run over three pages
    page_number_font: str = "宋体"
    page_number_size_pt: float = 14.0  # 4号
    page_number_gap_mm: float = 7.0  # from the foot of the text block down to the page number's 一字线

    @property
    def right_margin_mm(self) -> float:
        return self.page_width_mm - self.binding_margin_mm - self.text_width_mm

    @property
    def bottom_margin_mm(self) -> float:
        return self.page_height_mm - self.top_margin_mm - self.text_height_mm

    @property
    def line_pitch_twips(self) -> int:
        """Rounded down, so that lines_per_page lines still fit in the text block."""
        return math.floor(self.text_height_mm * POINTS_PER_MM * TWIPS_PER_POINT / self.lines_per_page)

    @property
    def char_spacing_twips(self) -> int:
        """The body text's character spacing (w:spacing, 20ths of a point; negative = condensed) that fits
        chars_per_line characters into the text width; rounded down so the last one still fits."""
        pitch_pt = self.text_width_mm * POINTS_PER_MM / self.chars_per_line
        return math.floor((pitch_pt - self.body_size_pt) * TWIPS_PER_POINT)

    @property
    def footer_distance_mm(self) -> float:
        number_line_mm = self.page_number_size_pt * 1.3 / POINTS_PER_MM
        return self.bottom_margin_mm - self.page_number_gap_mm - number_line_mm


# The styles the documents use; every other style of python-docx's template is dropped so that none is left
# with the template's theme fonts.
KEPT_STYLES = ("Normal", "Header", "Footer", "Heading 1", "Heading 2", "Default Paragraph Font", "Normal Table",
               "No List", "Table Grid")  # fmt: skip
TITLE, DATE_LINE, TABLE_TEXT, TABLE_HEAD, PAGE_NUMBER, DEMO_MARK, SIGNATURE = (
    "公文标题", "公文日期", "表格文字", "表头文字", "页码", "演示数据标注", "落款",
)  # fmt: skip
THEME_ATTRIBUTES = ("w:asciiTheme", "w:hAnsiTheme", "w:eastAsiaTheme", "w:cstheme")


def set_fonts(rpr, latin: str, east_asian: str) -> None:
    """Name both faces on a run or style's rPr and drop the theme attributes that would override them."""
    fonts = rpr.get_or_add_rFonts()
    for attribute in THEME_ATTRIBUTES:
        fonts.attrib.pop(qn(attribute), None)
    for attribute in ("w:ascii", "w:hAnsi", "w:cs"):
        fonts.set(qn(attribute), latin)
    fonts.set(qn("w:eastAsia"), east_asian)
    for old in rpr.findall(qn("w:lang")):
        rpr.remove(old)
    lang = OxmlElement("w:lang")
    lang.set(qn("w:val"), "en-US")
    lang.set(qn("w:eastAsia"), "zh-CN")
    rpr.append(lang)  # lang is the last but one child of rPr; nothing after it is written here


def set_char_spacing(rpr, twips: int) -> None:
    """w:spacing on an rPr, placed before w:sz as the schema orders rPr's children."""
    for old in rpr.findall(qn("w:spacing")):
        rpr.remove(old)
    spacing = OxmlElement("w:spacing")
    spacing.set(qn("w:val"), str(twips))
    size = rpr.find(qn("w:sz"))
    if size is not None:
        size.addprevious(spacing)
    else:
        rpr.find(qn("w:lang")).addprevious(spacing)


# pPr children that the schema puts after w:snapToGrid
_AFTER_SNAP = {qn(f"w:{tag}") for tag in ("spacing", "ind", "contextualSpacing", "mirrorIndents", "suppressOverlap",
               "jc", "textDirection", "textAlignment", "textboxTightWrap", "outlineLvl", "divId", "cnfStyle", "rPr",
               "sectPr", "pPrChange")}  # fmt: skip


def _no_grid_snap(ppr) -> None:
    snap = OxmlElement("w:snapToGrid")
    snap.set(qn("w:val"), "0")
    later = next((child for child in ppr if child.tag in _AFTER_SNAP), None)
    if later is not None:
        later.addprevious(snap)
    else:
        ppr.append(snap)


def _prune_styles(doc: DocxDocument) -> None:
    styles = doc.styles.element
    for style in list(styles.findall(qn("w:style"))):
        name = style.find(qn("w:name"))
        if name is None or name.get(qn("w:val")) not in {n.lower() for n in KEPT_STYLES} | set(KEPT_STYLES):
            styles.remove(style)
    kept = {s.get(qn("w:styleId")) for s in styles.findall(qn("w:style"))}
    for style in styles.findall(qn("w:style")):
        for link in style.findall(qn("w:link")):
            if link.get(qn("w:val")) not in kept:
                style.remove(link)
    latent = styles.find(qn("w:latentStyles"))
    if latent is not None:
        styles.remove(latent)


def _paragraph_style(doc: DocxDocument, name: str, base: str = "Normal"):
    try:
        return doc.styles[name]
    except KeyError:
        style = doc.styles.add_style(name, WD_STYLE_TYPE.PARAGRAPH)
        style.base_style = doc.styles[base]
        return style


def _style(doc, name, east_asian, size_pt, layout, *, latin=None, bold=False, align=None, exact_line=True, grid=False):
    """A paragraph style; ``grid`` styles (body text and headings) take the character pitch of the 28-character
    line, the others keep their natural spacing and do not snap to the line grid."""
    style = _paragraph_style(doc, name)
    style.font.size, style.font.bold, style.font.italic = Pt(size_pt), bold, False
    rpr = style.element.get_or_add_rPr()
    set_fonts(rpr, latin or layout.latin_font, east_asian)
    set_char_spacing(rpr, layout.char_spacing_twips if grid else 0)
    if not grid:
        _no_grid_snap(style.element.get_or_add_pPr())
    fmt = style.paragraph_format
    fmt.space_before = fmt.space_after = Pt(0)
    fmt.first_line_indent = None
    if exact_line:
        fmt.line_spacing = Pt(layout.line_pitch_twips / TWIPS_PER_POINT)
    else:
        fmt.line_spacing = 1.0
    if align is not None:
        fmt.alignment = align
    return style


def _define_styles(doc: DocxDocument, layout: BriefLayout) -> None:
    _prune_styles(doc)
    defaults = doc.styles.element.find(qn("w:docDefaults"))
    set_fonts(defaults.find(qn("w:rPrDefault")).find(qn("w:rPr")), layout.latin_font, layout.body_font)
    default_spacing = defaults.find(qn("w:pPrDefault")).find(qn("w:pPr")).find(qn("w:spacing"))
    default_spacing.attrib.clear()
    justify = WD_ALIGN_PARAGRAPH.JUSTIFY
    body = _style(doc, "Normal", layout.body_font, layout.body_size_pt, layout, align=justify, grid=True)
    body.paragraph_format.widow_control = False  # 公文 fill every grid line; Word's widow control leaves gaps
    for name, font in (("Heading 1", layout.heading1_font), ("Heading 2", layout.heading2_font)):
        heading = _style(doc, name, font, layout.body_size_pt, layout, grid=True)
        heading.font.color.rgb = None
        heading.paragraph_format.keep_with_next = True
        heading.paragraph_format.first_line_indent = Pt(2 * layout.body_size_pt)
        fonts = heading.element.rPr.find(qn("w:color"))
        if fonts is not None:
            heading.element.rPr.remove(fonts)
    centre, right = WD_ALIGN_PARAGRAPH.CENTER, WD_ALIGN_PARAGRAPH.RIGHT
    _style(doc, TITLE, layout.title_font, layout.title_size_pt, layout, align=centre)
    _style(doc, DATE_LINE, layout.heading2_font, layout.body_size_pt, layout, align=centre)
    _style(doc, SIGNATURE, layout.body_font, layout.body_size_pt, layout, align=right)
    _style(doc, TABLE_TEXT, layout.body_font, layout.table_size_pt, layout, exact_line=False)
    _style(doc, TABLE_HEAD, layout.heading1_font, layout.table_size_pt, layout, exact_line=False, align=centre)
    _style(doc, DEMO_MARK, layout.heading1_font, layout.table_size_pt, layout, exact_line=False, align=centre)
    number_font = layout.page_number_font
    _style(doc, PAGE_NUMBER, number_font, layout.page_number_size_pt, layout, latin=number_font, exact_line=False)
    for name, base_size in (("Header", layout.table_size_pt), ("Footer", layout.page_number_size_pt)):
        _style(doc, name, layout.body_font, base_size, layout, exact_line=False)
    for style in doc.styles:  # table and character styles kept from the template get named faces too
        if style.type in (WD_STYLE_TYPE.TABLE, WD_STYLE_TYPE.CHARACTER):
            set_fonts(style.element.get_or_add_rPr(), layout.latin_font, layout.body_font)


def _page_field(paragraph: Paragraph) -> None:
    """A PAGE field between two 一字线: "— 1 —" (the number is half-width, as GB/T 9704 asks)."""
    paragraph.add_run("— ")
    for kind, text in (("begin", None), ("instr", " PAGE "), ("separate", None), ("text", "1"), ("end", None)):
        run = paragraph.add_run()
        if kind == "instr":
            instr = OxmlElement("w:instrText")
            instr.set(qn("xml:space"), "preserve")
            instr.text = text
            run._r.append(instr)
        elif kind == "text":
            run.text = text
        else:
            char = OxmlElement("w:fldChar")
            char.set(qn("w:fldCharType"), kind)
            run._r.append(char)
    paragraph.add_run(" —")


def _page_numbers(doc: DocxDocument, layout: BriefLayout) -> None:
    """Odd pages: right, one character in from the edge; even pages: left, likewise (GB/T 9704 7.5)."""
    doc.settings.odd_and_even_pages_header_footer = True
    section = doc.sections[0]
    one_char = Pt(layout.body_size_pt)
    for footer, align in (
        (section.footer, WD_ALIGN_PARAGRAPH.RIGHT),
        (section.even_page_footer, WD_ALIGN_PARAGRAPH.LEFT),
    ):
        paragraph = footer.paragraphs[0]
        paragraph.style = doc.styles[PAGE_NUMBER]
        paragraph.alignment = align
        if align == WD_ALIGN_PARAGRAPH.RIGHT:
            paragraph.paragraph_format.right_indent = one_char
        else:
            paragraph.paragraph_format.left_indent = one_char
        _page_field(paragraph)


def _demo_headers(doc: DocxDocument, label: str) -> None:
    section = doc.sections[0]
    for header in (section.header, section.even_page_header):
        paragraph = header.paragraphs[0]
        paragraph.style = doc.styles[DEMO_MARK]
        paragraph.text = label


def _page_setup(doc: DocxDocument, layout: BriefLayout) -> None:
    section = doc.sections[0]
    section.start_type = WD_SECTION.NEW_PAGE
    section.page_width, section.page_height = Mm(layout.page_width_mm), Mm(layout.page_height_mm)
    section.top_margin, section.bottom_margin = Mm(layout.top_margin_mm), Mm(layout.bottom_margin_mm)
    section.left_margin, section.right_margin = Mm(layout.binding_margin_mm), Mm(layout.right_margin_mm)
    section.footer_distance, section.header_distance = Mm(layout.footer_distance_mm), Mm(15)
    sect_pr = section._sectPr
    grid = sect_pr.find(qn("w:docGrid"))
    if grid is None:
        grid = OxmlElement("w:docGrid")
        sect_pr.append(grid)
    grid.attrib.clear()
    # A line grid only. The character pitch is the body style's character spacing instead of a
    # "linesAndChars" grid: LibreOffice gives each character whole grid cells, so a cell narrower than the
    # font (15.8 pt for 16 pt text) doubles every character's width there, while Word condenses.
    grid.set(qn("w:type"), "lines")
    grid.set(qn("w:linePitch"), str(layout.line_pitch_twips))


def new_document(layout: BriefLayout, *, title: str, demo_label: str | None) -> DocxDocument:
    """An empty 公文: page, grid, styles, page numbers; with demo_label, a header on every page saying so."""
    doc = Document()
    _define_styles(doc, layout)
    _page_setup(doc, layout)
    _page_numbers(doc, layout)
    if demo_label:
        _demo_headers(doc, demo_label)
    doc.core_properties.title = title
    doc.core_properties.language = "zh-CN"
    doc.core_properties.keywords = "demo_data" if demo_label else ""
    body = doc.element.body
    for paragraph in list(body.findall(qn("w:p"))):  # the template's empty first paragraph
        body.remove(paragraph)
    return doc


def add_paragraph(doc: DocxDocument, text: str, style: str = "Normal", *, indent: bool = True) -> Paragraph:
    """A body paragraph; running text is indented two characters, as in every 公文."""
    paragraph = doc.add_paragraph(text, style=doc.styles[style])
    if indent and style == "Normal":
        paragraph.paragraph_format.first_line_indent = Pt(2 * doc.styles["Normal"].font.size.pt)
    return paragraph


def add_page_break(doc: DocxDocument) -> None:
    doc.add_paragraph().add_run().add_break(WD_BREAK.PAGE)


def start_new_section(doc: DocxDocument) -> None:
    """A new page whose page numbers start again at 1 (a separate letter); page, grid and footers carry over."""
    section = doc.add_section(WD_SECTION.NEW_PAGE)
    sect_pr = section._sectPr
    numbering = OxmlElement("w:pgNumType")
    numbering.set(qn("w:start"), "1")
    later = next((c for c in sect_pr if c.tag in {qn("w:cols"), qn("w:titlePg"), qn("w:docGrid")}), None)
    if later is not None:
        later.addprevious(numbering)
    else:
        sect_pr.append(numbering)


def _tint(hex_colour: str, share: float = 0.3) -> str:
    """The colour mixed with white, light enough that black text on it prints legibly."""
    rgb = [int(hex_colour.lstrip("#")[i : i + 2], 16) for i in (0, 2, 4)]
    return "".join(f"{round(255 - (255 - c) * share):02X}" for c in rgb)


STATUS_FILLS = {status: _tint(colour) for status, colour in STATUS_COLOURS.items()}


def _shade(cell, fill: str) -> None:
    shading = OxmlElement("w:shd")
    shading.set(qn("w:val"), "clear")
    shading.set(qn("w:color"), "auto")
    shading.set(qn("w:fill"), fill)
    cell._tc.get_or_add_tcPr().append(shading)


def _repeat_as_header(row) -> None:
    tr_pr = row._tr.get_or_add_trPr()
    for tag in ("w:cantSplit", "w:tblHeader"):
        tr_pr.append(OxmlElement(tag))


def add_table(
    doc: DocxDocument,
    header: Sequence[str],
    rows: Sequence[Sequence[str]],
    widths_mm: Sequence[float],
    *,
    fills: Sequence[dict[int, str]] | None = None,
    centred: frozenset[int] = frozenset(),
) -> Table:
    """A bordered table; the header row repeats on every page; ``fills[r]`` maps a column to a cell fill."""
    table = doc.add_table(rows=1 + len(rows), cols=len(header))
    table.style = doc.styles["Table Grid"]
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    table.autofit = False
    _repeat_as_header(table.rows[0])
    # LibreOffice lays a table out by its w:tblGrid, Word by the cell widths: set both.
    for column, width in zip(table._tbl.tblGrid.findall(qn("w:gridCol")), widths_mm, strict=True):
        column.set(qn("w:w"), str(round(width * POINTS_PER_MM * TWIPS_PER_POINT)))
    for r, values in enumerate([header, *rows]):
        for c, value in enumerate(values):
            cell = table.cell(r, c)
            cell.width = Mm(widths_mm[c])
            cell.vertical_alignment = WD_CELL_VERTICAL_ALIGNMENT.CENTER
            paragraph = cell.paragraphs[0]
            paragraph.style = doc.styles[TABLE_HEAD if r == 0 else TABLE_TEXT]
            if r and c in centred:
                paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
            paragraph.add_run(str(value))
            if r and fills and c in fills[r - 1]:
                _shade(cell, fills[r - 1][c])
        if r:
            table.rows[r]._tr.get_or_add_trPr().append(OxmlElement("w:cantSplit"))
    return table


def to_bytes(doc: DocxDocument) -> bytes:
    buffer = io.BytesIO()
    doc.save(buffer)
    return buffer.getvalue()
