"""Page-level styling: status colours for tiles and the projector mode's large, high-contrast type."""

from __future__ import annotations

import streamlit as st

from dashboard.theme import STATUS_COLOURS, STATUS_TEXT_COLOURS

BASE_CSS = (
    """
<style>
.status-badge { display: inline-block; padding: 0.1rem 0.6rem; border-radius: 0.4rem; font-weight: 700; }
"""
    + "".join(
        f".status-{i} {{ background: {colour}; color: {STATUS_TEXT_COLOURS[status]}; }}\n"
        for i, (status, colour) in enumerate(STATUS_COLOURS.items())
    )
    + "</style>"
)

# Projector mode: no sidebar or Streamlit header; the type scales with the window's height (17 px at 720, 22 px at
# 1080); the page is pinned to the window and its blocks form a column in which the chart's container stretches
# into whatever height the toolbar and tiles leave, so a screen never scrolls and the chart is never cut.
PRESENT_CSS = """
<style>
[data-testid="stSidebar"], [data-testid="stSidebarCollapsedControl"], header[data-testid="stHeader"] { display: none; }
html, body, [data-testid="stAppViewContainer"] { font-size: clamp(17px, 2.05vh, 24px); background: #ffffff;
  color: #000000; }
[data-testid="stMain"] { height: 100vh; overflow: hidden; }
[data-testid="stMainBlockContainer"] { max-width: 100%; height: 100vh; padding: 0.4rem 1.2rem 0.6rem 1.2rem;
  display: flex; flex-direction: column; }
[data-testid="stMainBlockContainer"] > [data-testid="stVerticalBlock"] { flex: 1 1 0; min-height: 0; gap: 0.5rem; }
[data-testid="stMainBlockContainer"] :is([data-testid="stLayoutWrapper"], [data-testid="stVerticalBlock"]):has(
  .st-key-present_chart), .st-key-present_chart, .st-key-present_chart [data-testid="stElementContainer"] {
  flex: 1 1 0; min-height: 0; }
.st-key-present_chart [data-testid="stFullScreenFrame"], .st-key-present_chart [data-testid="stPlotlyChart"] {
  height: 100%; }
@media (max-height: 820px) { .tile.large .tile-summary { display: none; } }
.projector-line { font-size: 0.7rem; color: #5f6368; white-space: nowrap; overflow: hidden; text-overflow: ellipsis; }
h1 { font-size: 2.2rem !important; } h2 { font-size: 1.7rem !important; padding: 0.1rem 0 !important; }
h3 { font-size: 1.4rem !important; }
</style>
"""


# Streamlit's uploader writes its own English ("Upload", "100MB per file"); the size it states is the browser's
# cap, not the 20 MB a return may have (queries/uploads.py refuses bigger files in Chinese). Say it in Chinese.
UPLOADER_CSS = """
<style>
[data-testid="stFileUploaderDropzoneInstructions"] span { display: none; }
[data-testid="stFileUploaderDropzoneInstructions"] > div::after {
  content: "可拖入多个文件；每个不超过 20 MB"; font-size: 0.875rem; color: rgba(49, 51, 63, 0.6);
}
[data-testid="stFileUploaderDropzone"] button [data-testid="stMarkdownContainer"] p { display: none; }
[data-testid="stFileUploaderDropzone"] button [data-testid="stMarkdownContainer"]::after { content: "选择文件"; }
</style>
"""


def localise_uploader() -> None:
    st.html(UPLOADER_CSS)


def status_class(status: str) -> str:
    """CSS class of a status badge (the word is always shown too, never colour alone)."""
    return f"status-{list(STATUS_COLOURS).index(status)}"


def inject(*, present: bool) -> None:
    st.html(BASE_CSS + (PRESENT_CSS if present else ""))
