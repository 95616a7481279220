-- Question: for each reporting year and return type, which units have a current accepted return?
-- The status rules use it to say which units did not report (无数据 must name them).
WITH
current_src AS (
    SELECT unit_code, year, return_code, submission_id, file_name, received_at, filled_on
    FROM current_submissions
),

final AS (
    SELECT * FROM current_src
)

SELECT * FROM final
ORDER BY year, return_code, unit_code
