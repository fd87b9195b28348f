#include "exec/pg_catalog.h"

#include <fmt/format.h>

#include <algorithm>
#include <nlohmann/json.hpp>

#include "base/strings.h"

namespace tide::exec {

using plan::ColumnDetail;
using plan::ColumnFacts;

namespace {

// Types, defaults and what depends on each column: the indexes, constraints (also other tables'
// foreign keys) and views that a DROP COLUMN would break.
Status LoadDetails(pg::Connection& conn, const std::string& oid, TableFacts& facts) {
  TIDE_ASSIGN(auto cols, conn.Query(
                             "SELECT a.attname, format_type(a.atttypid, a.atttypmod), "
                             "coalesce(pg_get_expr(d.adbin, d.adrelid), ''), "
                             "a.attidentity <> '' OR a.attgenerated <> '' "
                             "FROM pg_attribute a LEFT JOIN pg_attrdef d ON d.adrelid = "
                             "a.attrelid AND d.adnum = a.attnum "
                             "WHERE a.attrelid = $1::oid AND a.attnum > 0 AND NOT a.attisdropped",
                             {oid}));
  for (int i = 0; i < cols.rows(); ++i) {
    ColumnDetail& d = facts.details[cols.Get(i, 0)];
    d.type_sql = cols.Get(i, 1);
    d.default_expr = cols.Get(i, 2);
    d.identity = cols.GetBool(i, 3);
  }
  TIDE_ASSIGN(auto uses, conn.Query(
                             "SELECT a.attname, 'index ' || i.relname FROM pg_depend d "
                             "JOIN pg_class i ON i.oid = d.objid AND i.relkind IN ('i', 'I') "
                             "JOIN pg_attribute a ON a.attrelid = d.refobjid "
                             "AND a.attnum = d.refobjsubid "
                             "WHERE d.classid = 'pg_class'::regclass AND d.refobjid = $1::oid "
                             "UNION ALL SELECT a.attname, 'constraint ' || c.conname "
                             "FROM pg_constraint c JOIN pg_attribute a ON "
                             "(a.attrelid = c.conrelid AND a.attnum = ANY(c.conkey)) OR "
                             "(a.attrelid = c.confrelid AND a.attnum = ANY(c.confkey)) "
                             "WHERE (c.conrelid = $1::oid OR c.confrelid = $1::oid) "
                             "AND a.attrelid = $1::oid "
                             "UNION ALL SELECT DISTINCT a.attname, 'view ' || v.relname "
                             "FROM pg_depend d JOIN pg_rewrite r ON r.oid = d.objid "
                             "JOIN pg_class v ON v.oid = r.ev_class "
                             "JOIN pg_attribute a ON a.attrelid = d.refobjid "
                             "AND a.attnum = d.refobjsubid "
                             "WHERE d.classid = 'pg_rewrite'::regclass AND d.refobjid = $1::oid "
                             "AND v.oid <> $1::oid ORDER BY 1, 2",
                             {oid}));
  for (int i = 0; i < uses.rows(); ++i) {
    facts.details[uses.Get(i, 0)].used_by.push_back(uses.Get(i, 1));
  }
  return Ok();
}

// Column names joined by the unit separator (a name may hold a comma, not a control byte).
std::vector<std::string> SplitKeyColumns(const std::string& joined) {
  std::vector<std::string> out;
  if (joined.empty()) return out;
  size_t from = 0;
  for (;;) {
    size_t comma = joined.find('\x1f', from);
    out.push_back(joined.substr(from, comma == std::string::npos ? std::string::npos
                                                                  : comma - from));
    if (comma == std::string::npos) break;
    from = comma + 1;
  }
  return out;
}

Status LoadColumns(pg::Connection& conn, const std::string& oid, TableFacts& facts) {
  TIDE_ASSIGN(auto cols, conn.Query(
                             "SELECT a.attname, t.typname, a.atttypmod, a.attnotnull "
                             "FROM pg_attribute a JOIN pg_type t ON t.oid = a.atttypid "
                             "WHERE a.attrelid = $1::oid AND a.attnum > 0 AND NOT a.attisdropped "
                             "ORDER BY a.attnum",
                             {oid}));
  for (int i = 0; i < cols.rows(); ++i) {
    facts.columns.push_back(
        {cols.Get(i, 0), sql::TypeFromCatalog(cols.Get(i, 1), static_cast<int>(cols.GetInt(i, 2))),
         cols.GetBool(i, 3)});
  }
  return Ok();
}

// The batching key: the primary key, else a valid unique index over NOT NULL columns only.
Status LoadKey(pg::Connection& conn, const std::string& oid, TableFacts& facts) {
  TIDE_ASSIGN(auto keys, conn.Query(
                             "SELECT i.indexrelid, a.attname, format_type(a.atttypid, a.atttypmod), "
                             "a.attnotnull "
                             "FROM pg_index i "
                             "JOIN LATERAL unnest(i.indkey) WITH ORDINALITY AS k(attnum, ord) ON true "
                             "JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum "
                             "WHERE i.indrelid = $1::oid AND i.indisunique AND i.indisvalid "
                             "AND i.indpred IS NULL AND i.indexprs IS NULL "
                             "ORDER BY i.indisprimary DESC, i.indnatts, i.indexrelid, k.ord",
                             {oid}));
  std::string chosen;
  std::vector<std::string> cols_of, types_of;
  bool all_not_null = true;
  auto take = [&] {
    if (!chosen.empty() && facts.key.empty() && all_not_null) {
      facts.key = cols_of;
      facts.key_types = types_of;
    }
  };
  for (int i = 0; i < keys.rows(); ++i) {
    if (keys.Get(i, 0) != chosen) {
      take();
      chosen = keys.Get(i, 0);
      cols_of.clear();
      types_of.clear();
      all_not_null = true;
    }
    cols_of.push_back(keys.Get(i, 1));
    types_of.push_back(keys.Get(i, 2));
    all_not_null = all_not_null && keys.GetBool(i, 3);
  }
  take();
  return Ok();
}


}  // namespace

Result<TableFacts> PgCatalog::Table(const sql::TableName& table) {
  std::string key = table.Quoted();
  auto cached = cache_.find(key);
  if (cached != cache_.end()) return cached->second;
  TableFacts facts;
  TIDE_ASSIGN(auto rel, conn_.Query(
                            "SELECT c.oid, c.relkind, c.reltuples::bigint, "
                            "pg_relation_size(c.oid), quote_ident(n.nspname) || '.' || "
                            "quote_ident(c.relname), n.nspname "
                            "FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
                            "WHERE c.oid = to_regclass($1)",
                            {key}));
  if (rel.rows() == 0) {
    facts.exists = false;
    facts.quoted = key;
    facts.small = true;
    facts.rows = 0;
    cache_[key] = facts;
    return facts;
  }
  facts.exists = true;
  std::string oid = rel.Get(0, 0);
  facts.partitioned = rel.Get(0, 1) == "p";
  int64_t reltuples = rel.GetInt(0, 2);
  int64_t bytes = rel.GetInt(0, 3);
  facts.quoted = rel.Get(0, 4);
  facts.schema = rel.Get(0, 5);

  TIDE_TRY(CountRows(facts, reltuples, bytes));
  TIDE_TRY(LoadColumns(conn_, oid, facts));
  TIDE_TRY(LoadDetails(conn_, oid, facts));
  TIDE_TRY(LoadKey(conn_, oid, facts));
  cache_[key] = facts;
  return facts;
}

Status PgCatalog::CountRows(TableFacts& facts, int64_t reltuples, int64_t bytes) {
  // Count up to the threshold: exact for small tables, cheap for big ones. Counting reads the
  // table: never wait long for it. A table locked by someone else is taken as big rather than
  // waited for.
  TIDE_TRY(conn_.Exec("BEGIN; SET LOCAL lock_timeout = '2s'"));
  auto counted = conn_.Query(
      fmt::format("SELECT count(*) FROM (SELECT 1 FROM {} LIMIT $1) s", facts.quoted),
      {std::to_string(small_table_rows_ + 1)});
  int64_t counted_rows = counted.ok() ? counted->GetInt(0, 0) : small_table_rows_ + 1;
  facts.small = counted.ok() && counted_rows <= small_table_rows_;
  if (facts.small) {
    facts.rows = counted_rows;
  } else if (reltuples >= 0) {
    facts.rows = std::max(reltuples, counted_rows);
  } else {
    facts.rows = std::max(counted_rows, EstimateUnanalyzed(facts.quoted, bytes));
  }
  (void)conn_.Exec("COMMIT");
  return Ok();
}

int64_t PgCatalog::EstimateUnanalyzed(const std::string& quoted, int64_t bytes) {
  // A modest table is counted (a fraction of a second); a big one gets the server's own
  // estimate from its size and its rows' width.
  constexpr int64_t kCountBelow = 64 * 1024 * 1024;
  int64_t estimate = bytes / 8192 * 60;
  if (bytes < kCountBelow) {
    auto r = conn_.Exec(fmt::format("SELECT count(*) FROM {}", quoted));
    return r.ok() && r->rows() ? r->GetInt(0, 0) : estimate;
  }
  auto plan = conn_.Exec(fmt::format("EXPLAIN (FORMAT JSON) SELECT * FROM {}", quoted));
  if (!plan.ok() || plan->rows() == 0) return estimate;
  auto doc = nlohmann::json::parse(plan->Get(0, 0), nullptr, false);
  if (doc.is_discarded() || !doc.is_array() || doc.empty()) return estimate;
  return doc[0]["Plan"].value("Plan Rows", estimate);
}

Result<bool> PgCatalog::RelationExists(const std::string& schema, const std::string& name) {
  return pg::RelationExists(conn_, schema, name);
}

Result<std::optional<bool>> PgCatalog::FunctionIsVolatile(const std::string& name) {
  TIDE_ASSIGN(auto v, conn_.QueryValue(
                          "SELECT bool_or(provolatile = 'v') FROM pg_proc WHERE proname = $1",
                          {name}));
  if (!v.has_value()) return std::optional<bool>();
  const std::string& text = v.value();
  return std::optional<bool>(!text.empty() && text[0] == 't');
}

Result<std::optional<sql::TableName>> PgCatalog::TableOfIndex(const sql::TableName& index) {
  TIDE_ASSIGN(auto r, conn_.Query(
                          "SELECT n.nspname, t.relname FROM pg_index i "
                          "JOIN pg_class t ON t.oid = i.indrelid "
                          "JOIN pg_namespace n ON n.oid = t.relnamespace "
                          "WHERE i.indexrelid = to_regclass($1)",
                          {index.Quoted()}));
  if (r.rows() == 0) return std::optional<sql::TableName>();
  return std::optional<sql::TableName>(sql::TableName{r.Get(0, 0), r.Get(0, 1)});
}

Result<std::optional<std::vector<PartitionFacts>>> PgCatalog::Partitions(
    const sql::TableName& table) {
  // Depth first; siblings in the order they were made (PostgreSQL walks them in bound order,
  // which differs only in the order names are chosen: it matters only when two partitions'
  // index names collide after truncation to 63 bytes). The default partition comes last.
  std::string pending = conn_.server_version() >= 140000 ? "i.inhdetachpending" : "false";
  TIDE_ASSIGN(auto r, conn_.Query(
                          "WITH RECURSIVE tree AS ("
                          " SELECT i.inhrelid AS relid, i.inhparent AS parent, 1 AS level, "
                          " ARRAY[(c.relpartbound IS NOT NULL AND pg_get_expr(c.relpartbound, "
                          "c.oid) = 'DEFAULT')::int::bigint, i.inhrelid::bigint] AS path, " +
                              pending +
                              " AS pending FROM pg_inherits i JOIN pg_class c ON c.oid = "
                              "i.inhrelid WHERE i.inhparent = to_regclass($1) "
                              "UNION ALL SELECT i.inhrelid, i.inhparent, t.level + 1, t.path || "
                              "ARRAY[(c.relpartbound IS NOT NULL AND pg_get_expr(c.relpartbound, "
                              "c.oid) = 'DEFAULT')::int::bigint, i.inhrelid::bigint], " +
                              pending +
                              " FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
                              "JOIN tree t ON i.inhparent = t.relid) "
                              "SELECT n.nspname, c.relname, quote_ident(n.nspname) || '.' || "
                              "quote_ident(c.relname), pn.nspname, p.relname, t.level, "
                              "c.relkind = 'p', c.relkind = 'f', "
                              "coalesce(pg_get_expr(c.relpartbound, c.oid) = 'DEFAULT', false), "
                              "t.pending, c.reltuples::bigint, "
                              "coalesce((SELECT array_to_string(array_agg(a.attname ORDER BY "
                              "k.ord), E'\\x1f') FROM pg_partitioned_table pt, unnest(pt.partattrs) "
                              "WITH ORDINALITY k(attnum, ord) JOIN pg_attribute a ON a.attrelid "
                              "= c.oid AND a.attnum = k.attnum WHERE pt.partrelid = c.oid), ''), "
                              "coalesce((SELECT 0 = ANY(pt.partattrs) FROM pg_partitioned_table "
                              "pt WHERE pt.partrelid = c.oid), false) "
                              "FROM tree t JOIN pg_class c ON c.oid = t.relid "
                              "JOIN pg_namespace n ON n.oid = c.relnamespace "
                              "JOIN pg_class p ON p.oid = t.parent "
                              "JOIN pg_namespace pn ON pn.oid = p.relnamespace ORDER BY t.path",
                          {table.Quoted()}));
  std::vector<PartitionFacts> out;
  for (int i = 0; i < r.rows(); ++i) {
    PartitionFacts p;
    p.name = {r.Get(i, 0), r.Get(i, 1)};
    p.quoted = r.Get(i, 2);
    p.parent = {r.Get(i, 3), r.Get(i, 4)};
    p.level = static_cast<int>(r.GetInt(i, 5));
    p.partitioned = r.GetBool(i, 6);
    p.foreign = r.GetBool(i, 7);
    p.is_default = r.GetBool(i, 8);
    p.detach_pending = r.GetBool(i, 9);
    p.rows = r.GetInt(i, 10);
    p.key_columns = SplitKeyColumns(r.Get(i, 11));
    p.key_has_expressions = r.GetBool(i, 12);
    out.push_back(std::move(p));
  }
  return std::optional<std::vector<PartitionFacts>>(std::move(out));
}

Result<std::vector<std::string>> PgCatalog::PartitionKey(const sql::TableName& table) {
  TIDE_ASSIGN(auto r, conn_.Query("SELECT a.attname FROM pg_partitioned_table pt, "
                                  "unnest(pt.partattrs) WITH ORDINALITY k(attnum, ord) "
                                  "JOIN pg_attribute a ON a.attnum = k.attnum "
                                  "WHERE pt.partrelid = to_regclass($1) "
                                  "AND a.attrelid = pt.partrelid AND NOT EXISTS (SELECT 1 FROM "
                                  "unnest(pt.partattrs) z WHERE z = 0) ORDER BY k.ord",
                                  {table.Quoted()}));
  std::vector<std::string> out;
  for (int i = 0; i < r.rows(); ++i) out.push_back(r.Get(i, 0));
  return out;
}

}  // namespace tide::exec
