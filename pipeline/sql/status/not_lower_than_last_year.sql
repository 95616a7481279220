-- Rule kind `not_lower_than_last_year` (第6条), as rules_funding.judge_not_lower_than_last_year judges it, for every
-- year at once.
-- Question: has each city put the industry unions' funds into its own budget, and not less than last year?
-- Each unit of the type that files the return ($submitted_by), on its own figures:
--   its amount is the sum of its $amounts figures that are there (none there: no amount);
--   not filed, no $included_when figure or no amount: 无数据 without a metric;
--   $included_when at or below 0: 未达标 (not in the budget);
--   after the baseline year with last year's amount there: 达标 when the amount is not below it, else 预警;
--   at the baseline year, or without last year's amount: 达标.
-- The metric is the amount. The province: the worst status of the units judged (those not 无数据), on the sum of
-- their amounts; none judged: 无数据 without a metric.
-- The counties' yes/no answers are supporting detail of the explanation only: they change no status or metric.
-- Sums are folded in the rule's order ($amounts in the catalog's order, units in the registry's), as Python's sum()
-- adds them (sum() promises no order): the amount is shown as figured, and 1,243万元 is not 1,243.0万元.
WITH
expected AS (
    SELECT * FROM units_each_year($submitted_by)
),

filed AS (
    SELECT * FROM filed_returns($return_code)
),

amounts AS (
    -- Blank figures skipped; NULL when every one is blank or absent, as BudgetSpec.total.
    SELECT
        year,
        entity_code,
        list_reduce(
            list(value_num ORDER BY list_position($amounts, indicator)) FILTER (WHERE value_num IS NOT NULL),
            lambda total, x: total + x
        ) AS amount
    FROM first_figures($amounts)
    GROUP BY year, entity_code
),

figures AS (
    SELECT
        e.year,
        e.unit_code,
        e.position,
        f.unit_code IS NOT NULL AS reported,
        i.value_num AS included,
        now.amount,
        CASE WHEN e.year > $baseline THEN before.amount END AS previous
    FROM expected AS e
    LEFT JOIN filed AS f USING (year, unit_code)
    LEFT JOIN first_figures([$included_when]) AS i ON i.year = e.year AND i.entity_code = e.unit_code
    LEFT JOIN amounts AS now ON now.year = e.year AND now.entity_code = e.unit_code
    LEFT JOIN amounts AS before ON before.year = e.year - 1 AND before.entity_code = e.unit_code
),

unit_rows AS (
    SELECT
        year,
        unit_code,
        position,
        CASE
            WHEN NOT reported OR included IS NULL OR amount IS NULL THEN $no_data
            WHEN included <= 0 THEN $off_track
            WHEN previous IS NULL OR amount >= previous - $tolerance THEN $on_track
            ELSE $at_risk
        END AS status,
        CASE WHEN reported AND included IS NOT NULL THEN amount END AS metric
    FROM figures
),

province_rows AS (
    SELECT
        y.year,
        $province_scope AS unit_code,
        -1 AS position,
        CASE
            WHEN count(u.status) = 0 THEN $no_data
            WHEN bool_or(u.status = $off_track) THEN $off_track
            WHEN bool_or(u.status = $at_risk) THEN $at_risk
            ELSE $on_track
        END AS status,
        list_reduce(list(u.metric ORDER BY u.position) FILTER (WHERE u.metric IS NOT NULL), lambda total, x: total + x)
            AS metric
    FROM status_years AS y
    LEFT JOIN unit_rows AS u ON u.year = y.year AND u.status <> $no_data
    GROUP BY y.year
),

judged AS (
    SELECT year, unit_code, position, status, metric FROM unit_rows
    UNION ALL
    SELECT year, unit_code, position, status, metric FROM province_rows
)

SELECT year, unit_code, status, metric
FROM judged
ORDER BY year, position
