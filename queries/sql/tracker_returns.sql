-- Question (报送情况): for one reporting year and return type, what has each expected unit submitted?
-- One row per unit of $units (in the registry's order): its current accepted version, the accepted versions
-- that version replaced, and the files of this unit, year and type that were rejected (one refused for its year is
-- counted in the year it was sent for, as in tracker_rejected.sql).
-- Timeliness: a unit is on time when its FIRST accepted version was received on or before $deadline (a later
-- correction does not make an on-time unit late); only the received date counts, not the time of day.
WITH
expected AS (
    SELECT unnest($units, recursive := true)
),

history AS (
    SELECT submission_id, unit_code, file_name, received_at, filled_on, submitter, phone, status, is_current
    FROM submission_history
    WHERE coalesce(year, year(received_at) - 1) = $year  -- a rejected file without a year: as tracker_rejected
      AND return_code = $return_code
      AND unit_code IS NOT NULL
),

current_version AS (
    SELECT unit_code, file_name, received_at, filled_on, submitter, phone
    FROM history
    WHERE is_current
),

accepted AS (
    SELECT
        unit_code,
        min(received_at) AS first_received_at,
        count(*) FILTER (WHERE NOT is_current) AS superseded_count,
        list(file_name ORDER BY received_at, submission_id) FILTER (WHERE NOT is_current) AS superseded_files
    FROM history
    WHERE status IN ('accepted', 'accepted_with_warnings')
    GROUP BY unit_code
),

rejected AS (
    SELECT
        unit_code,
        count(*) AS rejected_count,
        list(file_name ORDER BY received_at, submission_id) AS rejected_files
    FROM history
    WHERE status = 'rejected'
    GROUP BY unit_code
),

final AS (
    SELECT
        e.position,
        e.code AS unit_code,
        e.name AS unit_name,
        CASE
            WHEN c.unit_code IS NOT NULL AND a.first_received_at::DATE <= $deadline THEN 'on_time'
            WHEN c.unit_code IS NOT NULL THEN 'late'
            WHEN r.rejected_count > 0 THEN 'rejected_only'
            ELSE 'missing'
        END AS status,
        c.file_name,
        c.received_at,
        c.filled_on,
        c.submitter,
        c.phone,
        a.first_received_at,
        coalesce(a.superseded_count, 0)::INTEGER AS superseded_count,
        coalesce(a.superseded_files, []::VARCHAR[]) AS superseded_files,
        coalesce(r.rejected_count, 0)::INTEGER AS rejected_count,
        coalesce(r.rejected_files, []::VARCHAR[]) AS rejected_files
    FROM expected AS e
    LEFT JOIN current_version AS c ON c.unit_code = e.code
    LEFT JOIN accepted AS a ON a.unit_code = e.code
    LEFT JOIN rejected AS r ON r.unit_code = e.code
    WHERE $scope::VARCHAR[] IS NULL OR list_contains($scope::VARCHAR[], e.code)
)

SELECT * EXCLUDE (position) FROM final
ORDER BY position
