"""经费保障（第4、5、6条）: each measure's status for the selected year, then the family's figures from the registry
(dashboard/figures.py) — the province's special funds requested, approved and disbursed over the years (第4条), the
industry unions' dues collection rate that year (第5条) and the city federations' budgets for industry unions over
the years (第6条). Every chart's data downloads as CSV; plotly's toolbar gives the PNG."""

from dashboard import figures
from dashboard.family import chart, family_header

FAMILY = "funding"

book, selection = family_header(FAMILY)

for figure in figures.of_family(FAMILY):
    chart(figure, book=book, year=selection.year, large=selection.present)
