-- Rule kind `coverage` (第3条), as rules_meetings.judge_coverage judges it, for every year at once.
-- Question: what share of the city federations and their county federations held a meeting this year?
-- Each city that filed the return: covered ÷ total, where the city counts as covered when its own count is at least
-- 1 and each of its registry counties when its yes/no figure is yes (a county without that figure counts as not
-- held), and total is the city plus its counties. The province: Σcovered ÷ Σtotal over the cities that filed.
-- Graded against green (and amber, when the catalog sets one). A city that did not file is 无数据 without a metric;
-- no city filing leaves the province 无数据 too. For its text: unfiled, a city that did not file.
WITH
cities AS (
    SELECT y.year, u.code AS unit_code, u.position
    FROM status_years AS y
    CROSS JOIN status_units AS u
    WHERE u.type = 'city'
),

filed AS (
    SELECT * FROM filed_returns($return_code)
),

own_meetings AS (
    SELECT year, entity_code AS unit_code, value_num >= 1 - $tolerance AS held
    FROM first_figures([$unit_held])
    WHERE value_num IS NOT NULL
),

county_meetings AS (
    SELECT
        c.year,
        u.parent AS unit_code,
        count(*) AS counties,
        count(*) FILTER (WHERE f.value_bool) AS held
    FROM status_years AS c
    CROSS JOIN status_units AS u
    LEFT JOIN first_figures([$county_held]) AS f ON f.year = c.year AND f.entity_code = u.code
    WHERE u.type = 'county'
    GROUP BY c.year, u.parent
),

city_counts AS (
    SELECT
        c.year,
        c.unit_code,
        c.position,
        f.unit_code IS NOT NULL AS reported,
        CAST(coalesce(o.held, false) AS INTEGER) + coalesce(m.held, 0) AS covered,
        1 + coalesce(m.counties, 0) AS total
    FROM cities AS c
    LEFT JOIN filed AS f USING (year, unit_code)
    LEFT JOIN own_meetings AS o USING (year, unit_code)
    LEFT JOIN county_meetings AS m USING (year, unit_code)
),

city_rates AS (
    SELECT year, unit_code, position, CASE WHEN reported THEN covered / total END AS metric, NOT reported AS unfiled
    FROM city_counts
),

province_rate AS (
    SELECT
        y.year,
        $province_scope AS unit_code,
        -1 AS position,
        (
            SELECT sum(c.covered) / sum(c.total) FROM city_counts AS c WHERE c.year = y.year AND c.reported
        ) AS metric,
        false AS unfiled
    FROM status_years AS y
),

judged AS (
    SELECT year, unit_code, position, metric, unfiled FROM city_rates
    UNION ALL
    SELECT year, unit_code, position, metric, unfiled FROM province_rate
)

SELECT
    year,
    unit_code,
    graded(metric, $green, $amber, $tolerance, $on_track, $at_risk, $off_track, $no_data) AS status,
    metric,
    unfiled
FROM judged
ORDER BY year, position
