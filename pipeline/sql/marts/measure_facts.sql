-- Question: which current figures feed the measures, and where did each come from?
-- One row per current value with its measure, the submitting unit, the entity it describes (the unit
-- itself, a county, or an inspected unit), and its provenance (file, sheet, cell). The status rules in
-- pipeline/status/ read this and nothing else, optionally restricted to a set of years.
WITH
values_src AS (
    SELECT * FROM current_values
),

submissions_src AS (
    SELECT submission_id, file_name, received_at FROM current_submissions
),

final AS (
    SELECT
        v.year,
        v.measure,
        v.indicator,
        v.return_code,
        v.unit_code,
        v.entity_code,
        v.row_no,
        v.value_num,
        v.value_bool,
        v.value_date,
        v.value_text,
        v.raw_text,
        v.remark,
        v.submission_id,
        s.file_name,
        v.sheet,
        v.cell
    FROM values_src AS v
    INNER JOIN submissions_src AS s USING (submission_id)
    WHERE $first_year IS NULL OR v.year >= $first_year
)

SELECT * FROM final
ORDER BY year, measure, indicator, unit_code, entity_code, row_no
