-- Question (第9条): in each special inspection round (year), how many problems were found at each
-- inspected unit, how many have been rectified, what share is that, and what was the unit's mean score
-- over the seven dimensions? The rate is empty when no problem was found (nothing to rectify).
WITH
units AS (
    SELECT unnest($units, recursive := true)
),

values_src AS (
    SELECT year, entity_code, indicator, value_num
    FROM current_values
    WHERE (list_contains($scores::VARCHAR[], indicator) OR indicator IN ($found, $rectified))
      AND ($years::INTEGER[] IS NULL OR list_contains($years::INTEGER[], year))
      AND ($scope::VARCHAR[] IS NULL OR list_contains($scope::VARCHAR[], entity_code))
),

per_unit AS (
    SELECT
        year,
        entity_code AS unit_code,
        max(value_num) FILTER (WHERE indicator = $found) AS found,
        max(value_num) FILTER (WHERE indicator = $rectified) AS rectified,
        avg(value_num) FILTER (WHERE list_contains($scores::VARCHAR[], indicator)) AS mean_score
    FROM values_src
    GROUP BY year, entity_code
),

final AS (
    SELECT
        p.year,
        p.unit_code,
        u.short_name AS unit_name,
        u.type AS unit_type,
        p.found::BIGINT AS found,
        p.rectified::BIGINT AS rectified,
        p.rectified / nullif(p.found, 0) AS rate,
        p.mean_score
    FROM per_unit AS p
    LEFT JOIN units AS u ON u.code = p.unit_code
)

SELECT * FROM final
ORDER BY year, unit_code
