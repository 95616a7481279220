"""Page-level styling: status colours for tiles and the projector mode's large, high-contrast type."""

from __future__ import annotations

import json

import streamlit as st

from dashboard.theme import STATUS_COLOURS, STATUS_TEXT_COLOURS

BASE_CSS = (
    """
<style>
.status-badge { display: inline-block; padding: 0.1rem 0.6rem; border-radius: 0.4rem; font-weight: 700; }
/* a block holding only a script (the page language, the toolbar labels) draws nothing: no gap for it either */
[data-testid="stElementContainer"]:has(> [data-testid="stHtml"] > script:only-child) { display: none; }
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


# A desk at 1280×720: Streamlit leaves 6rem of blank space above the first line (and 5rem at the sides); its header
# is an empty transparent strip (the toolbar is minimal), so 2rem is enough. Alerts (the 演示数据 banner first) keep
# their colour, icon and words but lose half their padding. The sidebar is wide enough for the longest measure name
# in the 措施 selector (第1条、第8条, drawn in an <input> that cannot wrap). Its width is set in CSS because
# st.set_page_config's width applies only to a sidebar not drawn yet; dragging its edge then no longer resizes it.
# Options in an open list wrap rather than being cut.
SIDEBAR_WIDTH_PX = 376
DESK_CSS = """
<style>
[data-testid="stMainBlockContainer"] { padding: 2rem 3rem 6rem 3rem; }
[data-testid="stMainBlockContainer"] [data-testid="stAlertContainer"] { padding: 0.4rem 0.8rem; }
section[data-testid="stSidebar"][data-collapsed="false"] { width: SIDEBAR_WIDTHpx !important; }
[data-testid="stSidebarContent"] { padding-left: 0; padding-right: 0; }
[data-testid="stSidebarUserContent"] { padding-left: 1rem; padding-right: 1rem; }
[data-testid="stSidebarNav"] { padding-left: 0.75rem; padding-right: 0.75rem; }
[role="listbox"] [role="option"] { white-space: normal; height: auto; min-height: 2.5rem; }
</style>
""".replace("SIDEBAR_WIDTH", str(SIDEBAR_WIDTH_PX))

# Streamlit names the buttons of its element toolbars (tables and charts: 全屏, 下载 CSV, 搜索) and a few landmarks
# in English, as aria-labels, tooltips and a table's search hint, with no setting for another language. This script
# gives them Chinese names as they appear (and again if Streamlit redraws them): screen readers and hover tooltips
# then read Chinese. One observer per browser tab, however often the page reruns.
TOOLBAR_LABELS = {
    "Fullscreen": "全屏",
    "Close fullscreen": "退出全屏",
    "Exit fullscreen": "退出全屏",
    "Download as CSV": "下载 CSV",
    "Search": "搜索",
    "Show/hide columns": "显示/隐藏列",
    "Collapse sidebar": "收起侧栏",
    "Expand sidebar": "展开侧栏",
    "Open": "展开",
    "Clear all": "全部清除",
    "Clear": "清除",
    "Choose an option": "请选择",
    "Sidebar": "侧栏",
    "App pages": "页面导航",
    "Link to heading": "本节链接",
    "Type to search": "输入文字搜索",
    "Skip to main content": "跳到正文",
}
TOOLBAR_SCRIPT = (
    "<script>(() => {\n"
    "  if (window.__zhToolbarLabels) return;\n"
    f"  const names = {json.dumps(TOOLBAR_LABELS, ensure_ascii=False)};\n"
    """  const relabel = (root) => {
    for (const el of root.querySelectorAll('[aria-label], [placeholder]')) {
      for (const attr of ['aria-label', 'placeholder']) {
        const value = el.getAttribute(attr);
        if (value && names[value]) el.setAttribute(attr, names[value]);
      }
    }
    const texts = '[data-testid="stTooltipContent"] p, .gdg-search-status label, [data-testid="stSkipToContent"]';
    for (const el of root.querySelectorAll(texts)) {
      const text = el.firstChild;  // the text node itself, which React keeps a reference to
      if (text && text.nodeType === 3 && names[text.nodeValue]) text.nodeValue = names[text.nodeValue];
    }
  };
  window.__zhToolbarLabels = new MutationObserver(() => relabel(document));
  window.__zhToolbarLabels.observe(document.body, {subtree: true, childList: true, attributes: true,
    attributeFilter: ['aria-label', 'placeholder']});
  relabel(document);
})();</script>"""
)


def inject(*, present: bool) -> None:
    st.html(BASE_CSS + (PRESENT_CSS if present else DESK_CSS))
    st.html(TOOLBAR_SCRIPT, unsafe_allow_javascript=True)
