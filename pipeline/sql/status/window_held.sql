-- Rule kind `window_held` (第1条), as rules_meetings.judge_window_held judges it, for every year at once.
-- Question: has the province held the meeting in the reporting window holding the year (windows of $window_years
-- years counted from the baseline year), counting the window's years up to the year judged?
-- One province-wide row a year, never with a metric:
--   a meeting date in the window so far (the province's own figure) is 达标, whatever else is missing;
--   otherwise, no province return filed in any year of the window so far is 无数据;
--   otherwise, a window still open (the year is before its last) is 未到期;
--   otherwise (closed window), a province return missing in any of its years is 无数据 (it may hold the meeting);
--   otherwise 未达标.
-- For its text: held_on, the meeting date of the latest year of the window so far that has one, and all_unfiled,
-- whether no province return of the window so far is in.
WITH
windows AS (
    SELECT
        year,
        $baseline + CAST(floor((year - $baseline) / $window_years) AS BIGINT) * $window_years AS window_start,
        window_start + $window_years - 1 AS window_end
    FROM status_years
),

window_so_far AS (
    -- Each judged year with every year of its window up to it.
    SELECT year, window_end, unnest(range(window_start, year + 1)) AS window_year
    FROM windows
),

held AS (
    SELECT year, value_date
    FROM first_figures([$indicator])
    WHERE entity_code = $province AND value_date IS NOT NULL
),

filed AS (
    SELECT DISTINCT year FROM status_coverage WHERE return_code = $return_code AND unit_code = $province
),

window_facts AS (
    SELECT
        w.year,
        any_value(w.window_end) AS window_end,
        count(h.year) > 0 AS held,
        arg_max(h.value_date, h.year) AS held_on,
        count(*) FILTER (WHERE f.year IS NULL) AS unfiled_years,
        count(*) AS years_so_far
    FROM window_so_far AS w
    LEFT JOIN held AS h ON h.year = w.window_year
    LEFT JOIN filed AS f ON f.year = w.window_year
    GROUP BY w.year
)

SELECT
    year,
    $province_scope AS unit_code,
    CASE
        WHEN held THEN $on_track
        WHEN unfiled_years = years_so_far THEN $no_data
        WHEN year < window_end THEN $not_due
        WHEN unfiled_years > 0 THEN $no_data
        ELSE $off_track
    END AS status,
    CAST(NULL AS DOUBLE) AS metric,
    held_on,
    unfiled_years = years_so_far AS all_unfiled
FROM window_facts
ORDER BY year
