-- Question (第17条): per provincial industry union and year, what share of the cadres eligible for
-- promotion were promoted, and how does that compare with the provincial federation's own organ in the
-- same year (parity index = union rate ÷ organ rate)? The organ's figures come from P00's R3 return and
-- are context for every union, so the scope filter does not apply to them.
WITH
units AS (
    SELECT unnest($units, recursive := true)
),

reports AS (
    SELECT unit_code, year
    FROM current_submissions
    WHERE return_code = 'R2'
      AND ($years::INTEGER[] IS NULL OR list_contains($years::INTEGER[], year))
      AND ($scope::VARCHAR[] IS NULL OR list_contains($scope::VARCHAR[], unit_code))
),

values_src AS (
    SELECT unit_code, year, indicator, value_num
    FROM current_values
    WHERE indicator IN ($eligible, $promoted, $organ_eligible, $organ_promoted) AND entity_code = unit_code
),

unions AS (
    SELECT code AS unit_code, short_name AS unit_name FROM units WHERE type = 'industry'
),

province AS (
    SELECT code AS unit_code FROM units WHERE type = 'province'
),

promotions AS (
    SELECT
        unit_code,
        year,
        max(value_num) FILTER (WHERE indicator = $eligible) AS eligible,
        max(value_num) FILTER (WHERE indicator = $promoted) AS promoted
    FROM values_src
    GROUP BY unit_code, year
),

organ AS (
    SELECT
        year,
        max(value_num) FILTER (WHERE indicator = $organ_promoted)
            / nullif(max(value_num) FILTER (WHERE indicator = $organ_eligible), 0) AS organ_rate
    FROM values_src
    INNER JOIN province USING (unit_code)
    GROUP BY year
),

final AS (
    SELECT
        r.year,
        r.unit_code,
        u.unit_name,
        p.eligible::BIGINT AS eligible,
        p.promoted::BIGINT AS promoted,
        p.promoted / nullif(p.eligible, 0) AS rate,
        o.organ_rate,
        rate / nullif(o.organ_rate, 0) AS parity_index
    FROM reports AS r
    INNER JOIN unions AS u USING (unit_code)
    LEFT JOIN promotions AS p USING (unit_code, year)
    LEFT JOIN organ AS o USING (year)
)

SELECT * FROM final
ORDER BY year, unit_code
