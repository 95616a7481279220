-- Question (第9条): in each special inspection round (year), what did each inspected unit score on each
-- of the seven dimensions the notice names? One row per (year, unit, dimension), dimensions in the
-- catalog's order with their catalog names.
WITH
units AS (
    SELECT unnest($units, recursive := true)
),

dimensions AS (
    SELECT unnest($dimensions, recursive := true)
),

values_src AS (
    SELECT year, entity_code, indicator, value_num
    FROM current_values
    WHERE list_contains($scores::VARCHAR[], indicator)
      AND ($years::INTEGER[] IS NULL OR list_contains($years::INTEGER[], year))
      AND ($scope::VARCHAR[] IS NULL OR list_contains($scope::VARCHAR[], entity_code))
),

final AS (
    SELECT
        v.year,
        v.entity_code AS unit_code,
        u.short_name AS unit_name,
        u.type AS unit_type,
        d.dimension,
        d.position AS dimension_no,
        v.value_num AS score
    FROM values_src AS v
    INNER JOIN dimensions AS d ON d.indicator = v.indicator
    LEFT JOIN units AS u ON u.code = v.entity_code
)

SELECT * FROM final
ORDER BY year, unit_code, dimension_no
