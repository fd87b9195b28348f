#include "store/session.h"

#include <fmt/format.h>

#include "base/strings.h"
#include "pg/pooler.h"

namespace tide::store {

namespace {

// Refuses a transaction-mode pooler before anything is set, locked or written on the connection.
Status RefusePooler(pg::Connection& conn, const config::Settings& settings,
                    const std::string& url) {
  TIDE_ASSIGN(pg::PoolerCheck check, pg::DetectPooler(conn));
  if (check.kind != pg::PoolingKind::kTransaction) return Ok();
  auto source = settings.sources.find("url");
  bool direct = source != settings.sources.end() &&
                (source->second.find("direct-url") != std::string::npos ||
                 source->second.find("DIRECT_URL") != std::string::npos);
  std::string which = direct ? "--direct-url " : "";
  Error error = Error::Usage(fmt::format(
      "{}{} goes through a connection pooler in transaction mode (PgBouncer or alike): {}. "
      "Each transaction may run on another server session, so tide's migration lock, "
      "lock_timeout and concurrent index builds would not hold, and its settings would stay "
      "behind on sessions the application uses. Nothing was changed.",
      which, pg::RedactConninfo(url), check.evidence));
  if (!direct) {
    return std::move(error).WithHint(
        "also give tide the server itself, bypassing the pooler: --direct-url "
        "postgresql://user@db-host:5432/db (or TIDE_DIRECT_URL); "
        "tide then works over that URL only");
  }
  return std::move(error).WithHint(
      "--direct-url must reach the server itself (its own host and port), "
      "not the pooler");
}

}  // namespace

Result<Session> Session::Open(const config::Settings& settings) {
  TIDE_ASSIGN(std::string url, settings.RequireUrl());
  TIDE_ASSIGN(pg::Connection conn, pg::Connection::Open(url));
  TIDE_TRY(RefusePooler(conn, settings, url));
  std::string schema = settings.schema;
  std::string search_path;
  if (schema.empty()) {
    TIDE_ASSIGN(auto current, conn.QueryValue("SELECT current_schema()"));
    if (!current) {
      return Error::Usage("the connection has no current schema (search_path is empty)")
          .WithHint("pass --schema NAME");
    }
    schema = *current;
  } else {
    // As Flyway does with its default schema: unqualified names in migrations land in it.
    search_path = QuoteIdent(schema);
    TIDE_TRY(conn.Query("SELECT set_config('search_path', $1, false)", {search_path}));
  }
  return Session(std::move(conn), HistoryTable(schema, settings.history_table), search_path);
}

Status Session::Reconnect() {
  TIDE_TRY(conn_.Reconnect());
  if (!search_path_.empty()) {
    TIDE_TRY(conn_.Query("SELECT set_config('search_path', $1, false)", {search_path_}));
  }
  return Ok();
}
}  // namespace tide::store
