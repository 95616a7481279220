-- Rule kind `every_unit` (第13、15、18条), as rules_meetings.judge_every_unit judges it, for every year at once.
-- Question: does every unit of type $expected_units meet the condition this year?
-- Each unit that filed the return meets it when each $all_true figure is yes and each $at_least_one figure is
-- at least 1 (a blank or missing figure fails its check): 达标 with metric 1, otherwise 未达标 with metric 0.
-- A unit that did not file is 无数据 without a metric.
-- The province: the metric is how many units meet it, over a base of every expected unit when the kind counts units
-- that did not file as unmet ($missing_unmet), otherwise of the units that filed. All of the base meeting it is 达标,
-- a share of at least $amber 预警, otherwise 未达标. No unit filing is 无数据 without a metric.
-- For its text: unfiled (a unit that did not file), failed (a unit's failed checks in the condition's order, each
-- with its figure) and, on the province's row, units (how many are expected).
WITH
expected AS (
    SELECT * FROM units_each_year($expected_units)
),

filed AS (
    SELECT * FROM filed_returns($return_code)
),

checks AS (
    -- In the rule's order: the yes/no checks, then the counts, each in the catalog's order.
    SELECT
        unnest(CAST($all_true AS VARCHAR[])) AS indicator,
        true AS is_flag,
        generate_subscripts(CAST($all_true AS VARCHAR[]), 1) AS check_no
    UNION ALL
    SELECT
        unnest(CAST($at_least_one AS VARCHAR[])) AS indicator,
        false AS is_flag,
        len(CAST($all_true AS VARCHAR[])) + generate_subscripts(CAST($at_least_one AS VARCHAR[]), 1) AS check_no
),

check_figures AS (
    SELECT * FROM first_figures(list_concat(CAST($all_true AS VARCHAR[]), CAST($at_least_one AS VARCHAR[])))
),

checks_passed AS (
    -- One row per unit that filed and check: a flag must be yes, a count at least 1.
    SELECT
        e.year,
        e.unit_code,
        c.check_no,
        c.indicator,
        f.value_bool,
        f.value_num,
        coalesce(CASE WHEN c.is_flag THEN f.value_bool ELSE f.value_num >= 1 - $tolerance END, false) AS passed
    FROM expected AS e
    SEMI JOIN filed USING (year, unit_code)
    CROSS JOIN checks AS c
    LEFT JOIN check_figures AS f ON f.year = e.year AND f.entity_code = e.unit_code AND f.indicator = c.indicator
),

units_passed AS (
    SELECT
        year,
        unit_code,
        bool_and(passed) AS met,
        list({'indicator': indicator, 'flag': value_bool, 'count': value_num} ORDER BY check_no)
            FILTER (WHERE NOT passed) AS failed
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
        CASE WHEN f.unit_code IS NOT NULL THEN coalesce(p.met, true) END AS met,
        p.failed
    FROM expected AS e
    LEFT JOIN filed AS f USING (year, unit_code)
    LEFT JOIN units_passed AS p USING (year, unit_code)
),

tallies AS (
    SELECT
        year,
        count(*) FILTER (WHERE filed) AS judged,
        count(*) FILTER (WHERE met) AS met,
        CASE WHEN $missing_unmet THEN count(*) ELSE count(*) FILTER (WHERE filed) END AS base,
        count(*) AS units
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
        CASE WHEN t.judged > 0 THEN CAST(t.met AS DOUBLE) END AS metric,
        false AS unfiled,
        coalesce(t.units, 0) AS units,
        NULL AS failed
    FROM status_years AS y
    LEFT JOIN tallies AS t USING (year)
),

judged AS (
    SELECT
        year,
        unit_code,
        position,
        CASE WHEN NOT filed THEN $no_data WHEN met THEN $on_track ELSE $off_track END AS status,
        CASE WHEN filed THEN CAST(met AS DOUBLE) END AS metric,
        NOT filed AS unfiled,
        NULL AS units,
        failed
    FROM unit_rows
    UNION ALL
    SELECT year, unit_code, position, status, metric, unfiled, units, failed FROM province_row
)

SELECT year, unit_code, status, metric, unfiled, units, failed
FROM judged
ORDER BY year, position
