-- Question (第6条): per city and year, what did the city federation budget for industry unions (key work
-- and the resident unions' office and travel funds, 万元), and how many of its registry counties put
-- industry-union funds in their own budget, out of how many?
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
    WHERE indicator IN ($key_work, $resident_office, $county_included)
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

city_amounts AS (
    SELECT
        unit_code,
        year,
        max(value_num) FILTER (WHERE indicator = $key_work) AS key_work,
        max(value_num) FILTER (WHERE indicator = $resident_office) AS resident_office
    FROM values_src
    WHERE entity_code = unit_code
    GROUP BY unit_code, year
),

counties_included AS (
    SELECT v.unit_code, v.year, count(DISTINCT v.entity_code) AS counties
    FROM values_src AS v
    INNER JOIN registry_counties AS c USING (unit_code, entity_code)
    WHERE v.indicator = $county_included AND v.value_bool
    GROUP BY v.unit_code, v.year
),

final AS (
    SELECT
        r.year,
        r.unit_code,
        c.unit_name,
        a.key_work,
        a.resident_office,
        -- Both amounts are required; a total is shown only when at least one was reported.
        CASE WHEN a.key_work IS NOT NULL OR a.resident_office IS NOT NULL
             THEN coalesce(a.key_work, 0) + coalesce(a.resident_office, 0) END AS total,
        coalesce(k.counties, 0)::INTEGER AS counties_included,
        coalesce(t.counties, 0)::INTEGER AS counties_total
    FROM reports AS r
    INNER JOIN cities AS c USING (unit_code)
    LEFT JOIN city_amounts AS a USING (unit_code, year)
    LEFT JOIN counties_included AS k USING (unit_code, year)
    LEFT JOIN county_totals AS t USING (unit_code)
)

SELECT * FROM final
ORDER BY year, unit_code
