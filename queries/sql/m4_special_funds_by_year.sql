-- Question (第4条): per year, how many temporary major activities did the provincial federation approve,
-- and how much money was requested, approved and disbursed for them (万元)? The figures are the
-- province's own (R3), so an account whose scope excludes the province sees no rows.
WITH
units AS (
    SELECT unnest($units, recursive := true)
),

province AS (
    SELECT code AS unit_code FROM units WHERE type = 'province'
),

reports AS (
    SELECT s.unit_code, s.year
    FROM current_submissions AS s
    INNER JOIN province USING (unit_code)
    WHERE s.return_code = 'R3'
      AND ($years::INTEGER[] IS NULL OR list_contains($years::INTEGER[], s.year))
      AND ($scope::VARCHAR[] IS NULL OR list_contains($scope::VARCHAR[], s.unit_code))
),

values_src AS (
    SELECT unit_code, year, indicator, value_num
    FROM current_values
    WHERE indicator IN ($activities, $requested, $approved, $disbursed) AND entity_code = unit_code
),

funds AS (
    SELECT
        unit_code,
        year,
        max(value_num) FILTER (WHERE indicator = $activities) AS activities,
        max(value_num) FILTER (WHERE indicator = $requested) AS requested,
        max(value_num) FILTER (WHERE indicator = $approved) AS approved,
        max(value_num) FILTER (WHERE indicator = $disbursed) AS disbursed
    FROM values_src
    GROUP BY unit_code, year
),

final AS (
    SELECT
        r.year,
        f.activities::BIGINT AS activities,
        f.requested,
        f.approved,
        f.disbursed,
        f.disbursed / nullif(f.approved, 0) AS disbursed_rate
    FROM reports AS r
    LEFT JOIN funds AS f USING (unit_code, year)
)

SELECT * FROM final
ORDER BY year
