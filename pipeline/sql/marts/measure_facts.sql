-- Question: which current figures feed the measures, and where did each come from?
-- One row per current value with its measure, the submitting unit, the entity it describes (the unit
-- itself, a county, or an inspected unit), and its provenance (file, sheet, cell). The status rules in
-- pipeline/status/ read this and nothing else, one year at a time (pipeline/status/facts.py filters it by year;
-- DuckDB pushes that filter down to the scan).
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
)

SELECT * FROM final
ORDER BY year, measure, indicator, unit_code, entity_code, row_no
