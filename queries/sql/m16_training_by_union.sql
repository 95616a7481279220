-- Question (第16条): per provincial industry union and year, how many cadres does it have, how many took
-- part in training this year, and what share is that?
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
    WHERE indicator IN ($cadres, $trained) AND entity_code = unit_code
),

unions AS (
    SELECT code AS unit_code, short_name AS unit_name FROM units WHERE type = 'industry'
),

training AS (
    SELECT
        unit_code,
        year,
        max(value_num) FILTER (WHERE indicator = $cadres) AS cadres,
        max(value_num) FILTER (WHERE indicator = $trained) AS trained
    FROM values_src
    GROUP BY unit_code, year
),

final AS (
    SELECT
        r.year,
        r.unit_code,
        u.unit_name,
        t.cadres::BIGINT AS cadres,
        t.trained::BIGINT AS trained,
        t.trained / nullif(t.cadres, 0) AS rate
    FROM reports AS r
    INNER JOIN unions AS u USING (unit_code)
    LEFT JOIN training AS t USING (unit_code, year)
)

SELECT * FROM final
ORDER BY year, unit_code
