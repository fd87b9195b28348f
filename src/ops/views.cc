#include "ops/views.h"

#include <fmt/format.h>

#include <cctype>

#include "base/strings.h"

namespace tide::ops {

namespace {

bool PlainIdentifier(const std::string& name) {
  if (name.empty() || std::isdigit(static_cast<unsigned char>(name[0]))) return false;
  for (char c : name) {
    if (!(std::islower(static_cast<unsigned char>(c)) ||
          std::isdigit(static_cast<unsigned char>(c)) || c == '_')) {
      return false;
    }
  }
  return true;
}

// The base table's privileges, granted on its view (and USAGE on the views schema) to the same
// roles, so that the new release's role may use the view exactly as it used the table.
std::string CopyGrants(const std::string& base, const std::string& view,
                       const std::string& views_schema) {
  return fmt::format(
      "DO $tide$\nDECLARE r record;\nBEGIN\n"
      "  FOR r IN SELECT DISTINCT a.privilege_type AS privilege,\n"
      "      CASE WHEN a.grantee = 0 THEN 'PUBLIC' ELSE quote_ident(pg_get_userbyid(a.grantee)) "
      "END AS grantee\n"
      "    FROM pg_class c, aclexplode(c.relacl) a\n"
      "    WHERE c.oid = {}::regclass AND a.grantee <> c.relowner\n"
      "      AND a.privilege_type IN ('SELECT', 'INSERT', 'UPDATE', 'DELETE')\n"
      "  LOOP\n"
      "    EXECUTE format('GRANT %s ON %s TO %s', r.privilege, {}, r.grantee);\n"
      "    EXECUTE format('GRANT USAGE ON SCHEMA %s TO %s', {}, r.grantee);\n"
      "  END LOOP;\nEND\n$tide$",
      QuoteLiteral(base), QuoteLiteral(view), QuoteLiteral(QuoteIdent(views_schema)));
}

}  // namespace

std::string ViewsSchemaName(const std::string& schema, const std::string& version) {
  return schema + "_v" + ReplaceAll(version, ".", "_");
}

std::string SearchPathPart(const std::string& name) {
  return PlainIdentifier(name) ? name : QuoteIdent(name);
}

std::string NewReleaseSearchPath(const std::string& schema, const std::string& version) {
  return SearchPathPart(ViewsSchemaName(schema, version)) + ", " + SearchPathPart(schema);
}

ViewsPlan PlanViews(const OpContext& ctx, const std::string& views_schema) {
  ViewsPlan out;
  SourceLocation at{ctx.file, 0, 0};
  std::vector<std::string> views;
  for (const auto& t : ctx.tables) {
    if (!t.ShapeChanged()) continue;
    std::string view = QuoteQualified(views_schema, t.name);
    std::vector<std::string> select;
    for (const auto& c : t.columns) {
      select.push_back(c.physical == c.name ? QuoteIdent(c.name)
                                            : QuoteIdent(c.physical) + " AS " + QuoteIdent(c.name));
    }
    std::string sql = fmt::format("CREATE VIEW {} AS SELECT {} FROM {}", view, Join(select, ", "),
                                  ctx.Qualified(t));
    for (const auto& c : t.columns) {
      if (c.view_default.empty()) continue;
      sql += fmt::format(";\nALTER VIEW {} ALTER COLUMN {} SET DEFAULT {}", view,
                         QuoteIdent(c.name), c.view_default);
    }
    plan::Step s = Plain(sql, at, fmt::format("the new release's {}", t.name));
    s.table = t.physical;
    out.expand.push_back({Stage::kViews, s});
    out.expand.push_back({Stage::kViews, Plain(CopyGrants(ctx.Qualified(t), view, views_schema), at,
                                               "the roles that use the table may use its view")});
    views.push_back(view);
  }
  if (views.empty()) return out;
  // In a transaction of their own, after the one that locks the tables: creating the views
  // needs no ACCESS EXCLUSIVE lock, so the application does not wait for it. The schema and
  // its views commit together: a new release that finds the schema finds every view in it.
  plan::Step schema = Plain(fmt::format("CREATE SCHEMA {}", QuoteIdent(views_schema)), at,
                            "the new release sets search_path to it");
  schema.new_transaction = true;
  out.expand.insert(out.expand.begin(), {Stage::kViews, schema});
  // The contract locks the views before any base table: a new-release statement locks its view
  // first and then the table, so taking them the other way round would deadlock with it.
  plan::Step lock =
      Plain(fmt::format("LOCK TABLE {} IN ACCESS EXCLUSIVE MODE", Join(views, ", ")), at,
            "the views first, in the order the new release's statements take them");
  lock.lock = sql::Lock::kAccessExclusive;
  lock.lock_tables = views;
  out.contract.push_back({Stage::kSync, lock});
  for (auto* list : {&out.contract, &out.rollback}) {
    plan::Step drop = Plain(
        fmt::format("DROP SCHEMA IF EXISTS {} CASCADE", QuoteIdent(views_schema)), at,
        list == &out.contract ? "the base tables have the new shape now: the same search_path "
                                "finds them"
                              : "the new release's views go first");
    drop.lock = sql::Lock::kAccessExclusive;
    drop.lock_tables = views;
    list->push_back({Stage::kViews, drop});
  }
  return out;
}

}  // namespace tide::ops
