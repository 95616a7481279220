-- Question (单位画像): what did a city's current return for $year say about each of its registry counties?
-- One row per (county of $counties, indicator of $indicators) the return filled in, and one row with a NULL
-- indicator for a county the return left out; no rows at all when the city has no current return of
-- $return_code for the year.
WITH
counties AS (
    SELECT unnest($counties, recursive := true)
),

report AS (
    SELECT submission_id
    FROM current_submissions
    WHERE unit_code = $city
      AND year = $year
      AND return_code = $return_code
),

values_src AS (
    SELECT submission_id, entity_code, indicator, value_num, value_bool, value_text
    FROM current_values
    WHERE unit_code = $city
      AND year = $year
      AND list_contains($indicators::VARCHAR[], indicator)
),

final AS (
    SELECT
        c.position,
        c.code AS county_code,
        c.name AS county_name,
        v.indicator,
        v.value_num,
        v.value_bool,
        v.value_text
    FROM counties AS c
    CROSS JOIN report AS r
    LEFT JOIN values_src AS v ON v.submission_id = r.submission_id AND v.entity_code = c.code
)

SELECT * FROM final
ORDER BY position, indicator
