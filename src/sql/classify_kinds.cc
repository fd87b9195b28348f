// What each kind of statement does, by libpg_query's node name: its action, tables, locks,
// scans and phase (ALTER TABLE is classify_alter.cc's).
#include <fmt/format.h>

#include <algorithm>
#include <string_view>
#include <unordered_map>

#include "base/strings.h"
#include "base/text.h"
#include "sql/classify.h"
#include "sql/classify_internal.h"
#include "sql/classify_util.h"

namespace tide::sql {

using tree::Json;

namespace {

Command Single(Action action, const TableName& table, Lock lock, Phase phase) {
  Command c;
  c.action = action;
  c.table = table;
  c.lock = lock;
  c.phase = phase;
  return c;
}

// FigureIndexColname (parser/parse_target.c): the name PostgreSQL gives an index expression's
// column, or "" for none ("expr" then).
std::string IndexExpressionName(const Json& e) {
  if (e.contains("ColumnRef")) return tree::ColumnName(e);
  if (e.contains("FuncCall")) {
    auto parts = tree::Strings(tree::Array(e["FuncCall"], "funcname"));
    return parts.empty() ? "" : parts.back();
  }
  if (e.contains("TypeCast")) {
    std::string inner = IndexExpressionName(tree::Field(e["TypeCast"], "arg"));
    if (!inner.empty()) return inner;
    auto names = tree::Strings(tree::Array(tree::Object(e["TypeCast"], "typeName"), "names"));
    return names.empty() ? "" : names.back();
  }
  if (e.contains("CollateClause")) return IndexExpressionName(tree::Field(e["CollateClause"], "arg"));
  if (e.contains("A_Expr") && e["A_Expr"].value("kind", "") == "AEXPR_NULLIF") return "nullif";
  if (e.contains("CaseExpr")) return "case";
  if (e.contains("A_ArrayExpr")) return "array";
  if (e.contains("RowExpr")) return "row";
  if (e.contains("CoalesceExpr")) return "coalesce";
  if (e.contains("MinMaxExpr")) {
    return e["MinMaxExpr"].value("op", "") == "IS_GREATEST" ? "greatest" : "least";
  }
  return "";
}

// ChooseIndexColumnNames (commands/indexcmds.c): a name per column, made unique by a number.
std::vector<std::string> IndexColumnNames(const Json& t) {
  std::vector<std::string> out;
  auto add = [&](const Json& p) {
    const Json& e = tree::Object(p, "IndexElem");
    std::string name = e.contains("name") ? e.value("name", "") : IndexExpressionName(tree::Field(e, "expr"));
    if (name.empty()) name = "expr";
    std::string candidate = name;
    for (int i = 1; std::find(out.begin(), out.end(), candidate) != out.end(); ++i) {
      std::string number = std::to_string(i);
      candidate = name.substr(0, Utf8ClipLength(name, 63 - number.size())) + number;
    }
    out.push_back(candidate);
  };
  for (const auto& p : tree::Array(t, "indexParams")) add(p);
  for (const auto& p : tree::Array(t, "indexIncludingParams")) add(p);
  return out;
}

void ClassifyIndex(const Json& t, Classified& out) {
  out.action = Action::kCreateIndex;
  out.table = tree::Table(tree::Object(t, "relation"));
  Command c = Single(Action::kCreateIndex, out.table, Lock::kShare, Phase::kNeutral);
  c.object_name = t.value("idxname", "");
  c.concurrently = t.value("concurrent", false);
  c.unique = t.value("unique", false);
  c.partial = t.contains("whereClause");
  c.if_exists = t.value("if_not_exists", false);
  // libpg_query's JSON leaves out false fields: ON ONLY is a RangeVar without "inh".
  c.only = !tree::Object(t, "relation").value("inh", false);
  c.index_column_names = IndexColumnNames(t);
  for (const auto& p : tree::Array(t, "indexParams")) {
    const Json& e = tree::Object(p, "IndexElem");
    if (e.contains("name")) c.columns.push_back(e.value("name", ""));
    if (e.contains("expr")) c.has_options = true;
  }
  c.scans = true;
  if (c.concurrently) {
    c.lock = Lock::kShareUpdateExclusive;
    out.transactional = false;
  }
  if (c.unique) c.phase = Phase::kContract;  // duplicates the old release writes now fail
  out.commands.push_back(std::move(c));
}

void ClassifyDrop(const Json& t, Classified& out) {
  std::string type = t.value("removeType", "");
  bool concurrent = t.value("concurrent", false);
  Action action = type == "OBJECT_TABLE"   ? Action::kDropTable
                  : type == "OBJECT_INDEX" ? Action::kDropIndex
                                           : Action::kDropOther;
  out.action = action;
  for (const auto& obj : tree::Array(t, "objects")) {
    std::vector<std::string> parts;
    if (obj.contains("List")) parts = tree::Strings(tree::Array(obj["List"], "items"));
    TableName name;
    if (parts.size() >= 2) name.schema = parts[parts.size() - 2];
    if (!parts.empty()) name.name = parts.back();
    Phase phase = action == Action::kDropIndex ? Phase::kNeutral : Phase::kContract;
    Command c = Single(action, name, Lock::kAccessExclusive, phase);
    if (action == Action::kDropIndex) {
      // The table of an index is found in the catalog; the name is the index's.
      c.object_name = name.name;
      c.table = TableName();
    }
    c.concurrently = concurrent;
    c.if_exists = t.value("missing_ok", false);
    c.cascade = t.value("behavior", "") == "DROP_CASCADE";
    if (concurrent) c.lock = Lock::kShareUpdateExclusive;
    if (action != Action::kDropTable && action != Action::kDropIndex) c.lock = Lock::kNone;
    out.commands.push_back(std::move(c));
  }
  if (concurrent) out.transactional = false;
  if (action == Action::kDropTable && !out.commands.empty()) out.table = out.commands[0].table;
}

void ClassifyRename(const Json& t, Classified& out) {
  std::string type = t.value("renameType", "");
  TableName table = tree::Table(tree::Object(t, "relation"));
  Action action = type == "OBJECT_TABLE"    ? Action::kRenameTable
                  : type == "OBJECT_COLUMN" ? Action::kRenameColumn
                                            : Action::kRenameOther;
  out.action = action;
  out.table = table;
  Command c = Single(action, table, table.empty() ? Lock::kNone : Lock::kAccessExclusive,
                     Phase::kContract);
  c.column = t.value("subname", "");
  c.new_name = t.value("newname", "");
  out.commands.push_back(std::move(c));
}

void ClassifyDml(const std::string& node, const Json& t, Classified& out) {
  out.table = tree::Table(tree::Object(t, "relation"));
  DmlInfo d;
  d.has_where = t.contains("whereClause");
  d.has_returning = t.contains("returningList");
  d.has_with = t.contains("withClause");
  d.has_from = t.contains("fromClause") || t.contains("usingClause");
  const Json& rel = tree::Object(t, "relation");
  if (rel.contains("alias")) d.alias = rel["alias"].value("aliasname", "");
  for (const auto& target : tree::Array(t, "targetList")) {
    const Json& rt = tree::Object(target, "ResTarget");
    d.set_columns.push_back(rt.value("name", ""));
    tree::CollectColumns(tree::Field(rt, "val"), d.read_columns);
  }
  if (d.has_where) {
    const Json& where = t["whereClause"];
    if (where.contains("CurrentOfExpr")) d.where_current_of = true;
    for (const Json* c : tree::Conjuncts(where)) {
      if (c->contains("NullTest") && (*c)["NullTest"].value("nulltesttype", "") == "IS_NULL") {
        std::string col = tree::ColumnName(tree::Field((*c)["NullTest"], "arg"));
        if (!col.empty()) d.null_guard_columns.push_back(col);
      }
      if (c->contains("A_Expr")) {
        const Json& e = (*c)["A_Expr"];
        std::string kind = e.value("kind", "");
        auto op = tree::Strings(tree::Array(e, "name"));
        bool eq = (kind == "AEXPR_OP" && op.size() == 1 && op[0] == "=") || kind == "AEXPR_IN";
        if (eq) {
          std::string col = tree::ColumnName(tree::Field(e, "lexpr"));
          if (!col.empty() && !tree::Field(e, "rexpr").contains("ColumnRef")) {
            d.equality_columns.push_back(col);
          }
        }
      }
    }
  }
  out.action = node == "UpdateStmt" ? Action::kUpdate : Action::kDelete;
  Command c = Single(out.action, out.table, Lock::kRowExclusive, Phase::kNeutral);
  c.columns = d.set_columns;
  out.commands.push_back(std::move(c));
  out.dml = std::move(d);
}

void ClassifyCreateTable(const Json& t, Classified& out) {
  out.action = Action::kCreateTable;
  out.table = tree::Table(tree::Object(t, "relation"));
  out.commands.push_back(Single(Action::kCreateTable, out.table, Lock::kNone, Phase::kExpand));
  // A REFERENCES clause locks the referenced table briefly (SHARE ROW EXCLUSIVE).
  auto add_reference = [&](const Json& c) {
    if (c.value("contype", "") != "CONSTR_FOREIGN" || !c.contains("pktable")) return;
    Command ref = Single(Action::kCreateTable, tree::Table(c["pktable"]),
                         Lock::kShareRowExclusive, Phase::kExpand);
    ref.constraint = ConstraintType::kForeignKey;
    out.commands.push_back(std::move(ref));
  };
  for (const auto& elt : tree::Array(t, "tableElts")) {
    if (elt.contains("Constraint")) add_reference(elt["Constraint"]);
    if (elt.contains("ColumnDef")) {
      for (const auto& c : tree::Array(elt["ColumnDef"], "constraints")) {
        if (c.contains("Constraint")) add_reference(c["Constraint"]);
      }
    }
  }
}

}  // namespace

namespace {

using Handler = void (*)(const Statement& st, Classified& out);

void ClassifyCreateTableAs(const Statement& st, Classified& out) {
  out.action = Action::kCreateTableAs;
  out.table = tree::Table(tree::Object(tree::Object(st.tree, "into"), "rel"));
  out.commands.push_back(Single(out.action, out.table, Lock::kNone, Phase::kExpand));
}

void ClassifyInsert(const Statement& st, Classified& out) {
  out.action = Action::kInsert;
  out.table = tree::Table(tree::Object(st.tree, "relation"));
  out.commands.push_back(Single(out.action, out.table, Lock::kRowExclusive, Phase::kNeutral));
}

void ClassifyCopy(const Statement& st, Classified& out) {
  out.action = Action::kCopy;
  out.table = tree::Table(tree::Object(st.tree, "relation"));
}

// TRUNCATE and LOCK: one command per table named, the first one the statement's table.
void ClassifyEachRelation(const Statement& st, Classified& out, Action action, Lock lock) {
  out.action = action;
  for (const auto& r : tree::Array(st.tree, "relations")) {
    out.commands.push_back(Single(out.action, tree::Table(r), lock, Phase::kNeutral));
  }
  if (!out.commands.empty()) out.table = out.commands[0].table;
}

void ClassifyVacuum(const Statement& st, Classified& out) {
  const Json& t = st.tree;
  bool full = tree::HasDefElem(tree::Array(t, "options"), "full");
  bool vacuum = t.value("is_vacuumcmd", false);
  out.action = full ? Action::kVacuumFull : Action::kVacuum;
  out.transactional = !vacuum;  // ANALYZE alone may run in a transaction
  for (const auto& r : tree::Array(t, "rels")) {
    TableName table = tree::Table(tree::Object(tree::Object(r, "VacuumRelation"), "relation"));
    Command c = Single(out.action, table,
                       full ? Lock::kAccessExclusive : Lock::kShareUpdateExclusive,
                       Phase::kNeutral);
    c.scans = true;
    c.rewrites = full;
    out.commands.push_back(std::move(c));
  }
  if (!out.commands.empty()) out.table = out.commands[0].table;
}

void ClassifyCluster(const Statement& st, Classified& out) {
  out.action = Action::kCluster;
  out.table = tree::Table(tree::Object(st.tree, "relation"));
  Command c = Single(out.action, out.table, Lock::kAccessExclusive, Phase::kNeutral);
  c.scans = c.rewrites = true;
  out.commands.push_back(std::move(c));
}

void ClassifyReindex(const Statement& st, Classified& out) {
  const Json& t = st.tree;
  out.action = Action::kReindex;
  out.table = tree::Table(tree::Object(t, "relation"));
  Command c = Single(out.action, out.table, Lock::kShare, Phase::kNeutral);
  c.concurrently = tree::HasDefElem(tree::Array(t, "params"), "concurrently");
  c.scans = true;
  if (t.value("kind", "") == "REINDEX_OBJECT_INDEX") {
    c.object_name = c.table.name;
    c.table = TableName();
    out.table = TableName();
  }
  if (c.concurrently) {
    c.lock = Lock::kShareUpdateExclusive;
    out.transactional = false;
  }
  out.commands.push_back(std::move(c));
}

void ClassifyAlterEnum(const Statement& st, Classified& out) {
  bool add = st.tree.contains("newVal") && !st.tree.contains("oldVal");
  out.action = add ? Action::kAlterEnumAddValue : Action::kAlterEnumOther;
  out.commands.push_back(
      Single(out.action, TableName(), Lock::kNone, add ? Phase::kExpand : Phase::kContract));
}

void ClassifyCreateTrigger(const Statement& st, Classified& out) {
  out.action = Action::kCreateTrigger;
  out.table = tree::Table(tree::Object(st.tree, "relation"));
  out.commands.push_back(
      Single(out.action, out.table, Lock::kShareRowExclusive, Phase::kNeutral));
}

// A statement that creates something no running release reads yet, on no table.
void ClassifyCreateObject(Classified& out, Action action) {
  out.action = action;
  out.commands.push_back(Single(out.action, TableName(), Lock::kNone, Phase::kExpand));
}

// Every statement kind tide tells apart, by libpg_query's node name; the rest is kOther.
// Long by design: one entry per statement kind, read as a table.
const std::unordered_map<std::string_view, Handler>& Handlers() {
  static const std::unordered_map<std::string_view, Handler> handlers = {
      {"AlterTableStmt",
       [](const Statement& st, Classified& out) {
         if (st.tree.value("objtype", "") == "OBJECT_TABLE") {
           ClassifyAlterTable(st, out);
         } else {
           out.action = Action::kOther;
         }
       }},
      {"IndexStmt", [](const Statement& st, Classified& out) { ClassifyIndex(st.tree, out); }},
      {"DropStmt", [](const Statement& st, Classified& out) { ClassifyDrop(st.tree, out); }},
      {"RenameStmt", [](const Statement& st, Classified& out) { ClassifyRename(st.tree, out); }},
      {"UpdateStmt",
       [](const Statement& st, Classified& out) { ClassifyDml(st.node_type, st.tree, out); }},
      {"DeleteStmt",
       [](const Statement& st, Classified& out) { ClassifyDml(st.node_type, st.tree, out); }},
      {"CreateStmt",
       [](const Statement& st, Classified& out) { ClassifyCreateTable(st.tree, out); }},
      {"CreateTableAsStmt", ClassifyCreateTableAs},
      {"InsertStmt", ClassifyInsert},
      {"SelectStmt", [](const Statement&, Classified& out) { out.action = Action::kSelect; }},
      {"CopyStmt", ClassifyCopy},
      {"TruncateStmt",
       [](const Statement& st, Classified& out) {
         ClassifyEachRelation(st, out, Action::kTruncate, Lock::kAccessExclusive);
       }},
      {"VacuumStmt", ClassifyVacuum},
      {"ClusterStmt", ClassifyCluster},
      {"LockStmt",
       [](const Statement& st, Classified& out) {
         ClassifyEachRelation(st, out, Action::kLockTable,
                              LockFromNumber(st.tree.value("mode", 8)));
       }},
      {"ReindexStmt", ClassifyReindex},
      {"AlterEnumStmt", ClassifyAlterEnum},
      {"DoStmt",
       [](const Statement&, Classified& out) {
         out.action = Action::kDo;
         out.opaque = true;
       }},
      {"TransactionStmt",
       [](const Statement&, Classified& out) {
         out.action = Action::kTransaction;
         out.transactional = false;
       }},
      {"VariableSetStmt", [](const Statement&, Classified& out) { out.action = Action::kSet; }},
      {"VariableShowStmt", [](const Statement&, Classified& out) { out.action = Action::kSet; }},
      {"ViewStmt",
       [](const Statement& st, Classified& out) {
         out.action = Action::kCreateView;
         out.commands.push_back(Single(out.action, tree::Table(tree::Object(st.tree, "view")),
                                       Lock::kNone, Phase::kExpand));
       }},
      {"CreateFunctionStmt",
       [](const Statement&, Classified& out) {
         ClassifyCreateObject(out, Action::kCreateFunction);
       }},
      {"CreateTrigStmt", ClassifyCreateTrigger},
  };
  return handlers;
}

bool CreatesOtherObject(std::string_view n) {
  return n == "CreateSeqStmt" || n == "CreateSchemaStmt" || n == "CreateEnumStmt" ||
         n == "CompositeTypeStmt" || n == "CreateExtensionStmt" || n == "CreateDomainStmt" ||
         n == "DefineStmt" || n == "CreateRangeStmt";
}

// Statements PostgreSQL refuses inside a transaction block.
bool OutsideTransactionOnly(std::string_view n) {
  return n == "CreatedbStmt" || n == "DropdbStmt" || n == "AlterSystemStmt" ||
         n == "CreateTableSpaceStmt" || n == "DropTableSpaceStmt";
}

}  // namespace

void ClassifyByKind(const Statement& st, Classified& out) {
  const std::string& n = st.node_type;
  if (auto it = Handlers().find(n); it != Handlers().end()) {
    it->second(st, out);
  } else if (CreatesOtherObject(n)) {
    ClassifyCreateObject(out, Action::kCreateOther);
  } else {
    out.action = Action::kOther;
    out.transactional = !OutsideTransactionOnly(n);
  }
}

}  // namespace tide::sql
