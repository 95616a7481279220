-- Question: which submission counts now for each (unit, year, return type)?
CREATE OR REPLACE VIEW current_submissions AS
WITH
history AS (
    SELECT * FROM submission_history
),

final AS (
    SELECT * EXCLUDE (is_current, superseded_by)
    FROM history
    WHERE is_current
)

SELECT * FROM final;
