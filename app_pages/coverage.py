"""组织覆盖（第3、7、8条）: each measure's status for the selected year, then its charts — the city and county
federations that held a special meeting (第3条, that year), the industry unions' member coverage over the years
(第7条) and the share of counties with a county-level industry union beside last year's (第8条). Every chart's data
downloads as CSV; plotly's toolbar gives the PNG."""

from dashboard import charts
from dashboard.family import chart, family_header
from queries import series
from queries.profile import ONE_YEAR, TREND, WITH_LAST_YEAR

FAMILY = "coverage"
# measure, what the chart shows (messages and file names), series, builder, span of years[, height]
CHARTS = (
    (3, "专题会议覆盖率", series.m3_coverage_by_city, charts.m3_coverage_chart, ONE_YEAR),
    (7, "会员覆盖率", series.m7_membership_by_union, charts.m7_membership_chart, TREND),
    (
        8,
        "县级产业工会覆盖情况",
        series.m8_county_union_share_by_city,
        charts.m8_county_union_share_chart,
        WITH_LAST_YEAR,
    ),
)


book, selection = family_header(FAMILY)

for spec in CHARTS:
    chart(*spec, years=book.years, year=selection.year, large=selection.present)
