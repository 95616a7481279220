"""Byte-level finishing of a saved .xlsx: fixed timestamps, an edited app.xml, cached formula values.

openpyxl stamps the current time into docProps/core.xml and into every zip entry, and it cannot write a
formula's cached value; all three are fixed here by rewriting the package, so a seed gives identical bytes.
"""

from __future__ import annotations

import io
import re
import zipfile
from datetime import datetime
from xml.etree import ElementTree

MAIN_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
REL_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PKG_REL_NS = "http://schemas.openxmlformats.org/package/2006/relationships"
_MODIFIED = re.compile(rb"(<dcterms:modified[^>]*>)[^<]*(</dcterms:modified>)")
# What WPS Office writes into docProps/app.xml of an .xlsx it saves.
WPS_APP_XML = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<Properties xmlns="http://schemas.openxmlformats.org/officeDocument/2006/extended-properties" '
    'xmlns:vt="http://schemas.openxmlformats.org/officeDocument/2006/docPropsVTypes">'
    "<Application>WPS 表格</Application><AppVersion>12.1</AppVersion><DocSecurity>0</DocSecurity>"
    "</Properties>"
).encode()


def _sheet_paths(archive: zipfile.ZipFile) -> dict[str, str]:
    """Sheet title -> part name inside the package."""
    workbook = ElementTree.fromstring(archive.read("xl/workbook.xml"))
    rels = ElementTree.fromstring(archive.read("xl/_rels/workbook.xml.rels"))
    targets = {rel.get("Id"): rel.get("Target", "") for rel in rels.iter(f"{{{PKG_REL_NS}}}Relationship")}
    paths = {}
    for sheet in workbook.iter(f"{{{MAIN_NS}}}sheet"):
        target = targets[sheet.get(f"{{{REL_NS}}}id")]
        paths[sheet.get("name", "")] = target.lstrip("/") if target.startswith("/") else f"xl/{target}"
    return paths


def _with_cached_values(xml: bytes, cells: dict[str, str]) -> bytes:
    """Write <v>value</v> into each formula cell openpyxl left with an empty value."""
    for ref, value in cells.items():
        pattern = re.compile(rb'(<c r="' + ref.encode() + rb'"[^>]*><f>[^<]*</f>)<v\s*(?:/>|></v>)')
        cached = b"<v>" + value.encode() + b"</v>"
        xml, count = pattern.subn(lambda m, cached=cached: m.group(1) + cached, xml)
        if count != 1:
            raise ValueError(f"formula cell {ref} not found in the sheet XML")
    return xml


def finish_xlsx(
    data: bytes,
    when: datetime,
    *,
    wps: bool = False,
    cached_values: dict[tuple[str, str], str] | None = None,
) -> bytes:
    """Rewrite the package with every timestamp set to `when`.

    cached_values maps (sheet title, cell) -> the formula's value as Excel stores it in <v>.
    """
    stamp = when.strftime("%Y-%m-%dT%H:%M:%SZ").encode()
    with zipfile.ZipFile(io.BytesIO(data)) as source:
        by_part: dict[str, dict[str, str]] = {}
        if cached_values:
            paths = _sheet_paths(source)
            for (sheet, cell), value in cached_values.items():
                by_part.setdefault(paths[sheet], {})[cell] = value
        out = io.BytesIO()
        with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
            for info in source.infolist():
                body = source.read(info.filename)
                if info.filename == "docProps/core.xml":
                    body = _MODIFIED.sub(lambda m: m.group(1) + stamp + m.group(2), body)
                elif info.filename == "docProps/app.xml" and wps:
                    body = WPS_APP_XML
                elif info.filename in by_part:
                    body = _with_cached_values(body, by_part[info.filename])
                entry = zipfile.ZipInfo(info.filename, date_time=when.timetuple()[:6])
                entry.compress_type = zipfile.ZIP_DEFLATED
                entry.create_system = 0  # the same bytes on every platform
                entry.external_attr = 0
                target.writestr(entry, body)
    return out.getvalue()
