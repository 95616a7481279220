-- Rule kind `every_unit` (第13、15、18条), as rules_meetings.judge_every_unit judges it, for every year at once.
-- Question: does every unit of type $expected_units meet the condition this year?
-- Each unit that filed the return meets it when each $all_true figure is yes and each $at_least_one figure is
-- at least 1 (a blank or missing figure fails its check): 达标 with metric 1, otherwise 未达标 with metric 0.
-- A unit that did not file is 无数据 without a metric.
-- The province: the metric is how many units meet it, over a base of every expected unit when the kind counts units
-- that did not file as unmet ($missing_unmet), otherwise of the units that filed. All of the base meeting it is 达标,
-- a share of at least $amber 预警, otherwise 未达标. No unit filing is 无数据 without a metric.
WITH
expected AS (
    SELECT * FROM units_each_year($expected_units)
),

filed AS (
    SELECT * FROM filed_returns($return_code)
),

checks AS (
    SELECT unnest(CAST($all_true AS VARCHAR[])) AS indicator, true AS is_flag
    UNION ALL
    SELECT unnest(CAST($at_least_one AS VARCHAR[])) AS indicator, false AS is_flag
),

check_figures AS (
    SELECT * FROM first_figures(list_concat(CAST($all_true AS VARCHAR[]), CAST($at_least_one AS VARCHAR[])))
),

checks_passed AS (
    -- One row per unit that filed and check: a flag must be yes, a count at least 1.
    SELECT
        e.year,
        e.unit_code,
        coalesce(CASE WHEN c.is_flag THEN f.value_bool ELSE f.value_num >= 1 - $tolerance END, false) AS passed
    FROM expected AS e
    SEMI JOIN filed USING (year, unit_code)
    CROSS JOIN checks AS c
    LEFT JOIN check_figures AS f ON f.year = e.year AND f.entity_code = e.unit_code AND f.indicator = c.indicator
),

units_passed AS (
    SELECT year, unit_code, bool_and(passed) AS met
    FROM checks_passed
    GROUP BY year, unit_code
),

unit_rows AS (
    SELECT
        e.year,
        e.unit_code,
        e.position,
        f.unit_code IS NOT NULL AS filed,
        -- A unit that filed with no check to fail (an empty condition) meets it.
        CASE WHEN f.unit_code IS NOT NULL THEN coalesce(p.met, true) END AS met
    FROM expected AS e
    LEFT JOIN filed AS f USING (year, unit_code)
    LEFT JOIN units_passed AS p USING (year, unit_code)
),

tallies AS (
    SELECT
        year,
        count(*) FILTER (WHERE filed) AS judged,
        count(*) FILTER (WHERE met) AS met,
        CASE WHEN $missing_unmet THEN count(*) ELSE count(*) FILTER (WHERE filed) END AS base
    FROM unit_rows
    GROUP BY year
),

province_row AS (
    SELECT
        y.year,
        $province_scope AS unit_code,
        -1 AS position,
        CASE
            WHEN coalesce(t.judged, 0) = 0 THEN $no_data
            WHEN t.met = t.base THEN $on_track
            WHEN t.met / t.base >= $amber - $tolerance THEN $at_risk
            ELSE $off_track
        END AS status,
        CASE WHEN t.judged > 0 THEN CAST(t.met AS DOUBLE) END AS metric
    FROM status_years AS y
    LEFT JOIN tallies AS t USING (year)
),

judged AS (
    SELECT
        year,
        unit_code,
        position,
        CASE WHEN NOT filed THEN $no_data WHEN met THEN $on_track ELSE $off_track END AS status,
        CASE WHEN filed THEN CAST(met AS DOUBLE) END AS metric
    FROM unit_rows
    UNION ALL
    SELECT year, unit_code, position, status, metric FROM province_row
)

SELECT year, unit_code, status, metric
FROM judged
ORDER BY year, position
