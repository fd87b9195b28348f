#include "exec/index_builder.h"

#include <fmt/format.h>

#include <algorithm>

#include "base/fault.h"
#include "base/strings.h"

namespace tide::exec {

Result<std::vector<IndexBuilder::IndexInfo>> IndexBuilder::IndexesOf(const std::string& table) {
  std::vector<IndexInfo> out;
  TIDE_ASSIGN(auto r, conn_.Query("SELECT c.relname, i.indisvalid FROM pg_index i "
                                  "JOIN pg_class c ON c.oid = i.indexrelid "
                                  "WHERE i.indrelid = to_regclass($1) ORDER BY c.relname",
                                  {table}));
  for (int i = 0; i < r.rows(); ++i) out.push_back({r.Get(i, 0), r.GetBool(i, 1)});
  return out;
}

Result<std::string> IndexBuilder::SchemaOf(const std::string& table) {
  TIDE_ASSIGN(auto v, conn_.QueryValue("SELECT n.nspname FROM pg_class c JOIN pg_namespace n "
                                       "ON n.oid = c.relnamespace WHERE c.oid = to_regclass($1)",
                                       {table}));
  if (!v) return Error::Failed(fmt::format("table {} does not exist", table));
  return *v;
}

Status IndexBuilder::DropIndex(const std::string& qualified) {
  reporter_.Info(fmt::format("    dropping the invalid index {} left by a failed build",
                             qualified));
  TIDE_TRY(conn_.Run(fmt::format("DROP INDEX CONCURRENTLY IF EXISTS {}", qualified)));
  FaultPoint("index.leftover_dropped");
  return Ok();
}

Status IndexBuilder::Create(const plan::Step& step, nlohmann::json& outputs, int step_index,
                            const std::function<Status()>& save) {
  const std::string table = step.lock_tables.empty() ? "" : step.lock_tables[0];
  TIDE_ASSIGN(std::string schema, SchemaOf(table));
  std::string before_key = fmt::format("indexes_before:{}", step_index);
  if (step.object_name.empty() && !outputs.contains(before_key)) {
    TIDE_ASSIGN(auto existing, IndexesOf(table));
    nlohmann::json names = nlohmann::json::array();
    for (const auto& ix : existing) names.push_back(ix.name);
    outputs[before_key] = names;
    TIDE_TRY(save());
  }
  // The indexes this build is responsible for: its name, or what appeared since it started.
  auto ours = [&](const IndexInfo& ix) {
    if (!step.object_name.empty()) return ix.name == step.object_name;
    const auto& before = outputs[before_key];
    return std::find(before.begin(), before.end(), ix.name) == before.end();
  };
  auto leftovers = [&]() -> Result<bool> {  // true when a valid index is already there
    TIDE_ASSIGN(auto now, IndexesOf(table));
    for (const auto& ix : now) {
      if (!ours(ix)) continue;
      if (ix.valid) return true;
      TIDE_TRY(DropIndex(QuoteQualified(schema, ix.name)));
    }
    return false;
  };
  TIDE_ASSIGN(bool done, leftovers());
  if (done) {
    reporter_.Info("    the index is already built (an earlier run finished it)");
    return Ok();
  }
  Status built = retry_.Run("CREATE INDEX CONCURRENTLY", step.lock_tables, step.lock,
                            /*transactional=*/false, [&](pg::Connection& conn) -> Status {
                              FaultPoint("index.before_create");
                              Status st = conn.Run(step.sql);
                              if (st.ok()) {
                                FaultPoint("index.after_create");
                                return st;
                              }
                              // Clean up before the retry (or the failure) so no INVALID index
                              // stays behind.
                              if (!conn.IsBroken()) {
                                auto cleaned = leftovers();
                                if (!cleaned.ok()) return cleaned.error();
                              }
                              return st;
                            });
  if (!built.ok() && built.error().sqlstate() == "23505") {
    return std::move(built).error().Context(
        "the unique index cannot be built because the table holds duplicates; the invalid "
        "index was dropped");
  }
  return built;
}

Status IndexBuilder::Drop(const plan::Step& step) {
  return retry_.Run("DROP INDEX CONCURRENTLY", step.lock_tables, step.lock, false,
                    [&](pg::Connection& conn) -> Status {
                      // A resumed run may find the index gone already: that is done.
                      TIDE_ASSIGN(auto still, conn.QueryValue(
                                                  "SELECT to_regclass($1)::text",
                                                  {step.object_name}));
                      if (!still) return Ok();
                      return conn.Run(step.sql);
                    });
}

Status IndexBuilder::Reindex(const plan::Step& step) {
  Status st = retry_.Run("REINDEX CONCURRENTLY", step.lock_tables, step.lock, false,
                         [&](pg::Connection& conn) { return conn.Run(step.sql); });
  if (!st.ok() && !conn_.IsBroken() && !step.lock_tables.empty()) {
    // A failed REINDEX CONCURRENTLY leaves *_ccnew indexes behind.
    TIDE_ASSIGN(std::string schema, SchemaOf(step.lock_tables[0]));
    TIDE_ASSIGN(auto now, IndexesOf(step.lock_tables[0]));
    for (const auto& ix : now) {
      if (!ix.valid && ix.name.find("_ccnew") != std::string::npos) {
        TIDE_TRY(DropIndex(QuoteQualified(schema, ix.name)));
      }
    }
  }
  return st;
}

}  // namespace tide::exec
