#include "drift/catalog_reader.h"

#include <fmt/format.h>

#include <map>

#include "base/strings.h"
#include "drift/statements.h"

namespace tide::drift {

namespace {

// User schemas only: not the system's, not another session's temporary ones.
constexpr const char* kUserSchema =
    "n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname !~ "
    "'^pg_(toast|temp_|toast_temp_)'";

// Not a member of an extension (CREATE EXTENSION made it; the extension is compared instead).
std::string NotInExtension(const char* catalog, const char* oid) {
  return fmt::format(
      "NOT EXISTS (SELECT 1 FROM pg_depend e WHERE e.classid = '{}'::regclass AND e.objid = {} "
      "AND e.deptype = 'e')",
      catalog, oid);
}

class Rows {
 public:
  explicit Rows(pg::PgResult result) : result_(std::move(result)) {
    for (int i = 0; i < result_.columns(); ++i) index_[result_.ColumnName(i)] = i;
  }
  int size() const { return result_.rows(); }
  std::string Get(int row, const std::string& column) const {
    return result_.Get(row, index_.at(column));
  }
  bool True(int row, const std::string& column) const { return Get(row, column) == "t"; }

 private:
  pg::PgResult result_;
  std::map<std::string, int> index_;
};

class Reader {
 public:
  Reader(pg::Connection& conn, const ReadOptions& options, std::string user)
      : conn_(conn), options_(options), user_(std::move(user)) {}

  Status ReadAll() {
    TIDE_TRY(Schemas());
    TIDE_TRY(Extensions());
    TIDE_TRY(Relations());
    TIDE_TRY(Columns());
    TIDE_TRY(Constraints());
    TIDE_TRY(Indexes());
    TIDE_TRY(Sequences());
    TIDE_TRY(Enums());
    TIDE_TRY(Domains());
    TIDE_TRY(Functions());
    TIDE_TRY(Triggers());
    return Ok();
  }
  Snapshot Take() { return std::move(snapshot_); }

 private:
  Result<Rows> Query(const std::string& sql) {
    TIDE_ASSIGN(auto result, conn_.Query(sql));
    return Rows(std::move(result));
  }

  DbObject& Add(ObjectKind kind, const Rows& rows, int i, const std::string& name) {
    DbObject o;
    o.kind = kind;
    o.schema = rows.Get(i, "nspname");
    o.name = name;
    snapshot_.objects.push_back(std::move(o));
    return snapshot_.objects.back();
  }

  std::string Role(const std::string& name) const {
    return name == user_ ? "CURRENT_USER" : name.empty() ? "PUBLIC" : name;
  }

  // owner and "grant ROLE" facts from an owner name and an aclitem[] as text ({a=r/b,...}).
  void Privileges(DbObject& o, const Rows& rows, int i) {
    if (!options_.privileges) return;
    o.facts["owner"] = Role(rows.Get(i, "owner"));
    std::string acl = rows.Get(i, "acl");
    if (acl.size() >= 2) acl = acl.substr(1, acl.size() - 2);
    std::map<std::string, std::string> letters;
    for (std::string item : Split(acl, ',')) {
      if (item.empty()) continue;
      if (item.front() == '"' && item.back() == '"') item = item.substr(1, item.size() - 2);
      size_t eq = item.rfind('='), slash = item.rfind('/');
      if (eq == std::string::npos || slash == std::string::npos || slash < eq) continue;
      letters["grant " + Role(item.substr(0, eq))] += item.substr(eq + 1, slash - eq - 1);
    }
    // Shown and compared as GRANT names: "SELECT, INSERT", "... WITH GRANT OPTION".
    for (const auto& [key, granted] : letters) {
      o.facts[key] = PrivilegeNames(granted) +
                     (granted.find('*') != std::string::npos ? " WITH GRANT OPTION" : "");
    }
  }

  Status Schemas();
  Status Extensions();
  Status Relations();
  Status Columns();
  Status Constraints();
  Status Indexes();
  Status Sequences();
  Status Enums();
  Status Domains();
  Status Functions();
  Status Triggers();

  pg::Connection& conn_;
  ReadOptions options_;
  std::string user_;
  Snapshot snapshot_;
};

std::string TrimEnd(std::string text) {
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ' || text.back() == ';')) {
    text.pop_back();
  }
  return text;
}

Status Reader::Schemas() {
  TIDE_ASSIGN(
      Rows rows,
      Query(fmt::format(
          "SELECT n.nspname, quote_ident(n.nspname) AS sql_name, pg_get_userbyid(n.nspowner) AS "
          "owner, "
          "coalesce(n.nspacl, acldefault('n', n.nspowner))::text AS acl FROM pg_namespace n "
          "WHERE {} AND {}",
          kUserSchema, NotInExtension("pg_namespace", "n.oid"))));
  for (int i = 0; i < rows.size(); ++i) {
    DbObject& o = Add(ObjectKind::kSchema, rows, i, rows.Get(i, "nspname"));
    o.schema = o.name;
    o.sql_name = rows.Get(i, "sql_name");
    Privileges(o, rows, i);
  }
  return Ok();
}

Status Reader::Extensions() {
  TIDE_ASSIGN(
      Rows rows,
      Query("SELECT '' AS nspname, x.extname, quote_ident(x.extname) AS sql_name, x.extversion, "
            "n.nspname AS ext_schema FROM pg_extension x JOIN pg_namespace n ON n.oid = "
            "x.extnamespace"));
  for (int i = 0; i < rows.size(); ++i) {
    DbObject& o = Add(ObjectKind::kExtension, rows, i, rows.Get(i, "extname"));
    o.sql_name = rows.Get(i, "sql_name");
    o.facts["version"] = rows.Get(i, "extversion");
    o.facts["schema"] = rows.Get(i, "ext_schema");
  }
  return Ok();
}

Status Reader::Relations() {
  TIDE_ASSIGN(
      Rows rows,
      Query(fmt::format(
          "SELECT n.nspname, c.relname, c.relkind, c.oid::regclass::text AS sql_name, "
          "c.relpersistence, CASE WHEN c.relkind = 'p' THEN pg_get_partkeydef(c.oid) END AS "
          "partkey, "
          "CASE WHEN c.relispartition THEN (SELECT i.inhparent::regclass::text FROM pg_inherits i "
          "WHERE i.inhrelid = c.oid LIMIT 1) || ' ' || pg_get_expr(c.relpartbound, c.oid) END AS "
          "partof, CASE WHEN c.relkind IN ('v', 'm') THEN pg_get_viewdef(c.oid, true) END AS "
          "viewdef, "
          "(SELECT string_agg(o, ', ' ORDER BY o) FROM unnest(c.reloptions) o WHERE o !~ "
          "'^(toast\\.)?autovacuum_') AS options, CASE WHEN c.relkind IN ('v', 'm') THEN "
          "(SELECT string_agg(a.attname, chr(31) ORDER BY a.attnum) FROM pg_attribute a WHERE "
          "a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped) END AS columns, "
          "pg_get_userbyid(c.relowner) AS owner, coalesce(c.relacl, acldefault('r', "
          "c.relowner))::text "
          "AS acl FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
          "WHERE c.relkind IN ('r', 'p', 'v', 'm') AND {} AND {}",
          kUserSchema, NotInExtension("pg_class", "c.oid"))));
  for (int i = 0; i < rows.size(); ++i) {
    std::string kind = rows.Get(i, "relkind");
    ObjectKind k = kind == "v"   ? ObjectKind::kView
                   : kind == "m" ? ObjectKind::kMaterializedView
                                 : ObjectKind::kTable;
    DbObject& o = Add(k, rows, i, rows.Get(i, "relname"));
    o.sql_name = rows.Get(i, "sql_name");
    if (k == ObjectKind::kTable) {
      o.facts["persistence"] = rows.Get(i, "relpersistence") == "u" ? "unlogged" : "";
      o.facts["partition key"] = rows.Get(i, "partkey");
      o.facts["partition of"] = rows.Get(i, "partof");
    } else {
      o.facts["definition"] = TrimEnd(rows.Get(i, "viewdef"));
      o.extra["columns"] = rows.Get(i, "columns");
    }
    o.facts["options"] = rows.Get(i, "options");
    Privileges(o, rows, i);
  }
  return Ok();
}

Status Reader::Columns() {
  TIDE_ASSIGN(
      Rows rows,
      Query(fmt::format(
          "SELECT n.nspname, c.relname, c.oid::regclass::text AS sql_table, a.attname, "
          "quote_ident(a.attname) AS sql_name, a.attnum, format_type(a.atttypid, a.atttypmod) AS "
          "type, "
          "a.attnotnull, pg_get_expr(d.adbin, d.adrelid) AS def, a.attidentity, a.attgenerated, "
          "CASE WHEN a.attcollation <> t.typcollation THEN (SELECT quote_ident(cn.nspname) || '.' "
          "|| "
          "quote_ident(co.collname) FROM pg_collation co JOIN pg_namespace cn ON cn.oid = "
          "co.collnamespace WHERE co.oid = a.attcollation) END AS collation "
          "FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid "
          "JOIN pg_namespace n ON n.oid = c.relnamespace JOIN pg_type t ON t.oid = a.atttypid "
          "LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum "
          "WHERE a.attnum > 0 AND NOT a.attisdropped AND c.relkind IN ('r', 'p') AND {} AND {}",
          kUserSchema, NotInExtension("pg_class", "c.oid"))));
  for (int i = 0; i < rows.size(); ++i) {
    DbObject& o = Add(ObjectKind::kColumn, rows, i, rows.Get(i, "attname"));
    o.table = rows.Get(i, "relname");
    o.sql_table = rows.Get(i, "sql_table");
    o.sql_name = rows.Get(i, "sql_name");
    o.position = std::stoi(rows.Get(i, "attnum"));
    o.facts["type"] = rows.Get(i, "type");
    o.facts["nullability"] = rows.True(i, "attnotnull") ? "NOT NULL" : "NULL";
    o.facts["default"] = rows.Get(i, "def");
    std::string identity = rows.Get(i, "attidentity");
    o.facts["identity"] = identity == "a" ? "always" : identity == "d" ? "by default" : "";
    o.facts["generated"] = rows.Get(i, "attgenerated") == "s" ? "stored" : "";
    o.facts["collation"] = rows.Get(i, "collation");
  }
  return Ok();
}

Status Reader::Constraints() {
  TIDE_ASSIGN(
      Rows rows,
      Query(fmt::format(
          "SELECT n.nspname, c.relname, c.oid::regclass::text AS sql_table, k.conname, "
          "quote_ident(k.conname) AS sql_name, k.contype, pg_get_constraintdef(k.oid) AS def, "
          "k.convalidated FROM pg_constraint k JOIN pg_class c ON c.oid = k.conrelid "
          "JOIN pg_namespace n ON n.oid = c.relnamespace "
          "WHERE k.contype IN ('p', 'u', 'f', 'c', 'x') AND {} AND {}",
          kUserSchema, NotInExtension("pg_class", "c.oid"))));
  static const std::map<std::string, std::string> kTypes = {{"p", "primary key"},
                                                            {"u", "unique"},
                                                            {"f", "foreign key"},
                                                            {"c", "check"},
                                                            {"x", "exclusion"}};
  for (int i = 0; i < rows.size(); ++i) {
    DbObject& o = Add(ObjectKind::kConstraint, rows, i, rows.Get(i, "conname"));
    o.table = rows.Get(i, "relname");
    o.sql_table = rows.Get(i, "sql_table");
    o.sql_name = rows.Get(i, "sql_name");
    o.facts["type"] = kTypes.at(rows.Get(i, "contype"));
    std::string def = rows.Get(i, "def");
    const std::string not_valid = " NOT VALID";
    if (def.size() > not_valid.size() && def.ends_with(not_valid)) {
      def.resize(def.size() - not_valid.size());
    }
    o.facts["definition"] = def;
    o.facts["validated"] = rows.True(i, "convalidated") ? "yes" : "no";
  }
  return Ok();
}

Status Reader::Indexes() {
  TIDE_ASSIGN(
      Rows rows,
      Query(fmt::format(
          "SELECT n.nspname, t.relname AS table_name, t.oid::regclass::text AS sql_table, "
          "i.relname, "
          "i.oid::regclass::text AS sql_name, pg_get_indexdef(i.oid) AS def, x.indisvalid "
          "FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid JOIN pg_class t ON t.oid = "
          "x.indrelid JOIN pg_namespace n ON n.oid = i.relnamespace WHERE {} AND {} AND NOT EXISTS "
          "(SELECT 1 FROM pg_constraint k WHERE k.conindid = x.indexrelid AND k.conrelid = "
          "x.indrelid "
          "AND k.contype IN ('p', 'u', 'x'))",
          kUserSchema, NotInExtension("pg_class", "i.oid"))));
  for (int i = 0; i < rows.size(); ++i) {
    DbObject& o = Add(ObjectKind::kIndex, rows, i, rows.Get(i, "relname"));
    o.table = rows.Get(i, "table_name");
    o.sql_table = rows.Get(i, "sql_table");
    o.sql_name = rows.Get(i, "sql_name");
    o.facts["definition"] = rows.Get(i, "def");
    o.facts["valid"] = rows.True(i, "indisvalid") ? "yes" : "no";
  }
  return Ok();
}

Status Reader::Sequences() {
  TIDE_ASSIGN(
      Rows rows,
      Query(fmt::format(
          "SELECT n.nspname, c.relname, c.oid::regclass::text AS sql_name, "
          "format_type(s.seqtypid, NULL) AS type, s.seqstart, s.seqincrement, s.seqmin, s.seqmax, "
          "s.seqcache, s.seqcycle, o.owned_by, o.owner_table, pg_get_userbyid(c.relowner) AS "
          "owner, "
          "coalesce(c.relacl, acldefault('s', c.relowner))::text AS acl "
          "FROM pg_sequence s JOIN pg_class c ON c.oid = s.seqrelid "
          "JOIN pg_namespace n ON n.oid = c.relnamespace LEFT JOIN LATERAL ("
          "  SELECT d.refobjid::regclass::text || '.' || quote_ident(a.attname) AS owned_by, "
          "    rn.nspname || '.' || rc.relname AS owner_table FROM pg_depend d "
          "  JOIN pg_class rc ON rc.oid = d.refobjid JOIN pg_namespace rn ON rn.oid = "
          "rc.relnamespace "
          "  JOIN pg_attribute a ON a.attrelid = d.refobjid AND a.attnum = d.refobjsubid "
          "  WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid AND d.deptype = 'a' "
          "  AND d.refclassid = 'pg_class'::regclass LIMIT 1) o ON true "
          "WHERE {} AND {} AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = "
          "'pg_class'::regclass AND d.objid = c.oid AND d.deptype = 'i')",
          kUserSchema, NotInExtension("pg_class", "c.oid"))));
  for (int i = 0; i < rows.size(); ++i) {
    DbObject& o = Add(ObjectKind::kSequence, rows, i, rows.Get(i, "relname"));
    o.sql_name = rows.Get(i, "sql_name");
    o.facts["type"] = rows.Get(i, "type");
    o.facts["start"] = rows.Get(i, "seqstart");
    o.facts["increment"] = rows.Get(i, "seqincrement");
    o.facts["minimum"] = rows.Get(i, "seqmin");
    o.facts["maximum"] = rows.Get(i, "seqmax");
    o.facts["cache"] = rows.Get(i, "seqcache");
    o.facts["cycle"] = rows.True(i, "seqcycle") ? "yes" : "no";
    o.facts["owned by"] = rows.Get(i, "owned_by");
    o.extra["owner table"] = rows.Get(i, "owner_table");
    Privileges(o, rows, i);
  }
  return Ok();
}

Status Reader::Enums() {
  TIDE_ASSIGN(
      Rows rows,
      Query(fmt::format(
          "SELECT n.nspname, t.typname, t.oid::regtype::text AS sql_name, "
          "string_agg(quote_literal(e.enumlabel), ', ' ORDER BY e.enumsortorder) AS labels, "
          "string_agg(e.enumlabel, chr(31) ORDER BY e.enumsortorder) AS label_list, "
          "(SELECT string_agg(a.attrelid::regclass::text || chr(31) || quote_ident(a.attname), "
          "chr(30)) FROM pg_attribute a JOIN pg_class r ON r.oid = a.attrelid WHERE a.atttypid = "
          "t.oid AND r.relkind IN ('r', 'p') AND NOT a.attisdropped) AS users, "
          "pg_get_userbyid(t.typowner) AS owner, coalesce(t.typacl, acldefault('T', "
          "t.typowner))::text AS acl FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace "
          "JOIN pg_enum e ON e.enumtypid = t.oid WHERE t.typtype = 'e' AND {} AND {} "
          "GROUP BY t.oid, n.nspname, t.typname, t.typowner, t.typacl",
          kUserSchema, NotInExtension("pg_type", "t.oid"))));
  for (int i = 0; i < rows.size(); ++i) {
    DbObject& o = Add(ObjectKind::kEnum, rows, i, rows.Get(i, "typname"));
    o.sql_name = rows.Get(i, "sql_name");
    o.facts["labels"] = rows.Get(i, "labels");
    o.extra["label list"] = rows.Get(i, "label_list");
    o.extra["users"] = rows.Get(i, "users");
    Privileges(o, rows, i);
  }
  return Ok();
}

Status Reader::Domains() {
  TIDE_ASSIGN(
      Rows rows,
      Query(fmt::format(
          "SELECT n.nspname, t.typname, t.oid::regtype::text AS sql_name, "
          "format_type(t.typbasetype, t.typtypmod) AS type, t.typnotnull, "
          "pg_get_expr(t.typdefaultbin, 0) AS def, CASE WHEN t.typcollation <> b.typcollation THEN "
          "(SELECT quote_ident(cn.nspname) || '.' || quote_ident(co.collname) FROM pg_collation co "
          "JOIN pg_namespace cn ON cn.oid = co.collnamespace WHERE co.oid = t.typcollation) END AS "
          "collation, (SELECT string_agg(k.conname || chr(31) || pg_get_constraintdef(k.oid), "
          "chr(30)) "
          "FROM pg_constraint k WHERE k.contypid = t.oid AND k.contype = 'c') AS checks, "
          "pg_get_userbyid(t.typowner) AS owner, coalesce(t.typacl, acldefault('T', "
          "t.typowner))::text AS acl FROM pg_type t JOIN pg_type b ON b.oid = t.typbasetype "
          "JOIN pg_namespace n ON n.oid = t.typnamespace WHERE t.typtype = 'd' AND {} AND {}",
          kUserSchema, NotInExtension("pg_type", "t.oid"))));
  for (int i = 0; i < rows.size(); ++i) {
    DbObject& o = Add(ObjectKind::kDomain, rows, i, rows.Get(i, "typname"));
    o.sql_name = rows.Get(i, "sql_name");
    o.facts["type"] = rows.Get(i, "type");
    o.facts["nullability"] = rows.True(i, "typnotnull") ? "NOT NULL" : "NULL";
    o.facts["default"] = rows.Get(i, "def");
    o.facts["collation"] = rows.Get(i, "collation");
    for (const auto& check : Split(rows.Get(i, "checks"), '\x1e')) {
      auto parts = Split(check, '\x1f');
      if (parts.size() == 2) o.facts["check " + parts[0]] = parts[1];
    }
    Privileges(o, rows, i);
  }
  return Ok();
}

Status Reader::Functions() {
  TIDE_ASSIGN(
      Rows rows,
      Query(fmt::format(
          "SELECT n.nspname, p.proname || '(' || pg_get_function_identity_arguments(p.oid) || ')' "
          "AS signature, p.oid::regprocedure::text AS sql_name, p.prokind, "
          "pg_get_functiondef(p.oid) AS def, pg_get_userbyid(p.proowner) AS owner, "
          "coalesce(p.proacl, acldefault('f', p.proowner))::text AS acl FROM pg_proc p "
          "JOIN pg_namespace n ON n.oid = p.pronamespace WHERE p.prokind IN ('f', 'p', 'w') AND {} "
          "AND {}",
          kUserSchema, NotInExtension("pg_proc", "p.oid"))));
  for (int i = 0; i < rows.size(); ++i) {
    DbObject& o = Add(ObjectKind::kFunction, rows, i, rows.Get(i, "signature"));
    o.sql_name = rows.Get(i, "sql_name");
    o.facts["definition"] = TrimEnd(rows.Get(i, "def"));
    o.extra["kind"] = rows.Get(i, "prokind") == "p" ? "procedure" : "function";
    Privileges(o, rows, i);
  }
  return Ok();
}

Status Reader::Triggers() {
  TIDE_ASSIGN(
      Rows rows,
      Query(fmt::format(
          "SELECT n.nspname, c.relname, c.oid::regclass::text AS sql_table, g.tgname, "
          "quote_ident(g.tgname) AS sql_name, pg_get_triggerdef(g.oid) AS def, g.tgenabled "
          "FROM pg_trigger g JOIN pg_class c ON c.oid = g.tgrelid "
          "JOIN pg_namespace n ON n.oid = c.relnamespace WHERE NOT g.tgisinternal AND {} AND {}",
          kUserSchema, NotInExtension("pg_class", "c.oid"))));
  static const std::map<std::string, std::string> kEnabled = {
      {"O", "enabled"}, {"D", "disabled"}, {"R", "replica"}, {"A", "always"}};
  for (int i = 0; i < rows.size(); ++i) {
    DbObject& o = Add(ObjectKind::kTrigger, rows, i, rows.Get(i, "tgname"));
    o.table = rows.Get(i, "relname");
    o.sql_table = rows.Get(i, "sql_table");
    o.sql_name = rows.Get(i, "sql_name");
    o.facts["definition"] = rows.Get(i, "def");
    auto e = kEnabled.find(rows.Get(i, "tgenabled"));
    o.facts["enabled"] = e == kEnabled.end() ? rows.Get(i, "tgenabled") : e->second;
  }
  return Ok();
}

}  // namespace

Result<Snapshot> ReadSnapshot(pg::Connection& conn, const ReadOptions& options) {
  TIDE_TRY(conn.Run("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY"));
  // Every user object comes schema-qualified, the same way on both databases.
  TIDE_TRY(conn.Run("SET LOCAL search_path = pg_catalog"));
  // Catalogs are read under AccessShareLock, and the relations a view reads too (the server
  // deparses its definition under that lock): should one be held exclusively (a migration, a
  // VACUUM FULL), fail rather than wait in the lock queue.
  TIDE_TRY(conn.Run("SET LOCAL lock_timeout = '5s'"));
  auto user = conn.QueryValue("SELECT current_user");
  if (!user.ok()) {
    (void)conn.Run("ROLLBACK");
    return user.error();
  }
  Reader reader(conn, options, user->value_or(""));
  Status read = reader.ReadAll();
  (void)conn.Run("ROLLBACK");  // read only: nothing to keep
  if (!read.ok() && read.error().IsLockTimeout()) {
    // pg_get_viewdef deparses under ACCESS SHARE on the relations a view reads.
    return Error(read.error())
        .WithHint(
            "a session holds an ACCESS EXCLUSIVE lock on a table that a view reads (a "
            "migration, a VACUUM FULL): the check waited 5 s for it; run it again once "
            "that is done");
  }
  if (!read.ok()) return read.error();
  return reader.Take();
}

}  // namespace tide::drift
