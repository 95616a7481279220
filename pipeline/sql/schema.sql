-- Raw layer: what was submitted, exactly as validated, never updated or deleted.
-- A resubmission is a new row; the views in views/ decide which submission is current.
-- Every statement is idempotent: ensure_schema runs this file on every write cycle.

CREATE SEQUENCE IF NOT EXISTS submission_id_seq START 1;

CREATE TABLE IF NOT EXISTS submissions (
    submission_id  INTEGER PRIMARY KEY DEFAULT nextval('submission_id_seq'),
    sha256         VARCHAR NOT NULL UNIQUE,   -- the same bytes are loaded once
    file_name      VARCHAR NOT NULL,
    unit_code      VARCHAR,                   -- NULL when a rejected file could not be identified
    return_code    VARCHAR,
    year           INTEGER,
    submitter      VARCHAR,
    phone          VARCHAR,
    filled_on      DATE,
    received_at    TIMESTAMP NOT NULL,
    raw_path       VARCHAR NOT NULL,          -- the archived original under data/raw/
    status         VARCHAR NOT NULL CHECK (status IN ('accepted', 'accepted_with_warnings', 'rejected')),
    error_count    INTEGER NOT NULL,
    warning_count  INTEGER NOT NULL,
    is_demo        BOOLEAN NOT NULL,          -- workbook property demo_data: shown with the 演示数据 label
    loaded_at      TIMESTAMP NOT NULL
);

CREATE TABLE IF NOT EXISTS submission_issues (
    submission_id  INTEGER NOT NULL REFERENCES submissions (submission_id),
    seq            INTEGER NOT NULL,          -- 1-based, in the order the validator reported them
    severity       VARCHAR NOT NULL CHECK (severity IN ('error', 'warning')),
    code           VARCHAR NOT NULL,
    message        VARCHAR NOT NULL,
    fix            VARCHAR NOT NULL,
    sheet          VARCHAR NOT NULL,
    cell           VARCHAR NOT NULL,
    value          VARCHAR NOT NULL,
    indicator      VARCHAR NOT NULL DEFAULT '',  -- the indicator's Chinese name, '' when the issue is not about one
    PRIMARY KEY (submission_id, seq)
);
-- Warehouses made before issues recorded their indicator gain the column (last, as above; their rows keep '': the
-- name was not kept then). Adding a column cannot carry NOT NULL here; every insert writes it.
ALTER TABLE submission_issues ADD COLUMN IF NOT EXISTS indicator VARCHAR DEFAULT '';

CREATE TABLE IF NOT EXISTS raw_values (
    submission_id  INTEGER NOT NULL REFERENCES submissions (submission_id),
    indicator      VARCHAR NOT NULL,
    entity_code    VARCHAR NOT NULL,          -- the unit, or the county / inspected unit of a records row
    row_no         INTEGER NOT NULL,          -- 0 for unit-level values; the record's position otherwise
    value_num      DOUBLE,
    value_text     VARCHAR,
    value_date     DATE,
    value_bool     BOOLEAN,
    raw_text       VARCHAR NOT NULL,          -- the cell as typed
    remark         VARCHAR,
    sheet          VARCHAR NOT NULL,
    cell           VARCHAR NOT NULL,
    note           VARCHAR,
    PRIMARY KEY (submission_id, indicator, entity_code, row_no)
);

-- Copies of the catalog, rewritten by sync_catalog on every write cycle so views can join on them.
CREATE TABLE IF NOT EXISTS catalog_measures (
    number      INTEGER PRIMARY KEY,
    chapter     VARCHAR NOT NULL,
    short_name  VARCHAR NOT NULL
);

CREATE TABLE IF NOT EXISTS catalog_indicators (
    code        VARCHAR PRIMARY KEY,
    measure     INTEGER NOT NULL,
    name        VARCHAR NOT NULL,
    unit        VARCHAR NOT NULL,
    type        VARCHAR NOT NULL,
    table_code  VARCHAR NOT NULL,
    return_code VARCHAR NOT NULL,
    level       VARCHAR NOT NULL
);
