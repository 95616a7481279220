-- Question: which figures changed implausibly since the year before (pipeline/status/anomalies.py says why)?
-- Runs over `facts` (the measure_facts mart, or the same rows held in memory). One figure per (indicator, entity,
-- year): the first row of the entity. Paired with the entity's figure of the year before (LAG over the years; a gap
-- is not a pair), then flagged when the change is large both absolutely (at least the indicator's floor) and
-- relatively (the larger value at least $ratio times the smaller, or either at or below zero).
-- Parameters: $codes, the indicators that form a yearly series; $floors, each one's floor in the same order;
-- $ratio; $year, the year to flag (NULL for every year).
WITH
series AS (
    SELECT
        year,
        indicator,
        unit_code,
        entity_code,
        row_no,
        value_num::DOUBLE AS value_num,
        remark,
        row_number() OVER (PARTITION BY indicator, entity_code, year ORDER BY row_no, unit_code) AS nth
    FROM facts
    WHERE list_contains($codes, indicator) AND value_num IS NOT NULL
),

yearly AS (
    SELECT * EXCLUDE (nth) FROM series WHERE nth = 1
),

paired AS (
    SELECT
        *,
        lag(value_num) OVER by_entity AS previous,
        lag(year) OVER by_entity AS previous_year,
        list_extract($floors, list_position($codes, indicator)) AS floor
    FROM yearly
    WINDOW by_entity AS (PARTITION BY indicator, entity_code ORDER BY year)
),

final AS (
    SELECT year, indicator, unit_code, entity_code, row_no, value_num, remark, previous
    FROM paired
    WHERE previous_year = year - 1
      AND ($year IS NULL OR year = $year)
      AND abs(value_num - previous) >= floor
      AND (least(value_num, previous) <= 0 OR greatest(value_num, previous) >= $ratio * least(value_num, previous))
)

SELECT * FROM final
ORDER BY year, unit_code, entity_code, indicator
