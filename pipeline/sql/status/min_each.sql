-- Rule kind `min_each` (第11条), as rules_meetings.judge_min_each judges it, for every year at once.
-- Question: did each unit reach the minimum count ($minimum) on every one of the indicators?
-- Each unit expected to file the return (type $submitted_by): the metric is how many of the indicators reach
-- the minimum (a blank or missing figure does not); all of them is 达标, none 未达标, some 预警. A unit that did
-- not file is 无数据 without a metric.
-- The province, over the units that filed: the metric is how many units are 达标; all of them 达标 is 达标
-- (unless a unit did not file and the kind counts such units as unmet, $missing_unmet), any unit 未达标 makes it
-- 未达标, otherwise 预警. No unit filing is 无数据 without a metric.
-- For its text: unfiled (a unit that did not file) and, on the province's row, units (how many are expected).
WITH
expected AS (
    SELECT * FROM units_each_year($submitted_by)
),

filed AS (
    SELECT * FROM filed_returns($return_code)
),

reported AS (
    SELECT e.year, e.unit_code, e.position
    FROM expected AS e
    SEMI JOIN filed AS f USING (year, unit_code)
),

items AS (
    SELECT unnest($indicators) AS indicator
),

items_met AS (
    -- One row per unit that filed and indicator, whether its figure reaches the minimum.
    SELECT
        r.year,
        r.unit_code,
        coalesce(f.value_num >= $minimum - $tolerance, false) AS met
    FROM reported AS r
    CROSS JOIN items AS i
    LEFT JOIN first_figures($indicators) AS f
        ON f.year = r.year AND f.entity_code = r.unit_code AND f.indicator = i.indicator
),

unit_counts AS (
    SELECT year, unit_code, count(*) FILTER (WHERE met) AS met, count(*) AS items
    FROM items_met
    GROUP BY year, unit_code
),

unit_rows AS (
    SELECT
        e.year,
        e.unit_code,
        e.position,
        c.unit_code IS NOT NULL AS filed,
        CASE
            WHEN c.unit_code IS NULL THEN $no_data
            WHEN c.met = c.items THEN $on_track
            WHEN c.met = 0 THEN $off_track
            ELSE $at_risk
        END AS status,
        CAST(c.met AS DOUBLE) AS metric
    FROM expected AS e
    LEFT JOIN unit_counts AS c USING (year, unit_code)
),

tallies AS (
    SELECT
        year,
        count(*) FILTER (WHERE filed) AS judged,
        count(*) FILTER (WHERE NOT filed) AS missing,
        count(*) FILTER (WHERE filed AND status = $on_track) AS met,
        count(*) FILTER (WHERE filed AND status = $off_track) AS unmet,
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
            WHEN t.met = t.judged AND NOT (t.missing > 0 AND $missing_unmet) THEN $on_track
            WHEN t.unmet > 0 THEN $off_track
            ELSE $at_risk
        END AS status,
        CASE WHEN t.judged > 0 THEN CAST(t.met AS DOUBLE) END AS metric,
        false AS unfiled,
        coalesce(t.units, 0) AS units
    FROM status_years AS y
    LEFT JOIN tallies AS t USING (year)
),

judged AS (
    SELECT year, unit_code, position, status, metric, NOT filed AS unfiled, NULL AS units FROM unit_rows
    UNION ALL
    SELECT year, unit_code, position, status, metric, unfiled, units FROM province_row
)

SELECT year, unit_code, status, metric, unfiled, units
FROM judged
ORDER BY year, position
