-- Question (第10条): per year with an inspection-results return, how many random inspections were made,
-- how many problems they found, how many were rectified, and what share is that? Each row of the random
-- inspection table is one inspection; the scope filter applies to the inspected unit. A year with a
-- return but no random inspection shows 0 inspections and no rate.
WITH
units AS (
    SELECT unnest($units, recursive := true)
),

province AS (
    SELECT code AS unit_code FROM units WHERE type = 'province'
),

reports AS (
    SELECT DISTINCT s.year
    FROM current_submissions AS s
    INNER JOIN province USING (unit_code)
    WHERE s.return_code = 'R4'
      AND ($years::INTEGER[] IS NULL OR list_contains($years::INTEGER[], s.year))
),

values_src AS (
    SELECT year, entity_code, row_no, indicator, value_num
    FROM current_values
    WHERE indicator IN ($matter, $found, $rectified)
      AND ($scope::VARCHAR[] IS NULL OR list_contains($scope::VARCHAR[], entity_code))
),

inspections AS (
    SELECT
        year,
        entity_code,
        row_no,
        max(value_num) FILTER (WHERE indicator = $found) AS found,
        max(value_num) FILTER (WHERE indicator = $rectified) AS rectified
    FROM values_src
    GROUP BY year, entity_code, row_no
),

per_year AS (
    SELECT year, count(*) AS inspections, sum(found) AS found, sum(rectified) AS rectified
    FROM inspections
    GROUP BY year
),

final AS (
    SELECT
        r.year,
        coalesce(p.inspections, 0)::BIGINT AS inspections,
        coalesce(p.found, 0)::BIGINT AS found,
        coalesce(p.rectified, 0)::BIGINT AS rectified,
        p.rectified / nullif(p.found, 0) AS rate
    FROM reports AS r
    LEFT JOIN per_year AS p USING (year)
)

SELECT * FROM final
ORDER BY year
