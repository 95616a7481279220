-- Question (催报名单): whom to call at each unit of $codes, and when did it last send anything?
-- The contact is the submitter and phone of the unit's most recent submission (any year, any return type,
-- rejected ones included: their header was still typed by the unit) that gives a phone number.
WITH
wanted AS (
    SELECT unnest($codes::VARCHAR[]) AS unit_code
),

submitted AS (
    SELECT submission_id, unit_code, submitter, phone, received_at
    FROM submissions
    WHERE unit_code IN (SELECT unit_code FROM wanted)
),

latest_contact AS (
    SELECT unit_code, submitter, phone, received_at AS contact_received_at
    FROM submitted
    WHERE phone IS NOT NULL AND trim(phone) <> ''
    QUALIFY row_number() OVER (PARTITION BY unit_code ORDER BY received_at DESC, submission_id DESC) = 1
),

latest_any AS (
    SELECT unit_code, max(received_at) AS last_received_at
    FROM submitted
    GROUP BY unit_code
),

final AS (
    SELECT
        w.unit_code,
        c.submitter,
        c.phone,
        c.contact_received_at,
        a.last_received_at
    FROM wanted AS w
    LEFT JOIN latest_contact AS c USING (unit_code)
    LEFT JOIN latest_any AS a USING (unit_code)
)

SELECT * FROM final
ORDER BY unit_code
