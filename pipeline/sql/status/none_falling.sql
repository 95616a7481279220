-- Rule kind `none_falling` (第7条), as rules_organisation.judge_none_falling judges it, for every year at once.
-- Question: did any of the measure's conditions (a value, or numerator ÷ denominator) fall below last year's?
-- Condition i reads $values[i] over $denominators[i] (NULL for a plain value); a blank figure or a zero denominator
-- leaves a condition without a value. Falling means now < last, exactly (no tolerance), as the rule compares.
--   Each unit expected to file the return, on its own figures: 无数据 in the baseline year, when it did not file last
--   year, or when no condition has a value in both years; else no condition falling is 达标, one 预警, more 未达标.
--   Its metric is this year's first condition.
--   The province: the same comparison on the sums over the units with every condition's value in both years (无数据
--   when there are none). Its metric is the first condition summed over those units, or over every reporting unit
--   when there are none (then without a metric if any of them left a figure blank).
-- Sums are folded in registry order, as the rule adds them (sum() promises no order), so that sums of the same values
-- in two years compare equal.
-- For its text: unfiled, a unit that did not file this year.
WITH
conditions AS (
    SELECT i AS condition_no, $values[i] AS value_code, $denominators[i] AS denominator_code
    FROM range(1, len($values) + 1) AS t(i)
),

expected AS (
    SELECT code AS unit_code, position FROM status_units WHERE type = $submitted_by
),

filed AS (
    SELECT * FROM filed_returns($return_code)
),

condition_figures AS (
    SELECT indicator, year, entity_code, value_num FROM first_figures(list_concat($values, $denominators))
),

read_years AS (
    -- Each judged year and the year it is compared with.
    SELECT year FROM status_years
    UNION
    SELECT year - 1 FROM status_years
),

readings AS (
    -- One unit's figures of one condition in one year.
    SELECT
        r.year,
        e.unit_code,
        e.position,
        c.condition_no,
        c.denominator_code IS NOT NULL AS is_ratio,
        v.value_num AS num,
        d.value_num AS den
    FROM read_years AS r
    CROSS JOIN expected AS e
    CROSS JOIN conditions AS c
    LEFT JOIN condition_figures AS v
        ON v.indicator = c.value_code AND v.year = r.year AND v.entity_code = e.unit_code
    LEFT JOIN condition_figures AS d
        ON d.indicator = c.denominator_code AND d.year = r.year AND d.entity_code = e.unit_code
),

unit_values AS (
    SELECT
        year,
        unit_code,
        position,
        condition_no,
        is_ratio,
        num,
        den,
        num IS NOT NULL AND (den IS NOT NULL OR NOT is_ratio) AS present,
        CASE WHEN NOT is_ratio THEN num WHEN den <> 0 THEN num / den END AS value
    FROM readings
),

unit_comparisons AS (
    -- Per judged year and unit: conditions with a value in both years, those that fell, and whether all have one.
    SELECT
        now.year,
        now.unit_code,
        count(*) FILTER (WHERE now.value IS NOT NULL AND last.value IS NOT NULL) AS compared,
        count(*) FILTER (WHERE now.value < last.value) AS falling,
        bool_and(now.value IS NOT NULL AND last.value IS NOT NULL) AS complete
    FROM unit_values AS now
    JOIN unit_values AS last
        ON last.year = now.year - 1 AND last.unit_code = now.unit_code AND last.condition_no = now.condition_no
    WHERE now.year IN (SELECT year FROM status_years)
    GROUP BY now.year, now.unit_code
),

units_judged AS (
    SELECT
        y.year,
        e.unit_code,
        e.position,
        f.unit_code IS NOT NULL AS reported,
        y.year > $baseline AND l.unit_code IS NOT NULL AS comparable,
        h.value AS head,
        c.compared,
        c.falling,
        c.complete
    FROM status_years AS y
    CROSS JOIN expected AS e
    LEFT JOIN filed AS f ON f.year = y.year AND f.unit_code = e.unit_code
    LEFT JOIN filed AS l ON l.year = y.year - 1 AND l.unit_code = e.unit_code
    LEFT JOIN unit_values AS h ON h.year = y.year AND h.unit_code = e.unit_code AND h.condition_no = 1
    LEFT JOIN unit_comparisons AS c ON c.year = y.year AND c.unit_code = e.unit_code
),

unit_rows AS (
    SELECT
        year,
        unit_code,
        position,
        CASE
            WHEN NOT reported OR NOT comparable OR compared = 0 THEN $no_data
            WHEN falling = 0 THEN $on_track
            WHEN falling = 1 THEN $at_risk
            ELSE $off_track
        END AS status,
        CASE WHEN reported THEN head END AS metric,
        NOT reported AS unfiled
    FROM units_judged
),

compared_units AS (
    -- The units the province-wide comparison sums: every condition has a value in both years.
    SELECT year, unit_code, position FROM units_judged WHERE reported AND comparable AND complete
),

headline_units AS (
    -- The units the province-wide metric sums: those compared, else every unit that reported.
    SELECT year, unit_code, position
    FROM units_judged AS u
    WHERE
        reported
        AND ((comparable AND complete) OR NOT EXISTS (SELECT 1 FROM compared_units AS b WHERE b.year = u.year))
),

headline AS (
    SELECT
        h.year,
        bool_and(v.present) AS present,
        any_value(v.is_ratio) AS is_ratio,
        list_reduce(list(v.num ORDER BY h.position), lambda total, x: total + x) AS num,
        list_reduce(list(v.den ORDER BY h.position), lambda total, x: total + x) AS den
    FROM headline_units AS h
    JOIN unit_values AS v ON v.year = h.year AND v.unit_code = h.unit_code AND v.condition_no = 1
    GROUP BY h.year
),

province_totals AS (
    -- Each condition summed over the compared units, this year (read_year = year) and last year.
    SELECT
        b.year,
        v.year AS read_year,
        v.condition_no,
        any_value(v.is_ratio) AS is_ratio,
        list_reduce(list(v.num ORDER BY b.position), lambda total, x: total + x) AS num,
        list_reduce(list(v.den ORDER BY b.position), lambda total, x: total + x) AS den
    FROM compared_units AS b
    JOIN unit_values AS v ON v.unit_code = b.unit_code AND v.year IN (b.year, b.year - 1)
    GROUP BY b.year, v.year, v.condition_no
),

province_sums AS (
    SELECT year, read_year, condition_no, CASE WHEN NOT is_ratio THEN num WHEN den <> 0 THEN num / den END AS value
    FROM province_totals
),

province_comparisons AS (
    SELECT
        now.year,
        count(*) FILTER (WHERE now.value IS NOT NULL AND last.value IS NOT NULL) AS compared,
        count(*) FILTER (WHERE now.value < last.value) AS falling
    FROM province_sums AS now
    JOIN province_sums AS last
        ON last.year = now.year AND last.read_year = now.year - 1 AND last.condition_no = now.condition_no
    WHERE now.read_year = now.year
    GROUP BY now.year
),

province_rows AS (
    SELECT
        y.year,
        $province_scope AS unit_code,
        -1 AS position,
        CASE
            WHEN c.compared IS NULL OR c.compared = 0 THEN $no_data
            WHEN c.falling = 0 THEN $on_track
            WHEN c.falling = 1 THEN $at_risk
            ELSE $off_track
        END AS status,
        CASE
            WHEN NOT h.present THEN NULL
            WHEN NOT h.is_ratio THEN h.num
            WHEN h.den <> 0 THEN h.num / h.den
        END AS metric,
        false AS unfiled
    FROM status_years AS y
    LEFT JOIN province_comparisons AS c ON c.year = y.year
    LEFT JOIN headline AS h ON h.year = y.year
)

SELECT year, unit_code, status, metric, unfiled
FROM (SELECT * FROM unit_rows UNION ALL SELECT * FROM province_rows)
ORDER BY year, position
