"""干部队伍（第16、17条）: each measure's status for the selected year, then the family's figures from the registry
(dashboard/figures.py) for that year — the industry unions' cadre training rate (第16条) and their promotion rate
against the provincial organ's (第17条). Every chart's data downloads as CSV; plotly's toolbar gives the PNG."""

from dashboard import figures
from dashboard.family import chart, family_header

FAMILY = "cadres"

book, selection = family_header(FAMILY)

for figure in figures.of_family(FAMILY):
    chart(figure, book=book, year=selection.year, large=selection.present)
