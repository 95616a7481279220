-- Question (第7条): per provincial industry union and year, how many members and employees does it have,
-- what share of employees are members, and how many grassroots unions belong to it?
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
    WHERE indicator IN ($members, $employees, $grassroots_unions) AND entity_code = unit_code
),

unions AS (
    SELECT code AS unit_code, short_name AS unit_name FROM units WHERE type = 'industry'
),

membership AS (
    SELECT
        unit_code,
        year,
        max(value_num) FILTER (WHERE indicator = $members) AS members,
        max(value_num) FILTER (WHERE indicator = $employees) AS employees,
        max(value_num) FILTER (WHERE indicator = $grassroots_unions) AS grassroots_unions
    FROM values_src
    GROUP BY unit_code, year
),

final AS (
    SELECT
        r.year,
        r.unit_code,
        u.unit_name,
        m.members::BIGINT AS members,
        m.employees::BIGINT AS employees,
        m.members / nullif(m.employees, 0) AS coverage_rate,
        m.grassroots_unions::BIGINT AS grassroots_unions
    FROM reports AS r
    INNER JOIN unions AS u USING (unit_code)
    LEFT JOIN membership AS m USING (unit_code, year)
)

SELECT * FROM final
ORDER BY year, unit_code
