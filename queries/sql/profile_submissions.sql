-- Question (单位画像): which files has this unit sent, for every year and return type, and which of them
-- counts now? One row per file received from $unit_code: the current version of a (year, return type), the
-- accepted versions it replaced, and the rejected files, with the submitter and phone typed in its header.
WITH
returns AS (
    SELECT unnest($returns, recursive := true)
),

history AS (
    SELECT
        submission_id, year, return_code, file_name, received_at, filled_on, submitter, phone, status,
        error_count, is_current
    FROM submission_history
    WHERE unit_code = $unit_code
),

final AS (
    SELECT
        h.submission_id,
        h.year,
        h.return_code,
        r.name AS return_name,
        h.file_name,
        h.received_at,
        h.filled_on,
        h.submitter,
        h.phone,
        CASE
            WHEN h.is_current THEN 'current'
            WHEN h.status = 'rejected' THEN 'rejected'
            ELSE 'superseded'
        END AS state,
        h.error_count
    FROM history AS h
    LEFT JOIN returns AS r ON r.code = h.return_code
)

SELECT * FROM final
ORDER BY year DESC NULLS LAST, received_at DESC, submission_id DESC
