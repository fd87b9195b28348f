// The tide.toml that `tide init` writes: every setting, commented, at its default.
#include <string>

#include "config/settings.h"

namespace tide::config {

std::string DefaultConfigText() {
  return R"(# tide.toml: settings for tide in this project. Flags and the environment
# (TIDE_URL, TIDE_LOCATIONS, TIDE_SCHEMA, TIDE_LOCK_TIMEOUT) take precedence over this file;
# this file takes precedence over a Flyway project's flyway.conf / flyway.toml.

# The database: a libpq URI or key=value string. Better kept out of the file when it holds a
# password: export TIDE_URL instead (or use ~/.pgpass).
# url = "postgresql://app@localhost:5432/app"

# Where migrations live: V<version>__<description>.sql, R__<description>.sql, V..__...yaml.
# Flyway's "filesystem:" prefix works too.
locations = ["migrations"]

# Schema of the history table (flyway_schema_history); default: the connection's current schema.
# schema = "public"

# How long one DDL statement may wait for its table lock before tide gives up and retries.
# While it waits, queries on that table queue behind it: keep it short.
lock_timeout = "500ms"

# How long tide keeps retrying one step before it stops with a clear error.
lock_wait = "5m"

# How long a second run (or repair) waits for the migration lock while another run works.
# migration_lock_wait = "10m"

# When the connection to the server is lost mid-migration (a restart, a failover, a dropped
# connection), how long tide keeps reconnecting before it stops, state saved, to be resumed.
# reconnect_wait = "1m"

[backfill]
# Batched UPDATEs aim for batches of this duration; each is its own short transaction, and an
# application write to a row of the batch waits at most about this long.
target_batch = "20ms"
# Tables with fewer rows than this run statements as written (atomic, in the file's transaction).
small_table_rows = 10000
# Pause batches while a standby replays more than this far behind (a duration of replay lag, an
# amount of WAL, or both in a list); a pause longer than max_throttle_wait stops the run,
# resumable after its last batch.
# max_replica_lag = ["2s", "1GB"]
# max_throttle_wait = "30min"

# [placeholders]
# ${name} in migrations is replaced with its value here, as Flyway does (flyway.placeholders.*
# in flyway.conf works too). Built in: ${flyway:defaultSchema}, ${flyway:user},
# ${flyway:database}, ${flyway:timestamp}, ${flyway:filename}, ${flyway:table}.
# owner = "app"

# [gate]
# Before a contract, refuse while sessions of an older release are connected
# (application_name "customer-api/1.4.2").
# app = "customer-api"
# version = "2.0"
# standby_urls = ["postgresql://replica1/app"]
# pooler_admin_urls = ["postgresql://pgbouncer@pooler:6432/pgbouncer"]  # SHOW CLIENTS

# [drift]
# tide check --drift leaves these out (globs on schema.table, schema.table.column...): objects
# a team manages outside the migration history.
# ignore = ["public.legacy_*", "audit.*"]
)";
}

}  // namespace tide::config
