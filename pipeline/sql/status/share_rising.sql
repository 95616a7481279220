-- Rule kind `share_rising` (第8条), as rules_organisation.judge_share_rising judges it, for every year at once.
-- Question: what share of the counties has the indicator ≥ 1, and is it 100% or higher than last year's?
-- A share is (counties with $county_value ≥ 1) ÷ (the registry's counties); a county without a figure does not have
-- it. Only cities with counties in the registry are judged; one that did not file this year is 无数据.
--   Each city: 100% is 达标; else 无数据 in the baseline year or when the city did not file last year; else higher
--   than last year is 达标, equal 预警, lower 未达标. Its metric is this year's share.
--   The province: the share over the reporting cities is its metric (无数据 without one when none reported). It is
--   judged as a city is, on the cities that filed both years (this year's share over just those against last
--   year's); without such cities, or in the baseline year, 100% over the reporting cities is 达标, else 无数据.
-- The rule compares shares as exact fractions (1/3 equals 2/6): here by cross-multiplying the integer counts.
WITH
cities AS (
    SELECT u.code AS city_code, u.position
    FROM status_units AS u
    WHERE u.type = $submitted_by AND EXISTS (SELECT 1 FROM status_units AS c WHERE c.parent = u.code)
),

counties AS (
    SELECT c.code AS county_code, c.parent AS city_code
    FROM status_units AS c
    JOIN cities AS t ON t.city_code = c.parent
),

filed AS (
    SELECT DISTINCT year, unit_code AS city_code FROM status_coverage WHERE return_code = $return_code
),

read_years AS (
    -- Each judged year and the year it is compared with.
    SELECT year FROM status_years
    UNION
    SELECT year - 1 FROM status_years
),

city_counts AS (
    -- Per city and year: its counties, and those with the indicator at least 1.
    SELECT
        r.year,
        c.city_code,
        count(*) AS counties,
        count(*) FILTER (WHERE f.value_num >= 1 - $tolerance) AS counties_with
    FROM read_years AS r
    CROSS JOIN counties AS c
    LEFT JOIN first_figures([$county_value]) AS f ON f.year = r.year AND f.entity_code = c.county_code
    GROUP BY r.year, c.city_code
),

city_years AS (
    SELECT
        y.year,
        c.city_code,
        c.position,
        f.city_code IS NOT NULL AS reported,
        y.year > $baseline AND l.city_code IS NOT NULL AS comparable,
        now.counties_with,
        now.counties,
        last.counties_with AS last_with,
        last.counties AS last_counties
    FROM status_years AS y
    CROSS JOIN cities AS c
    LEFT JOIN filed AS f ON f.year = y.year AND f.city_code = c.city_code
    LEFT JOIN filed AS l ON l.year = y.year - 1 AND l.city_code = c.city_code
    JOIN city_counts AS now ON now.year = y.year AND now.city_code = c.city_code
    JOIN city_counts AS last ON last.year = y.year - 1 AND last.city_code = c.city_code
),

city_rows AS (
    SELECT
        year,
        city_code AS unit_code,
        position,
        CASE
            WHEN NOT reported THEN $no_data
            WHEN counties_with = counties THEN $on_track
            WHEN NOT comparable THEN $no_data
            WHEN counties_with * last_counties > last_with * counties THEN $on_track
            WHEN counties_with * last_counties = last_with * counties THEN $at_risk
            ELSE $off_track
        END AS status,
        CASE WHEN reported THEN counties_with / counties END AS metric,
        NOT reported AS unfiled
    FROM city_years
),

province_counts AS (
    -- Over the reporting cities (now), and over those that also filed last year (both: this year and last).
    SELECT
        year,
        sum(counties_with) FILTER (WHERE reported) AS counties_with,
        sum(counties) FILTER (WHERE reported) AS counties,
        sum(counties_with) FILTER (WHERE reported AND comparable) AS both_with,
        sum(counties) FILTER (WHERE reported AND comparable) AS both_counties,
        sum(last_with) FILTER (WHERE reported AND comparable) AS last_with,
        sum(last_counties) FILTER (WHERE reported AND comparable) AS last_counties
    FROM city_years
    GROUP BY year
),

province_rows AS (
    SELECT
        y.year,
        $province_scope AS unit_code,
        -1 AS position,
        CASE
            WHEN p.counties IS NULL THEN $no_data
            WHEN p.last_counties IS NULL THEN CASE WHEN p.counties_with = p.counties THEN $on_track ELSE $no_data END
            WHEN p.both_with = p.both_counties THEN $on_track
            WHEN p.both_with * p.last_counties > p.last_with * p.both_counties THEN $on_track
            WHEN p.both_with * p.last_counties = p.last_with * p.both_counties THEN $at_risk
            ELSE $off_track
        END AS status,
        p.counties_with / p.counties AS metric,
        false AS unfiled
    FROM status_years AS y
    LEFT JOIN province_counts AS p ON p.year = y.year
)

SELECT year, unit_code, status, metric, unfiled
FROM (SELECT * FROM city_rows UNION ALL SELECT * FROM province_rows)
ORDER BY year, position
