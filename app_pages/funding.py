"""经费保障（第4、5、6条）: each measure's status for the selected year, then its charts — the province's special
funds requested, approved and disbursed over the years (第4条), the industry unions' dues collection rate that year
(第5条) and the city federations' budgets for industry unions over the years (第6条). Every chart's data downloads
as CSV; plotly's toolbar gives the PNG."""

from dashboard import charts
from dashboard.family import chart, family_header
from queries import series
from queries.profile import ONE_YEAR, TREND

FAMILY = "funding"
# measure, what the chart shows (messages and file names), series, builder, span of years[, height]
CHARTS = (
    (4, "临时性重大活动经费", series.m4_special_funds_by_year, charts.m4_special_funds_chart, TREND),
    (5, "会费收缴率", series.m5_dues_by_union, charts.m5_dues_chart, ONE_YEAR),
    # Twelve cities in the legend need more height than the default.
    (6, "市本级产业工会经费预算", series.m6_budget_by_city, charts.m6_budget_chart, TREND, 560),
)


book, selection = family_header(FAMILY)

for spec in CHARTS:
    chart(*spec, years=book.years, year=selection.year, large=selection.present)
