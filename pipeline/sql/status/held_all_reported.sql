-- Rule kind `held_all_reported` (第2条), as rules_meetings.judge_held_all_reported judges it, for every year at once.
-- Question: did the province hold the meeting this year, and did every unit of type $expected_units report at it?
-- One province-wide row a year, from the province's own return; the metric is the number of units that reported:
--   the province's return not filed is 无数据 without a metric;
--   no meeting date is 未达标 (with the number that reported, if given);
--   a meeting date without the number that reported is 无数据 without a metric;
--   the number at least the count of registry units of type $expected_units is 达标, otherwise 预警.
-- For its text: unfiled (the province's return not filed) and units (the count of units expected to report).
WITH
expected AS (
    SELECT count(*) AS units FROM status_units WHERE type = $expected_units
),

filed AS (
    SELECT DISTINCT year FROM status_coverage WHERE return_code = $return_code AND unit_code = $province
),

figures AS (
    SELECT
        y.year,
        f.year IS NOT NULL AS filed,
        h.value_date IS NOT NULL AS held,
        r.value_num AS reported
    FROM status_years AS y
    LEFT JOIN filed AS f ON f.year = y.year
    LEFT JOIN first_figures([$held]) AS h ON h.year = y.year AND h.entity_code = $province
    LEFT JOIN first_figures([$reported]) AS r ON r.year = y.year AND r.entity_code = $province
)

SELECT
    year,
    $province_scope AS unit_code,
    CASE
        WHEN NOT filed THEN $no_data
        WHEN NOT held THEN $off_track
        WHEN reported IS NULL THEN $no_data
        WHEN reported >= (SELECT units FROM expected) - $tolerance THEN $on_track
        ELSE $at_risk
    END AS status,
    CASE WHEN filed THEN reported END AS metric,
    NOT filed AS unfiled,
    (SELECT units FROM expected) AS units
FROM figures
ORDER BY year
