#include "rehearse/seed_data.h"

#include <fmt/format.h>

#include <map>
#include <set>

#include "base/strings.h"

namespace tide::rehearse {

namespace {

struct Column {
  std::string name;
  std::string type;  // format_type
  bool not_null = false;
  bool has_default = false;
  std::string references;  // referenced table, when a single-column foreign key
};

// An expression of g (the row number) that fits the type; empty when tide has none.
std::string ValueFor(const Column& c, int64_t rows) {
  const std::string& t = c.type;
  if (!c.references.empty()) return fmt::format("((g - 1) % {}) + 1", rows);
  if (t == "smallint") return "(g % 32767)::smallint";
  if (t == "integer" || t == "bigint" || t.rfind("numeric", 0) == 0 || t == "real" ||
      t == "double precision") {
    return "g";
  }
  if (t == "text") return "'row ' || g";
  if (t.rfind("character varying", 0) == 0 || t.rfind("character(", 0) == 0) {
    size_t open = t.find('(');
    std::string n = open == std::string::npos ? "40" : t.substr(open + 1, t.size() - open - 2);
    return fmt::format("left('row ' || g || ' ' || md5(g::text), {})", n);
  }
  if (t == "boolean") return "g % 2 = 0";
  if (t == "uuid") return "md5(g::text)::uuid";
  if (t == "date") return "current_date - (g % 3650)::int";
  if (t.rfind("timestamp", 0) == 0) return "now() - make_interval(secs => g)";
  if (t == "jsonb" || t == "json") return "jsonb_build_object('n', g)";
  if (t == "bytea") return "decode(md5(g::text), 'hex')";
  return "";
}

}  // namespace

Status LoadSyntheticRows(pg::Connection& conn, const std::string& schema, int64_t rows,
                         Reporter& reporter) {
  TIDE_ASSIGN(auto tables, conn.Query(
                               "SELECT c.oid, c.relname FROM pg_class c JOIN pg_namespace n ON "
                               "n.oid = c.relnamespace WHERE n.nspname = $1 AND c.relkind = 'r' "
                               "AND c.relname <> 'flyway_schema_history' "
                               "AND c.relname NOT LIKE 'tide\\_%' ORDER BY c.oid",
                               {schema}));
  std::map<std::string, std::vector<Column>> columns;
  std::vector<std::string> order;
  for (int i = 0; i < tables.rows(); ++i) {
    std::string name = tables.Get(i, 1);
    order.push_back(name);
    TIDE_ASSIGN(auto cols, conn.Query(
                               "SELECT a.attname, format_type(a.atttypid, a.atttypmod), "
                               "a.attnotnull, a.atthasdef OR a.attidentity <> '' OR "
                               "a.attgenerated <> '', "
                               "(SELECT r.relname FROM pg_constraint f JOIN pg_class r ON r.oid = "
                               "f.confrelid WHERE f.conrelid = a.attrelid AND f.contype = 'f' AND "
                               "f.conkey = ARRAY[a.attnum] LIMIT 1) "
                               "FROM pg_attribute a WHERE a.attrelid = $1::oid AND a.attnum > 0 "
                               "AND NOT a.attisdropped ORDER BY a.attnum",
                               {tables.Get(i, 0)}));
    for (int j = 0; j < cols.rows(); ++j) {
      columns[name].push_back({cols.Get(j, 0), cols.Get(j, 1), cols.GetBool(j, 2),
                               cols.GetBool(j, 3), cols.Get(j, 4)});
    }
  }
  // Referenced tables first.
  std::set<std::string> loaded;
  for (size_t pass = 0; pass < order.size() + 1 && loaded.size() < order.size(); ++pass) {
    for (const auto& table : order) {
      if (loaded.count(table)) continue;
      bool ready = true;
      for (const auto& c : columns[table]) {
        if (!c.references.empty() && c.references != table && !loaded.count(c.references)) {
          ready = false;
        }
      }
      if (!ready && pass < order.size()) continue;
      std::vector<std::string> names, values;
      for (const auto& c : columns[table]) {
        if (c.has_default) continue;
        std::string v = ValueFor(c, rows);
        if (v.empty()) {
          if (c.not_null) {
            return Error::Input(fmt::format("tide cannot make up values of type {} for {}.{}",
                                            c.type, table, c.name))
                .WithHint("load the data with --seed-sql FILE instead of --rows");
          }
          continue;
        }
        names.push_back(QuoteIdent(c.name));
        values.push_back(v);
      }
      std::string sql =
          names.empty()
              ? fmt::format("INSERT INTO {} SELECT FROM generate_series(1, $1::bigint) g",
                            QuoteQualified(schema, table))
              : fmt::format("INSERT INTO {} ({}) SELECT {} FROM generate_series(1, $1::bigint) g",
                            QuoteQualified(schema, table), Join(names, ", "), Join(values, ", "));
      reporter.Info(fmt::format("  loading {} rows into {}", FormatCount(rows), table));
      TIDE_TRY(conn.Run(sql, {std::to_string(rows)}));
      loaded.insert(table);
    }
  }
  return Ok();
}

}  // namespace tide::rehearse
