-- Question: for every submission ever received, is it the current one for its (unit, year, return type),
-- and which later accepted submission replaced it?
-- Only accepted files (with or without warnings) that name a unit, a year and a return type compete;
-- the latest by received_at wins, submission_id breaking ties. Rejected files are never current.
CREATE OR REPLACE VIEW submission_history AS
WITH
submissions_src AS (
    SELECT * FROM submissions
),

competing AS (
    SELECT
        submission_id,
        row_number() OVER newest_first AS recency,
        lead(submission_id) OVER oldest_first AS superseded_by
    FROM submissions_src
    WHERE status IN ('accepted', 'accepted_with_warnings')
      AND unit_code IS NOT NULL
      AND year IS NOT NULL
      AND return_code IS NOT NULL
    WINDOW
        newest_first AS (PARTITION BY unit_code, year, return_code ORDER BY received_at DESC, submission_id DESC),
        oldest_first AS (PARTITION BY unit_code, year, return_code ORDER BY received_at, submission_id)
),

final AS (
    SELECT
        s.*,
        coalesce(c.recency = 1, false) AS is_current,
        c.superseded_by
    FROM submissions_src AS s
    LEFT JOIN competing AS c USING (submission_id)
)

SELECT * FROM final;
