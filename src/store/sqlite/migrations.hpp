#pragma once
// The SQLite schema, as an ordered list of migrations. Migration i brings the
// database from user_version i to i+1. Append only: never edit a released one.

#include <array>

namespace henge::store::sqlite {

inline constexpr std::array kMigrations = {
    R"sql(
CREATE TABLE meta (
  key   TEXT PRIMARY KEY,
  value INTEGER NOT NULL
) STRICT;
INSERT INTO meta (key, value) VALUES ('revision', 0);

CREATE TABLE devices (
  id               TEXT PRIMARY KEY,
  schema_name      TEXT NOT NULL,
  labels           TEXT NOT NULL,
  token_hash       TEXT NOT NULL UNIQUE,
  device_values    TEXT NOT NULL,
  desired_revision INTEGER NOT NULL,
  desired_config   TEXT NOT NULL,
  desired_sha256   TEXT NOT NULL,
  created_at       INTEGER NOT NULL,
  updated_at       INTEGER NOT NULL
) STRICT;
CREATE INDEX devices_by_schema ON devices (schema_name, id);

CREATE TABLE device_groups (
  group_name TEXT NOT NULL,
  device_id  TEXT NOT NULL REFERENCES devices (id) ON DELETE CASCADE,
  PRIMARY KEY (group_name, device_id)
) STRICT;
CREATE INDEX device_groups_by_device ON device_groups (device_id);

CREATE TABLE schemas (
  name       TEXT NOT NULL,
  version    INTEGER NOT NULL,
  document   TEXT NOT NULL,
  revision   INTEGER NOT NULL,
  created_at INTEGER NOT NULL,
  PRIMARY KEY (name, version)
) STRICT;

CREATE TABLE groups (
  name         TEXT PRIMARY KEY,
  priority     INTEGER NOT NULL,
  group_values TEXT NOT NULL,
  revision     INTEGER NOT NULL,
  created_at   INTEGER NOT NULL,
  updated_at   INTEGER NOT NULL
) STRICT;

CREATE TABLE history (
  device_id TEXT NOT NULL REFERENCES devices (id) ON DELETE CASCADE,
  revision  INTEGER NOT NULL,
  at        INTEGER NOT NULL,
  actor     TEXT NOT NULL,
  action    TEXT NOT NULL,
  change    TEXT NOT NULL,
  config    TEXT NOT NULL,
  sha256    TEXT NOT NULL,
  PRIMARY KEY (device_id, revision)
) STRICT;

CREATE TABLE audit (
  seq        INTEGER PRIMARY KEY AUTOINCREMENT,
  at         INTEGER NOT NULL,
  actor      TEXT NOT NULL,
  action     TEXT NOT NULL,
  target     TEXT NOT NULL,
  change     TEXT NOT NULL,
  request_id TEXT NOT NULL,
  remote     TEXT NOT NULL,
  revision   INTEGER NOT NULL
);
CREATE INDEX audit_by_target ON audit (target, seq);
CREATE INDEX audit_by_actor ON audit (actor, seq);

CREATE TABLE tokens (
  hash       TEXT PRIMARY KEY,
  name       TEXT NOT NULL UNIQUE,
  role       TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  expires_at INTEGER NOT NULL
) STRICT;
)sql",
    // 2: device state (connection, acknowledgements, reports) and the schema version
    // a desired config was validated against.
    R"sql(
ALTER TABLE devices ADD COLUMN desired_schema TEXT NOT NULL DEFAULT '';
ALTER TABLE devices ADD COLUMN connected INTEGER NOT NULL DEFAULT 0;
ALTER TABLE devices ADD COLUMN last_seen INTEGER NOT NULL DEFAULT 0;
ALTER TABLE devices ADD COLUMN applied_revision INTEGER NOT NULL DEFAULT 0;
ALTER TABLE devices ADD COLUMN applied_at INTEGER NOT NULL DEFAULT 0;
ALTER TABLE devices ADD COLUMN rejected_revision INTEGER NOT NULL DEFAULT 0;
ALTER TABLE devices ADD COLUMN state_error TEXT NOT NULL DEFAULT '';
ALTER TABLE devices ADD COLUMN reported TEXT NOT NULL DEFAULT 'null';
)sql",
    // 3: documents no read could get past, moved aside whole (quarantine.hpp). The
    // store fills it when it migrates to this version.
    R"sql(
CREATE TABLE quarantine (
  seq         INTEGER PRIMARY KEY AUTOINCREMENT,
  at          INTEGER NOT NULL,
  table_name  TEXT NOT NULL,
  row_name    TEXT NOT NULL,
  column_name TEXT NOT NULL,
  text        TEXT NOT NULL,
  reason      TEXT NOT NULL
);
)sql",
};

/// The version after which unreadable documents are quarantined (the migration that
/// made the table).
inline constexpr std::size_t kQuarantineVersion = 3;

}  // namespace henge::store::sqlite
