-- Pieces every status query shares, made once on the fact store's connection (pipeline/status/facts.py) beside
-- first_figures. They read the frames named for each question (status_years, status_units, status_coverage).

-- Every unit of a registry type in every judged year, with its place in the registry.
CREATE OR REPLACE TEMP MACRO units_each_year(unit_type) AS TABLE
SELECT y.year, u.code AS unit_code, u.position
FROM status_years AS y
CROSS JOIN status_units AS u
WHERE u.type = unit_type;

-- Who filed a current return of a type, by year.
CREATE OR REPLACE TEMP MACRO filed_returns(code) AS TABLE
SELECT DISTINCT year, unit_code
FROM status_coverage
WHERE return_code = code;

-- A key figure against green and an optional amber threshold (rules_common.grade): a figure exactly at a threshold
-- meets it; no figure is 无数据. The status words come in as the query's parameters.
CREATE OR REPLACE TEMP MACRO graded(metric, green, amber, tolerance, on_track, at_risk, off_track, no_data) AS
CASE
    WHEN metric IS NULL THEN no_data
    WHEN metric >= green - tolerance THEN on_track
    WHEN amber IS NOT NULL AND metric >= amber - tolerance THEN at_risk
    ELSE off_track
END;
