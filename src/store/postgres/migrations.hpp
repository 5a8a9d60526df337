#pragma once
// The PostgreSQL schema, as an ordered list of migrations. Migration i brings the
// database from version i to i+1 (henge_schema.version). Append only: never edit a
// released one. JSON documents are stored as text, byte for byte as henge wrote them:
// a device verifies its config's sha256 over the bytes it is sent, and jsonb would
// reorder keys.

#include <array>

namespace henge::store::postgres {

inline constexpr std::array kMigrations = {
    R"sql(
CREATE TABLE meta (
  key   TEXT PRIMARY KEY,
  value BIGINT NOT NULL
);
INSERT INTO meta (key, value) VALUES ('revision', 0);

CREATE TABLE devices (
  id                TEXT PRIMARY KEY,
  schema_name       TEXT NOT NULL,
  labels            TEXT NOT NULL,
  token_hash        TEXT NOT NULL UNIQUE,
  device_values     TEXT NOT NULL,
  desired_revision  BIGINT NOT NULL,
  desired_config    TEXT NOT NULL,
  desired_sha256    TEXT NOT NULL,
  desired_schema    TEXT NOT NULL,
  created_at        BIGINT NOT NULL,
  updated_at        BIGINT NOT NULL,
  connected_replica TEXT NOT NULL DEFAULT '',
  last_seen         BIGINT NOT NULL DEFAULT 0,
  applied_revision  BIGINT NOT NULL DEFAULT 0,
  applied_at        BIGINT NOT NULL DEFAULT 0,
  rejected_revision BIGINT NOT NULL DEFAULT 0,
  state_error       TEXT NOT NULL DEFAULT '',
  reported          TEXT NOT NULL DEFAULT 'null'
);
CREATE INDEX devices_by_schema ON devices (schema_name, id);
-- The change feed reads the rows a range of revisions moved.
CREATE INDEX devices_by_desired_revision ON devices (desired_revision);
CREATE INDEX devices_by_replica ON devices (connected_replica) WHERE connected_replica <> '';

CREATE TABLE device_groups (
  group_name TEXT NOT NULL,
  device_id  TEXT NOT NULL REFERENCES devices (id) ON DELETE CASCADE,
  PRIMARY KEY (group_name, device_id)
);
CREATE INDEX device_groups_by_device ON device_groups (device_id);

CREATE TABLE schemas (
  name       TEXT NOT NULL,
  version    BIGINT NOT NULL,
  document   TEXT NOT NULL,
  revision   BIGINT NOT NULL,
  created_at BIGINT NOT NULL,
  PRIMARY KEY (name, version)
);

CREATE TABLE groups (
  name         TEXT PRIMARY KEY,
  priority     BIGINT NOT NULL,
  group_values TEXT NOT NULL,
  revision     BIGINT NOT NULL,
  created_at   BIGINT NOT NULL,
  updated_at   BIGINT NOT NULL
);

CREATE TABLE history (
  device_id TEXT NOT NULL REFERENCES devices (id) ON DELETE CASCADE,
  revision  BIGINT NOT NULL,
  at        BIGINT NOT NULL,
  actor     TEXT NOT NULL,
  action    TEXT NOT NULL,
  change    TEXT NOT NULL,
  config    TEXT NOT NULL,
  sha256    TEXT NOT NULL,
  PRIMARY KEY (device_id, revision)
);

CREATE TABLE audit (
  seq        BIGSERIAL PRIMARY KEY,
  at         BIGINT NOT NULL,
  actor      TEXT NOT NULL,
  action     TEXT NOT NULL,
  target     TEXT NOT NULL,
  change     TEXT NOT NULL,
  request_id TEXT NOT NULL,
  remote     TEXT NOT NULL,
  revision   BIGINT NOT NULL
);
CREATE INDEX audit_by_target ON audit (target, seq);
CREATE INDEX audit_by_actor ON audit (actor, seq);

CREATE TABLE tokens (
  hash       TEXT PRIMARY KEY,
  name       TEXT NOT NULL UNIQUE,
  role       TEXT NOT NULL,
  created_at BIGINT NOT NULL,
  expires_at BIGINT NOT NULL
);

-- The live henged replicas: each renews its lease; a device's stream counts as
-- connected only while the replica holding it has a lease that has not expired.
CREATE TABLE replicas (
  id         TEXT PRIMARY KEY,
  started_at BIGINT NOT NULL,
  expires_at BIGINT NOT NULL
);
)sql",
    // 2: documents no read could get past, moved aside whole (quarantine.hpp). The
    // store fills it when it migrates to this version.
    R"sql(
CREATE TABLE quarantine (
  seq         BIGSERIAL PRIMARY KEY,
  at          BIGINT NOT NULL,
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
inline constexpr std::size_t kQuarantineVersion = 2;

}  // namespace henge::store::postgres
