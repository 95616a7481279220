-- Question (报送情况): which rejected files belong to a reporting year, and why were they rejected?
-- $identified = true: files whose unit and return type are known (listed under their unit);
-- $identified = false: files whose unit or type could not be read; NULL: both.
-- A file without a year (none written, or a wrong one: validation keeps no year it refused) is counted in the
-- year before the one it was received in, because returns for year Y are collected in January of Y+1; the year
-- the file itself states, when it was refused as wrong (issue wrong_year), is file_year. Files of unknown unit never pass a unit scope ($scope): an
-- account limited to some units sees only their files.
WITH
units AS (
    SELECT unnest($units, recursive := true)
),

rejected AS (
    SELECT
        submission_id,
        file_name,
        unit_code,
        return_code,
        year,
        received_at,
        submitter,
        phone,
        (unit_code IS NOT NULL AND return_code IS NOT NULL) AS identified
    FROM submissions
    WHERE status = 'rejected'
),

in_year AS (
    SELECT *
    FROM rejected
    WHERE coalesce(year, year(received_at) - 1) = $year
      AND ($identified::BOOLEAN IS NULL OR identified = $identified)
      AND ($return_code::VARCHAR IS NULL OR return_code = $return_code)
      AND ($scope::VARCHAR[] IS NULL OR list_contains($scope::VARCHAR[], unit_code))
),

issues AS (
    SELECT
        submission_id,
        list(
            {'severity': severity, 'code': code, 'message': message, 'fix': fix, 'sheet': sheet, 'cell': cell,
             'value': value, 'indicator': coalesce(indicator, '')}
            ORDER BY seq
        ) AS issues
    FROM submission_issues
    WHERE submission_id IN (SELECT submission_id FROM in_year)
    GROUP BY submission_id
),

file_years AS (
    SELECT submission_id, min(value) AS file_year
    FROM submission_issues
    WHERE code = 'wrong_year' AND value IS NOT NULL AND value <> ''
      AND submission_id IN (SELECT submission_id FROM in_year)
    GROUP BY submission_id
),

final AS (
    SELECT
        r.submission_id,
        r.file_name,
        r.unit_code,
        u.name AS unit_name,
        r.return_code,
        r.year,
        r.received_at,
        r.submitter,
        r.phone,
        r.identified,
        y.file_year,
        coalesce(i.issues, []) AS issues
    FROM in_year AS r
    LEFT JOIN units AS u ON u.code = r.unit_code
    LEFT JOIN issues AS i USING (submission_id)
    LEFT JOIN file_years AS y USING (submission_id)
)

SELECT * FROM final
ORDER BY received_at, submission_id
