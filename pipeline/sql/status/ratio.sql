-- Rule kind `ratio` (第4、5、10、12、16条), as rules_funding.judge_ratio judges it, for every year at once.
-- Question: what is numerator ÷ denominator, graded against the catalog's green (and optional amber) threshold?
-- Three shapes, chosen by the measure's catalog entry:
--   $per_unit: each unit expected to file the return on its own figures; the province on Σnumerator ÷ Σdenominator
--              over the units with both figures (a unit with a zero denominator still adds to the sums);
--   $records:  the province on the sum of every record row of the year (a blank figure in a row counts as 0);
--   otherwise: the province on its own pair of figures.
-- A missing figure, a zero denominator or an unfiled return is 无数据 without a metric.
WITH
expected AS (
    SELECT y.year, u.code AS unit_code, u.position
    FROM status_years AS y
    CROSS JOIN status_units AS u
    WHERE ($per_unit AND u.type = $submitted_by) OR (NOT $per_unit AND NOT $records AND u.code = $province)
),

filed AS (
    SELECT * FROM filed_returns($return_code)
),

pairs AS (
    SELECT
        e.year,
        e.unit_code,
        e.position,
        f.unit_code IS NOT NULL AS reported,
        n.value_num AS num,
        d.value_num AS den
    FROM expected AS e
    LEFT JOIN filed AS f USING (year, unit_code)
    LEFT JOIN first_figures([$numerator]) AS n ON n.year = e.year AND n.entity_code = e.unit_code
    LEFT JOIN first_figures([$denominator]) AS d ON d.year = e.year AND d.entity_code = e.unit_code
),

unit_ratios AS (
    SELECT
        year,
        unit_code,
        position,
        reported,
        num,
        den,
        CASE WHEN reported AND num IS NOT NULL AND den IS NOT NULL AND den <> 0 THEN num / den END AS metric
    FROM pairs
),

records AS (
    SELECT year, unit_code, entity_code, row_no, indicator, coalesce(value_num, 0.0) AS value
    FROM status_figures
    WHERE $records AND indicator IN ($numerator, $denominator)
),

record_sums AS (
    -- A row counts when either of its figures is there (the rule merges the two on unit, entity and row).
    SELECT
        year,
        sum(CASE WHEN indicator = $numerator THEN value ELSE 0.0 END) AS num,
        sum(CASE WHEN indicator = $denominator THEN value ELSE 0.0 END) AS den
    FROM records
    GROUP BY year
),

province_rows AS (
    SELECT
        y.year,
        $province_scope AS unit_code,
        -1 AS position,
        CASE
            WHEN $per_unit THEN (
                SELECT CASE WHEN sum(u.den) <> 0 THEN sum(u.num) / sum(u.den) END
                FROM unit_ratios AS u
                WHERE u.year = y.year AND u.reported AND u.num IS NOT NULL AND u.den IS NOT NULL
            )
            ELSE (SELECT CASE WHEN r.den <> 0 THEN r.num / r.den END FROM record_sums AS r WHERE r.year = y.year)
        END AS metric
    FROM status_years AS y
    WHERE $per_unit OR $records
),

judged AS (
    SELECT year, unit_code, position, metric FROM unit_ratios
    UNION ALL
    SELECT year, unit_code, position, metric FROM province_rows
),

final AS (
    SELECT
        year,
        unit_code,
        graded(metric, $green, $amber, $tolerance, $on_track, $at_risk, $off_track, $no_data) AS status,
        metric,
        position
    FROM judged
)

SELECT year, unit_code, status, metric
FROM final
ORDER BY year, position
