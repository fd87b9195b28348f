#include "db_compare.h"

#include "base/strings.h"
#include "base/subprocess.h"
#include "pg/cluster.h"
#include "pg/connection.h"

namespace tide::testing {

std::string SchemaDump(const std::string& url) {
  auto bindir = pg::FindServerBinDir();
  if (!bindir.ok()) {
    ADD_FAILURE() << bindir.error().ToString();
    return "";
  }
  auto r = RunCommand({*bindir + "/pg_dump", "--schema-only", "--no-owner", "--no-privileges",
                       "--exclude-table=*.flyway_schema_history",
                       "--exclude-table=*.tide_migration_state", "--exclude-table=*.tide_run_log",
                       "-d", url});
  if (!r.ok() || !r->ok()) {
    ADD_FAILURE() << "pg_dump: " << (r.ok() ? r->output : r.error().ToString());
    return "";
  }
  std::string out;
  // pg_dump marks its output with a random \restrict key; the rest must match.
  for (const auto& line : Split(r->output, '\n')) {
    if (line.rfind("\\restrict", 0) != 0 && line.rfind("\\unrestrict", 0) != 0) out += line + "\n";
  }
  return out;
}

namespace {

std::string Rows(pg::Connection& conn, const std::string& sql) {
  auto r = conn.Exec(sql);
  if (!r.ok()) {
    ADD_FAILURE() << sql << ": " << r.error().ToString();
    return "";
  }
  std::string out;
  for (int i = 0; i < r->rows(); ++i) {
    for (int c = 0; c < r->columns(); ++c) {
      out += (c ? " | " : "") + (r->IsNull(i, c) ? std::string("NULL") : r->Get(i, c));
    }
    out += "\n";
  }
  return out;
}

}  // namespace

Fingerprint TakeFingerprint(const std::string& url, const std::string& history) {
  Fingerprint f;
  auto conn = pg::Connection::Open(url, "tide-test-fingerprint");
  if (!conn.ok()) {
    ADD_FAILURE() << conn.error().ToString();
    return f;
  }
  f.schema = SchemaDump(url);
  auto tables = conn->Exec(
      "SELECT format('%I.%I', n.nspname, c.relname) FROM pg_class c JOIN pg_namespace n ON "
      "n.oid = c.relnamespace WHERE c.relkind IN ('r', 'p') AND n.nspname NOT IN "
      "('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg_toast%' AND c.relname "
      "NOT IN ('flyway_schema_history', 'tide_migration_state', 'tide_run_log') ORDER BY 1");
  if (!tables.ok()) {
    ADD_FAILURE() << tables.error().ToString();
    return f;
  }
  for (int i = 0; i < tables->rows(); ++i) {
    std::string t = tables->Get(i, 0);
    // Sorted by the row's text, so the physical order (which a resumed backfill changes) does
    // not count; every value does.
    f.rows += t + " " +
              Rows(*conn,
                   "SELECT count(*), md5(coalesce(string_agg(r::text, E'\\n' "
                   "ORDER BY r::text), '')) FROM " +
                       t + " r");
  }
  auto has_history = conn->QueryValue("SELECT to_regclass($1)::text", {history});
  if (has_history.ok() && has_history->has_value()) {
    f.history = Rows(*conn,
                     "SELECT installed_rank, version, description, type, script, checksum, "
                     "installed_by, success FROM " +
                         history + " ORDER BY installed_rank");
  }
  f.leftovers = Rows(*conn,
                     "SELECT 'invalid index', indexrelid::regclass::text FROM pg_index "
                     "WHERE NOT indisvalid OR NOT indisready "
                     "UNION ALL SELECT 'constraint', conname FROM pg_constraint "
                     "WHERE conname LIKE 'tide\\_%' AND conname NOT IN ('tide_migration_state_pkey', "
                     "'tide_run_log_pkey') "
                     "UNION ALL SELECT 'trigger', tgname FROM pg_trigger WHERE NOT tgisinternal "
                     "UNION ALL SELECT 'function', proname FROM pg_proc "
                     "WHERE proname LIKE 'tide\\_%' "
                     "UNION ALL SELECT 'relation', relname FROM pg_class WHERE relname LIKE "
                     "'tide\\_%' AND relname NOT LIKE 'tide\\_migration\\_state%' "
                     "AND relname NOT LIKE 'tide\\_run\\_log%' "
                     "ORDER BY 1, 2");
  auto state = conn->QueryValue("SELECT to_regclass('tide_migration_state')::text");
  if (state.ok() && state->has_value()) {
    f.state = Rows(*conn,
                   "SELECT script, status, next_step = steps, checkpoint IS NULL, error "
                   "FROM tide_migration_state ORDER BY script");
  }
  return f;
}

void ExpectSameDatabase(const Fingerprint& got, const Fingerprint& want, const std::string& what) {
  EXPECT_FALSE(want.schema.empty()) << what;
  EXPECT_EQ(got.schema, want.schema) << what << ": the schemas differ";
  EXPECT_EQ(got.rows, want.rows) << what << ": the rows differ";
  EXPECT_EQ(got.history, want.history) << what << ": the history differs";
  EXPECT_EQ(got.leftovers, "") << what << ": tide left objects behind";
  EXPECT_EQ(got.state, want.state) << what << ": the state table differs";
}

}  // namespace tide::testing
