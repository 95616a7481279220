-- Question (第5条): per provincial industry union and year, how much union dues were due and collected
-- (万元), and what share was collected? A union without a current R2 return has no row.
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
    WHERE indicator IN ($due, $collected) AND entity_code = unit_code
),

unions AS (
    SELECT code AS unit_code, short_name AS unit_name FROM units WHERE type = 'industry'
),

dues AS (
    SELECT
        unit_code,
        year,
        max(value_num) FILTER (WHERE indicator = $due) AS due,
        max(value_num) FILTER (WHERE indicator = $collected) AS collected
    FROM values_src
    GROUP BY unit_code, year
),

final AS (
    SELECT
        r.year,
        r.unit_code,
        u.unit_name,
        d.due,
        d.collected,
        d.collected / nullif(d.due, 0) AS rate
    FROM reports AS r
    INNER JOIN unions AS u USING (unit_code)
    LEFT JOIN dues AS d USING (unit_code, year)
)

SELECT * FROM final
ORDER BY year, unit_code
