-- Question: which figures count now? One row per value of a current submission, with its unit, year,
-- return type, the indicator's measure and catalog attributes, and where it came from (sheet, cell).
CREATE OR REPLACE VIEW current_values AS
WITH
current_src AS (
    SELECT submission_id, unit_code, year, return_code, is_demo FROM current_submissions
),

values_src AS (
    SELECT * FROM raw_values
),

indicators AS (
    SELECT * FROM catalog_indicators
),

final AS (
    SELECT
        s.unit_code,
        s.year,
        s.return_code,
        -- The catalog copy is the source; the code prefix m<N>_ keeps values of an indicator since
        -- removed from the catalog attached to their measure.
        coalesce(i.measure, try_cast(regexp_extract(v.indicator, '^m(\d+)_', 1) AS INTEGER)) AS measure,
        v.indicator,
        i.name AS indicator_name,
        i.unit AS indicator_unit,
        i.type AS indicator_type,
        i.level,
        v.entity_code,
        v.row_no,
        v.value_num,
        v.value_text,
        v.value_date,
        v.value_bool,
        v.raw_text,
        v.remark,
        v.note,
        s.is_demo,
        s.submission_id,
        v.sheet,
        v.cell
    FROM values_src AS v
    INNER JOIN current_src AS s USING (submission_id)
    LEFT JOIN indicators AS i ON i.code = v.indicator
)

SELECT * FROM final;
