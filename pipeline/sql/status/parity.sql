-- Rule kind `parity` (第17条), as rules_people.judge_parity judges it, for every year at once.
-- Question: are the industry unions' cadres promoted as often as the provincial federation's own organ cadres?
--   The organ's rate: the province's $reference_numerator ÷ $reference_denominator of the year (read whether or not
--   its return is counted as filed, as the rule does); without it, or at 0, nothing compares: every row is 无数据.
--   Each unit of the type that files the return ($submitted_by): its index is
--   (promoted × organ eligible) ÷ (eligible × organ promoted), one division as the rule computes it, graded against
--   green (and amber); not filed, no promoted figure, or no (or 0) eligible figure: 无数据 without a metric.
--   The province pools the units that have an index: (Σpromoted × organ eligible) ÷ (Σeligible × organ promoted);
--   no such unit: 无数据 without a metric.
WITH
reference AS (
    SELECT
        y.year,
        p.value_num AS promoted,
        e.value_num AS eligible,
        -- False where the rule finds `not ref.rate`: no rate (a figure missing, eligible 0) or a rate of 0.
        coalesce(p.value_num / nullif(e.value_num, 0) <> 0, false) AS usable
    FROM status_years AS y
    LEFT JOIN first_figures([$reference_numerator]) AS p ON p.year = y.year AND p.entity_code = $province
    LEFT JOIN first_figures([$reference_denominator]) AS e ON e.year = y.year AND e.entity_code = $province
),

expected AS (
    SELECT * FROM units_each_year($submitted_by)
),

filed AS (
    SELECT * FROM filed_returns($return_code)
),

unit_figures AS (
    SELECT
        e.year,
        e.unit_code,
        e.position,
        f.unit_code IS NOT NULL AND p.value_num IS NOT NULL AND coalesce(d.value_num <> 0, false) AS usable,
        p.value_num AS promoted,
        d.value_num AS eligible
    FROM expected AS e
    LEFT JOIN filed AS f USING (year, unit_code)
    LEFT JOIN first_figures([$numerator]) AS p ON p.year = e.year AND p.entity_code = e.unit_code
    LEFT JOIN first_figures([$denominator]) AS d ON d.year = e.year AND d.entity_code = e.unit_code
),

pooled AS (
    -- The units the rule calls usable: filed, with a promoted figure and an eligible figure other than 0.
    SELECT year, sum(promoted) AS promoted, sum(eligible) AS eligible
    FROM unit_figures
    WHERE usable
    GROUP BY year
),

promotion_figures AS (
    -- Each unit's own figures, and the province's pooled ones (usable when any unit is).
    SELECT u.year, u.unit_code, u.position, u.usable, u.promoted, u.eligible FROM unit_figures AS u
    UNION ALL
    SELECT y.year, $province_scope, -1, p.year IS NOT NULL, p.promoted, p.eligible
    FROM status_years AS y
    LEFT JOIN pooled AS p ON p.year = y.year
),

judged AS (
    SELECT
        i.year,
        i.unit_code,
        i.position,
        CASE
            WHEN i.usable AND r.usable THEN i.promoted * r.eligible / (i.eligible * r.promoted)
        END AS metric
    FROM promotion_figures AS i
    JOIN reference AS r USING (year)
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
