"""The briefing exports: charts as PNG and SVG, the PowerPoint deck, the Word 情况通报 and 催报函, the Excel data
workbook and frozen meeting versions, all built from the figure registry (dashboard/figures.py), the query layer
and the status engine, so that every document shows exactly the figures and statuses the screen shows.

This package never imports streamlit: pages and the CLI are thin shells over it.
"""
