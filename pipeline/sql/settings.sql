-- Saved settings (管理员在“设置”页保存的阈值、截止日期和单位名录的修改): append-only and versioned.
-- Each row is one saved change; payload is the WHOLE override set in force after it (JSON), so the newest row
-- alone says what is in force and restoring an earlier version is a new row with that version's payload.
-- The application never updates or deletes these rows. The files in catalog/ stay the defaults.
-- Idempotent: ensure_schema runs this file on every write cycle.

CREATE SEQUENCE IF NOT EXISTS settings_version_seq START 1;

CREATE TABLE IF NOT EXISTS settings_versions (
    id             INTEGER PRIMARY KEY DEFAULT nextval('settings_version_seq'),
    saved_at       TIMESTAMP NOT NULL,
    author         VARCHAR NOT NULL,          -- the account (or 命令行:<OS user>) that saved it
    reason         VARCHAR NOT NULL,          -- why, as the administrator wrote it
    kind           VARCHAR NOT NULL,          -- measure | deadline | unit_add | … | restore (pipeline/settings.py KINDS)
    summary        VARCHAR NOT NULL,          -- what changed, in Chinese: 第5条 会费收缴率 达标线 95% → 90%
    payload        VARCHAR NOT NULL,          -- JSON: {measures, reporting, units, retired} after the change
    restored_from  INTEGER                    -- for kind = restore: the version whose payload this repeats
);
