#include <fmt/format.h>

#include <fstream>
#include <set>

#include "base/strings.h"
#include "cli/fleet.h"
#include "pg/connection.h"

namespace tide::cli::fleet {

namespace {

namespace fs = std::filesystem;

// A duplicate or an unreadable URL names where it came from: the file's line, or the query's row.
struct Origin {
  std::string file;  // --targets FILE, or "" for --targets-query
  int line = 0;
  Error At(Error error) const {
    if (!file.empty()) return std::move(error).At({file, line, 1});
    return std::move(error).WithContext(fmt::format("--targets-query, row {}", line));
  }
};

Status AddTarget(const std::string& url, const Origin& origin, std::set<std::string>& seen,
                 std::vector<Target>& out) {
  Status valid = pg::ValidateConninfo(url);
  if (!valid.ok()) {
    return origin.At(Error::Input(fmt::format("not a database URL: {}", valid.error().message())));
  }
  if (!seen.insert(url).second) {
    return origin.At(Error::Input("the same target twice: " + pg::RedactConninfo(url)));
  }
  out.push_back({url, origin.line, "", "", false});
  return Ok();
}

Result<std::vector<Target>> ReadTargetsFile(const fs::path& file) {
  std::ifstream in(file);
  if (!in) return Error::Usage(fmt::format("--targets {}: cannot read the file", file.string()));
  std::vector<Target> out;
  std::set<std::string> seen;
  std::string line;
  for (int n = 1; std::getline(in, line); ++n) {
    std::string url(Trim(line));
    if (url.empty() || url[0] == '#') continue;
    TIDE_TRY(AddTarget(url, {file.string(), n}, seen, out));
  }
  if (out.empty()) return Error::Usage(fmt::format("--targets {}: no URL in it", file.string()));
  return out;
}

// --targets-query: the first column of each row, read in a read-only transaction (the query is
// the user's own SQL; it cannot change the catalog database).
Result<std::vector<Target>> QueryTargets(const std::string& catalog_url, const std::string& sql) {
  if (catalog_url.empty()) {
    return Error::Usage("--targets-query needs the database to run it on: --catalog-url URL");
  }
  TIDE_TRY(pg::ValidateConninfo(catalog_url));
  auto conn = pg::Connection::Open(catalog_url, "tide-fleet");
  if (!conn.ok()) return conn.error().WithContext("--catalog-url " + pg::RedactConninfo(catalog_url));
  TIDE_TRY(conn->Run("BEGIN READ ONLY"));
  auto rows = conn->Query(sql);
  (void)conn->Run("ROLLBACK");
  if (!rows.ok()) return rows.error().WithContext("--targets-query");
  if (rows->columns() < 1) return Error::Usage("--targets-query returned no column");
  std::vector<Target> out;
  std::set<std::string> seen;
  for (int i = 0; i < rows->rows(); ++i) {
    if (rows->IsNull(i, 0)) {
      return Error::Input(fmt::format("--targets-query, row {}: the URL is NULL", i + 1));
    }
    TIDE_TRY(AddTarget(std::string(Trim(rows->Get(i, 0))), {"", i + 1}, seen, out));
  }
  if (out.empty()) return Error::Usage("--targets-query returned no row: no target to run on");
  return out;
}

// The target's schemas matching the pattern (system schemas never do).
Result<std::vector<std::string>> ListSchemas(const std::string& url, const std::string& glob) {
  TIDE_ASSIGN(auto conn, pg::Connection::Open(url, "tide-fleet"));
  TIDE_ASSIGN(auto r, conn.Query("SELECT nspname FROM pg_namespace WHERE nspname LIKE $1 "
                                 "AND nspname !~ '^pg_' AND nspname <> 'information_schema' "
                                 "ORDER BY nspname COLLATE \"C\"",
                                 {GlobToLike(glob)}));
  std::vector<std::string> out;
  for (int i = 0; i < r.rows(); ++i) out.push_back(r.Get(i, 0));
  return out;
}

}  // namespace

std::string Target::Name() const {
  std::string name = pg::RedactConninfo(url);
  return schema.empty() ? name : name + " schema " + schema;
}

std::string Target::Key() const {
  return Fingerprint(schema.empty() ? url : url + '\x1f' + schema);
}

std::string GlobToLike(std::string_view glob) {
  std::string out;
  for (char c : glob) {
    if (c == '*') {
      out += '%';
    } else if (c == '?') {
      out += '_';
    } else {
      if (c == '%' || c == '_' || c == '\\') out += '\\';
      out += c;
    }
  }
  return out;
}

std::string Fingerprint(std::string_view text) {
  uint64_t h = 1469598103934665603ull;
  for (unsigned char c : text) {
    h ^= c;
    h *= 1099511628211ull;
  }
  return fmt::format("{:016x}", h);
}

Result<std::vector<Target>> ResolveTargets(Context& ctx) {
  std::vector<Target> targets;
  if (!ctx.targets_file.empty() && !ctx.targets_query.empty()) {
    return Error::Usage("--targets FILE and --targets-query SQL both name the targets: give one");
  }
  if (!ctx.targets_file.empty()) {
    TIDE_ASSIGN(targets, ReadTargetsFile(ctx.targets_file));
  } else if (!ctx.targets_query.empty()) {
    TIDE_ASSIGN(targets, QueryTargets(ctx.catalog_url, ctx.targets_query));
  } else {
    // --schemas on one database: the configured URL is the one target.
    TIDE_ASSIGN(const config::Settings* settings, ctx.Settings());
    TIDE_ASSIGN(std::string url, settings->RequireUrl());
    targets.push_back({url, 0, "", "", false});
  }
  if (ctx.schemas.empty()) return targets;
  std::vector<Target> units;
  for (const auto& t : targets) {
    auto schemas = ListSchemas(t.url, ctx.schemas);
    if (!schemas.ok()) {
      units.push_back({t.url, t.line, "", "cannot list its schemas: " +
                                              pg::ScrubSecrets(schemas.error().message()),
                       false});
    } else if (schemas->empty()) {
      units.push_back({t.url, t.line, "", "", true});
    }
    for (const auto& s : schemas.ok() ? *schemas : std::vector<std::string>{}) {
      units.push_back({t.url, t.line, s, "", false});
    }
  }
  return units;
}

}  // namespace tide::cli::fleet
