-- Rule kind `share_not_below_last_year` (第14条), as rules_funding.judge_share_not_below_last_year judges it, for
-- every year at once.
-- Question: has none of the industry unions' shares (part ÷ whole: awards, training, rest, aid) fallen below last
-- year's? Judged for the province only, on its own figures of the return $return_code.
--   Each pair ($parts[i] ÷ $wholes[i]) has a share when its part is there and its whole is there and not 0.
--   Last year's shares count only after the baseline year and when the province filed the return last year.
--   A pair is compared when it has a share this year and last year; it is lower when below last year's share.
--   Return not filed this year: 无数据 without a metric. No pair compared: 无数据 (with the metric).
--   None lower: 达标; every one lower: 未达标; some lower: 预警.
-- The metric is this year's share of the first pair (NULL when it has none).
WITH
pairs AS (
    SELECT i AS pair_no, $parts[i] AS part, $wholes[i] AS whole
    FROM range(1, len($parts) + 1) AS r(i)
),

filed AS (
    SELECT DISTINCT year FROM status_coverage WHERE return_code = $return_code AND unit_code = $province
),

figures AS (
    SELECT year, indicator, value_num
    FROM first_figures(list_concat($parts, $wholes))
    WHERE entity_code = $province
),

shares AS (
    SELECT w.year, p.pair_no, CASE WHEN w.value_num <> 0 THEN pt.value_num / w.value_num END AS share
    FROM pairs AS p
    JOIN figures AS w ON w.indicator = p.whole
    LEFT JOIN figures AS pt ON pt.indicator = p.part AND pt.year = w.year
),

judged_years AS (
    SELECT
        y.year,
        y.year IN (SELECT year FROM filed) AS filed_now,
        y.year > $baseline AND y.year - 1 IN (SELECT year FROM filed) AS filed_before
    FROM status_years AS y
),

compared AS (
    SELECT
        y.year,
        p.pair_no,
        now.share AS now,
        CASE WHEN y.filed_before THEN before.share END AS before
    FROM judged_years AS y
    CROSS JOIN pairs AS p
    LEFT JOIN shares AS now ON now.year = y.year AND now.pair_no = p.pair_no
    LEFT JOIN shares AS before ON before.year = y.year - 1 AND before.pair_no = p.pair_no
    WHERE y.filed_now
),

counts AS (
    SELECT
        year,
        count(*) FILTER (WHERE now IS NOT NULL AND before IS NOT NULL) AS comparable,
        count(*) FILTER (WHERE now IS NOT NULL AND before IS NOT NULL AND now < before - $tolerance) AS lower,
        any_value(now) FILTER (WHERE pair_no = 1) AS first_share
    FROM compared
    GROUP BY year
)

SELECT
    y.year,
    $province_scope AS unit_code,
    CASE
        WHEN c.year IS NULL OR c.comparable = 0 THEN $no_data
        WHEN c.lower = 0 THEN $on_track
        WHEN c.lower = c.comparable THEN $off_track
        ELSE $at_risk
    END AS status,
    c.first_share AS metric
FROM status_years AS y
LEFT JOIN counts AS c ON c.year = y.year
ORDER BY y.year
