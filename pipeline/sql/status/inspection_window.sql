-- Rule kind `inspection_window` (第9条), as rules_organisation.judge_inspection_window judges it, for every year at once.
-- Question: within the reporting window holding the year (windows of $window_years years counted from the baseline),
-- has every unit of $expected_types been specially inspected, with a mean score and a rectification rate that meet
-- the thresholds?
--   A unit's inspection is its latest records row in the window so far (greatest year, then row number) among the
--   score, found and rectified figures of the province's return; its mean is the mean of the scores given there, its
--   rectification rectified ÷ found (none when either is blank or nothing was found, and then it is not judged).
--   A unit inspected: a mean below $mean_score (or none) and a rectification below $rectification each count as
--   one miss: none is 达标, one 预警, two 未达标; its metric is the mean. A unit not inspected yet is "pending":
--   in an open window 未到期, or 无数据 while none of the window's returns so far has been filed; in a closed window
--   未达标, or 无数据 when any of the window's returns is missing.
--   The province: nobody inspected, or somebody not inspected in a window that is closed with every return filed,
--   is the pending status; else the misses of the mean of the units' means and of Σrectified ÷ Σfound over the units
--   with both counts, except that 达标 with units still to inspect in an open window is 未到期. Its metric is that mean.
-- Scores and means are added in the rule's order ($scores in the catalog's order, units as expected), as Python's
-- sum() adds them (sum() promises no order): a mean is shown to one decimal, and 62.55 must round as the rule's does.
WITH
window_starts AS (
    -- Windows of $window_years years counted from the baseline (floor division: a year before it too).
    SELECT year, $baseline + fdiv(year - $baseline, $window_years)::BIGINT * $window_years AS window_start
    FROM status_years
),

windows AS (
    SELECT year, window_start, window_start + $window_years - 1 AS window_end FROM window_starts
),

window_filing AS (
    -- How many years of the window so far lack the province's return.
    SELECT
        w.year,
        w.window_start,
        w.window_end,
        count(*) FILTER (WHERE c.unit_code IS NULL) AS unfiled_years,
        count(*) AS years_so_far
    FROM windows AS w
    CROSS JOIN generate_series(w.window_start, w.year) AS s(filing_year)
    LEFT JOIN status_coverage AS c
        ON c.return_code = $return_code AND c.year = s.filing_year AND c.unit_code = $province
    GROUP BY w.year, w.window_start, w.window_end
),

pending AS (
    -- The status of what is not done yet.
    SELECT
        year,
        window_start,
        year < window_end AS is_open,
        CASE
            WHEN year < window_end THEN CASE WHEN unfiled_years = years_so_far THEN $no_data ELSE $not_due END
            WHEN unfiled_years > 0 THEN $no_data
            ELSE $off_track
        END AS status
    FROM window_filing
),

inspection_figures AS (
    -- The score, found and rectified figures of the province's return, every row.
    SELECT year, row_no, entity_code, unit_code, indicator, value_num
    FROM status_figures
    WHERE list_contains(list_concat($scores, [$found, $rectified]), indicator)
),

window_rows AS (
    -- Those of each judged year's window so far.
    SELECT p.year, f.year AS inspected_in, f.row_no, f.entity_code, f.unit_code, f.indicator, f.value_num
    FROM pending AS p
    JOIN inspection_figures AS f ON f.year BETWEEN p.window_start AND p.year
),

latest_rows AS (
    -- Each entity's latest inspection: every row at its greatest (year, row number).
    SELECT *
    FROM window_rows
    QUALIFY rank() OVER (PARTITION BY year, entity_code ORDER BY inspected_in DESC, row_no DESC) = 1
),

latest_figures AS (
    -- One value per indicator (the last given, in submitter order); blanks are no figure.
    SELECT year, entity_code, indicator, arg_max(value_num, unit_code) AS value
    FROM latest_rows
    WHERE value_num IS NOT NULL
    GROUP BY year, entity_code, indicator
),

inspections AS (
    SELECT
        r.year,
        r.entity_code,
        list_reduce(
            list(f.value ORDER BY list_position($scores, f.indicator)) FILTER (WHERE list_contains($scores, f.indicator)),
            lambda total, x: total + x
        ) AS score_sum,
        count(f.value) FILTER (WHERE list_contains($scores, f.indicator)) AS scores,
        any_value(f.value) FILTER (WHERE f.indicator = $found) AS found,
        any_value(f.value) FILTER (WHERE f.indicator = $rectified) AS rectified
    FROM (SELECT DISTINCT year, entity_code FROM latest_rows) AS r
    LEFT JOIN latest_figures AS f USING (year, entity_code)
    GROUP BY r.year, r.entity_code
),

expected AS (
    SELECT u.code AS unit_code, list_position($expected_types, u.type) AS type_order, u.position
    FROM status_units AS u
    WHERE list_contains($expected_types, u.type)
),

units_judged AS (
    SELECT
        p.year,
        e.unit_code,
        e.type_order,
        e.position,
        p.status AS pending_status,
        i.entity_code IS NOT NULL AS inspected,
        i.found,
        i.rectified,
        CASE WHEN i.scores > 0 THEN i.score_sum / i.scores END AS mean,
        CASE WHEN i.found <> 0 AND i.rectified IS NOT NULL THEN i.rectified / i.found END AS rectification
    FROM pending AS p
    CROSS JOIN expected AS e
    LEFT JOIN inspections AS i ON i.year = p.year AND i.entity_code = e.unit_code
),

unit_misses AS (
    SELECT
        *,
        (mean IS NULL OR mean < $mean_score - $tolerance)::INTEGER
        + coalesce(rectification < $rectification - $tolerance, false)::INTEGER AS misses
    FROM units_judged
),

unit_rows AS (
    SELECT
        year,
        unit_code,
        type_order,
        position,
        CASE
            WHEN NOT inspected THEN pending_status
            WHEN misses = 0 THEN $on_track
            WHEN misses = 1 THEN $at_risk
            ELSE $off_track
        END AS status,
        mean AS metric,
        inspected
    FROM unit_misses
),

province_figures AS (
    SELECT
        year,
        count(*) AS expected,
        count(*) FILTER (WHERE inspected) AS inspected,
        list_reduce(list(mean ORDER BY type_order, position) FILTER (WHERE mean IS NOT NULL), lambda total, x: total + x)
        / nullif(count(mean), 0) AS mean,
        sum(found) FILTER (WHERE found IS NOT NULL AND rectified IS NOT NULL) AS found_sum,
        sum(rectified) FILTER (WHERE found IS NOT NULL AND rectified IS NOT NULL) AS fixed_sum
    FROM units_judged
    GROUP BY year
),

province_misses AS (
    SELECT
        p.year,
        p.is_open,
        p.status AS pending_status,
        coalesce(f.expected, 0) AS expected,
        coalesce(f.inspected, 0) AS inspected,
        f.mean,
        (f.mean IS NULL OR f.mean < $mean_score - $tolerance)::INTEGER
        + coalesce(f.fixed_sum / nullif(f.found_sum, 0) < $rectification - $tolerance, false)::INTEGER AS misses
    FROM pending AS p
    LEFT JOIN province_figures AS f USING (year)
),

province_rows AS (
    SELECT
        year,
        $province_scope AS unit_code,
        -1 AS type_order,
        -1 AS position,
        CASE
            WHEN inspected = 0 OR (inspected < expected AND pending_status = $off_track) THEN pending_status
            WHEN misses = 0 AND inspected < expected AND is_open THEN $not_due
            WHEN misses = 0 THEN $on_track
            WHEN misses = 1 THEN $at_risk
            ELSE $off_track
        END AS status,
        mean AS metric,
        true AS inspected
    FROM province_misses
)

SELECT year, unit_code, status, metric, inspected
FROM (SELECT * FROM unit_rows UNION ALL SELECT * FROM province_rows)
ORDER BY year, type_order, position
