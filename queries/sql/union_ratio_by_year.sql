-- Question: per provincial industry union and year, two figures of its current R2 return and their ratio
-- (numerator ÷ denominator). Serves 第5条 (dues collected ÷ due) and 第16条 (cadres trained ÷ cadres); the
-- caller names the columns. A union without a current R2 return has no row.
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
    WHERE indicator IN ($numerator, $denominator) AND entity_code = unit_code
),

unions AS (
    SELECT code AS unit_code, short_name AS unit_name FROM units WHERE type = 'industry'
),

figures AS (
    SELECT
        unit_code,
        year,
        max(value_num) FILTER (WHERE indicator = $denominator) AS denominator,
        max(value_num) FILTER (WHERE indicator = $numerator) AS numerator
    FROM values_src
    GROUP BY unit_code, year
),

final AS (
    SELECT
        r.year,
        r.unit_code,
        u.unit_name,
        f.denominator,
        f.numerator,
        f.numerator / nullif(f.denominator, 0) AS rate
    FROM reports AS r
    INNER JOIN unions AS u USING (unit_code)
    LEFT JOIN figures AS f USING (unit_code, year)
)

SELECT * FROM final
ORDER BY year, unit_code
