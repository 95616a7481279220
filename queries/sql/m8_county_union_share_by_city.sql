-- Question (第8条): per city and year, in how many of the city's registry counties has at least one
-- county-level industry union been set up, out of how many? Cities without counties (韩城) have no
-- share to show and are left out; a county missing from the return counts as without a union.
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
    SELECT unit_code, year, entity_code, value_num
    FROM current_values
    WHERE indicator = $county_value
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

counties_with_union AS (
    SELECT v.unit_code, v.year, count(DISTINCT v.entity_code) AS counties
    FROM values_src AS v
    INNER JOIN registry_counties AS c USING (unit_code, entity_code)
    WHERE v.value_num >= 1
    GROUP BY v.unit_code, v.year
),

final AS (
    SELECT
        r.year,
        r.unit_code,
        c.unit_name,
        coalesce(w.counties, 0)::INTEGER AS counties_with_union,
        t.counties::INTEGER AS counties_total,
        counties_with_union / counties_total AS share
    FROM reports AS r
    INNER JOIN cities AS c USING (unit_code)
    INNER JOIN county_totals AS t USING (unit_code)
    LEFT JOIN counties_with_union AS w USING (unit_code, year)
)

SELECT * FROM final
ORDER BY year, unit_code
