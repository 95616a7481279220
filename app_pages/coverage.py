"""组织覆盖（第3、7、8条）: each measure's status for the selected year, then the family's figures from the registry
(dashboard/figures.py) — the city and county federations that held a special meeting (第3条, that year), the
industry unions' member coverage over the years (第7条) and the share of counties with a county-level industry
union beside last year's (第8条). Every chart's data downloads as CSV; plotly's toolbar gives the PNG."""

from dashboard import figures
from dashboard.family import chart, family_header

FAMILY = "coverage"

book, selection = family_header(FAMILY)

for figure in figures.of_family(FAMILY):
    chart(figure, book=book, year=selection.year, large=selection.present)
