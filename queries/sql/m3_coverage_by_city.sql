-- Question (第3条): per city and year, how many of the city federation and its county federations held a
-- special meeting on industry-union work, out of how many? The city counts when it held at least one;
-- each county of the registry counts when its row says 是; a county missing from the return counts as
-- not held (the catalog rule's reading). Cities without a current R1 return have no row.
WITH
units AS (
    SELECT unnest($units, recursive := true)
),

reports AS (
    SELECT unit_code, year
    FROM current_submissions
    WHERE return_code = 'R1'
      AND ($years::INTEGER[] IS NULL OR list_contains($years::INTEGER[], year))
      AND ($scope::VARCHAR[] IS NULL OR list_contains($scope::VARCHAR[], unit_code))
),

values_src AS (
    SELECT unit_code, year, indicator, entity_code, value_num, value_bool
    FROM current_values
    WHERE indicator IN ($unit_held, $county_held)
),

cities AS (
    SELECT code AS unit_code, short_name AS unit_name FROM units WHERE type = 'city'
),

registry_counties AS (
    SELECT parent AS unit_code, code AS entity_code FROM units WHERE type = 'county'
),

county_totals AS (
    SELECT unit_code, count(*) AS counties FROM registry_counties GROUP BY unit_code
),

city_held AS (
    SELECT unit_code, year, bool_or(value_num >= 1) AS held
    FROM values_src
    WHERE indicator = $unit_held
    GROUP BY unit_code, year
),

counties_held AS (
    SELECT v.unit_code, v.year, count(DISTINCT v.entity_code) AS held
    FROM values_src AS v
    INNER JOIN registry_counties AS c USING (unit_code, entity_code)
    WHERE v.indicator = $county_held AND v.value_bool
    GROUP BY v.unit_code, v.year
),

final AS (
    SELECT
        r.year,
        r.unit_code,
        c.unit_name,
        (coalesce(h.held, false)::INTEGER + coalesce(k.held, 0))::INTEGER AS covered,
        (1 + coalesce(t.counties, 0))::INTEGER AS total,
        covered / total AS rate
    FROM reports AS r
    INNER JOIN cities AS c USING (unit_code)
    LEFT JOIN city_held AS h USING (unit_code, year)
    LEFT JOIN counties_held AS k USING (unit_code, year)
    LEFT JOIN county_totals AS t USING (unit_code)
)

SELECT * FROM final
ORDER BY year, unit_code
