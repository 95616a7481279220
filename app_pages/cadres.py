"""干部队伍（第16、17条）: each measure's status for the selected year, then its charts for that year — the industry
unions' cadre training rate (第16条) and their promotion rate against the provincial organ's (第17条). Every chart's
data downloads as CSV; plotly's toolbar gives the PNG."""

from dashboard import charts
from dashboard.family import chart, family_header
from queries import series
from queries.profile import ONE_YEAR

FAMILY = "cadres"
# measure, what the chart shows (messages and file names), series, builder, span of years[, height]
CHARTS = (
    (16, "干部培训率", series.m16_training_by_union, charts.m16_training_chart, ONE_YEAR),
    (17, "干部提拔率比值", series.m17_promotion_parity_by_union, charts.m17_parity_chart, ONE_YEAR),
)


book, selection = family_header(FAMILY)

for spec in CHARTS:
    chart(*spec, years=book.years, year=selection.year, large=selection.present)
