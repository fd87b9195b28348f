// ALTER TABLE clauses: lock, scan/rewrite and phase of each, per the PostgreSQL 15 manual's
// ALTER TABLE page. The strongest lock of the clauses is the statement's.
#include <fmt/format.h>

#include "base/strings.h"
#include "base/text.h"
#include "sql/classify.h"
#include "sql/classify_internal.h"
#include "sql/classify_util.h"
#include "sql/sql_text.h"

namespace tide::sql {

using tree::Json;

namespace {

ConstraintType ContypeOf(const std::string& contype) {
  if (contype == "CONSTR_CHECK") return ConstraintType::kCheck;
  if (contype == "CONSTR_FOREIGN") return ConstraintType::kForeignKey;
  if (contype == "CONSTR_UNIQUE") return ConstraintType::kUnique;
  if (contype == "CONSTR_PRIMARY") return ConstraintType::kPrimaryKey;
  if (contype == "CONSTR_EXCLUSION") return ConstraintType::kExclusion;
  if (contype == "CONSTR_NOTNULL") return ConstraintType::kNotNull;
  return ConstraintType::kNone;
}

// Lock, scan and phase of adding a table constraint (also used for column constraints).
void DescribeConstraint(const Json& c, Command& cmd) {
  cmd.constraint = ContypeOf(c.value("contype", ""));
  cmd.object_name = c.value("conname", "");
  cmd.not_valid = c.value("skip_validation", false);
  cmd.using_index = c.contains("indexname");
  if (cmd.using_index) cmd.object_name = cmd.object_name.empty() ? c.value("indexname", "")
                                                                 : cmd.object_name;
  for (const auto& k : tree::Strings(tree::Array(c, "keys"))) cmd.columns.push_back(k);
  for (const auto& k : tree::Strings(tree::Array(c, "fk_attrs"))) {
    cmd.columns.push_back(k);
  }
  cmd.including = tree::Strings(tree::Array(c, "including"));
  cmd.has_options = c.contains("options") || c.contains("indexspace") ||
                    c.contains("where_clause");
  if (c.contains("pktable")) cmd.referenced = tree::Table(c["pktable"]);
  cmd.deferrable = c.value("deferrable", false);
  cmd.initially_deferred = c.value("initdeferred", false);
  cmd.phase = Phase::kContract;  // every constraint narrows what the old release may write
  switch (cmd.constraint) {
    case ConstraintType::kForeignKey:
      cmd.lock = Lock::kShareRowExclusive;
      cmd.scans = !cmd.not_valid;
      break;
    case ConstraintType::kCheck:
      cmd.lock = Lock::kAccessExclusive;
      cmd.scans = !cmd.not_valid;
      break;
    case ConstraintType::kUnique:
    case ConstraintType::kPrimaryKey:
      cmd.lock = Lock::kAccessExclusive;
      cmd.scans = !cmd.using_index;  // builds the index under the lock
      break;
    case ConstraintType::kExclusion:
      cmd.lock = Lock::kAccessExclusive;
      cmd.scans = true;
      break;
    default:
      cmd.lock = Lock::kAccessExclusive;
      break;
  }
}

void DescribeAddColumn(const Json& def, Command& cmd) {
  const Json& col = tree::Object(def, "ColumnDef");
  cmd.column = col.value("colname", "");
  cmd.lock = Lock::kAccessExclusive;
  cmd.phase = Phase::kExpand;
  if (col.contains("typeName")) cmd.type = TypeFromTree(col["typeName"]);
  if (cmd.type && IsSerial(*cmd.type)) {
    cmd.has_default = true;
    cmd.volatile_default = true;
    cmd.default_functions.push_back("nextval");
  }
  bool inline_fk_validates = false;
  for (const auto& item : tree::Array(col, "constraints")) {
    const Json& c = tree::Object(item, "Constraint");
    std::string contype = c.value("contype", "");
    if (contype == "CONSTR_DEFAULT") {
      cmd.has_default = true;
      tree::CollectFunctions(tree::Field(c, "raw_expr"), cmd.default_functions);
    } else if (contype == "CONSTR_NOTNULL") {
      cmd.not_null = true;
    } else if (contype == "CONSTR_GENERATED") {
      cmd.generated_stored = true;
    } else if (contype == "CONSTR_IDENTITY") {
      cmd.identity = true;
    } else if (contype != "CONSTR_NULL") {
      // An inline REFERENCES, CHECK, UNIQUE or PRIMARY KEY adds a constraint with the column.
      Command inner;
      DescribeConstraint(c, inner);
      cmd.constraint = inner.constraint;
      cmd.referenced = inner.referenced;
      // A REFERENCES on a column without a default is all NULL: PostgreSQL marks it valid
      // without a scan (measured: 4 ms vs 700 ms on 3M rows); with a default it validates
      // every row. Decided after the loop, since DEFAULT may come after REFERENCES.
      if (inner.constraint == ConstraintType::kForeignKey) {
        inline_fk_validates = !inner.not_valid;
      } else {
        cmd.scans = cmd.scans || inner.scans;
      }
      if (inner.constraint == ConstraintType::kForeignKey && inner.not_valid) cmd.not_valid = true;
      // On a new nullable column the old release writes NULL, which every such constraint
      // accepts: still an expand.
    }
  }
  if (inline_fk_validates && cmd.has_default) cmd.scans = true;
  for (const auto& f : cmd.default_functions) {
    if (IsKnownVolatileFunction(f)) cmd.volatile_default = true;
  }
  if (cmd.volatile_default || cmd.generated_stored || cmd.identity) {
    cmd.rewrites = true;
    cmd.scans = true;
  }
  // NOT NULL without a default fails on a non-empty table and breaks the old release's inserts.
  if (cmd.not_null && !cmd.has_default && !cmd.identity && !cmd.generated_stored) {
    cmd.phase = Phase::kContract;
    cmd.scans = true;
  }
}

}  // namespace

namespace {

// The text of each clause, for steps that run one clause alone; nullopt when it cannot be cut.
std::optional<AlterTableText> ClauseTexts(const Statement& st, size_t clauses) {
  const Json& relation = tree::Object(st.tree, "relation");
  if (clauses == 1 && relation.contains("location")) {
    // Locations count from tree_base; most ALTER TABLEs have one clause.
    int64_t location =
        relation["location"].get<int64_t>() - static_cast<int64_t>(st.offset - st.tree_base);
    if (location > 0) {
      auto split = SplitOneClauseAlterTable(st.text, static_cast<size_t>(location));
      if (split) return split;
    }
  }
  auto scanned = SplitAlterTable(st.text);
  if (!scanned.ok()) return std::nullopt;
  return std::move(scanned).value();
}

void DescribeTypeChange(const Json& def, Command& cmd) {
  cmd.action = Action::kAlterColumnType;
  const Json& col = tree::Object(def, "ColumnDef");
  if (col.contains("typeName")) cmd.type = TypeFromTree(col["typeName"]);
  cmd.has_using = col.contains("raw_default");
  // Whether it rewrites depends on the current type: the planner asks the catalog.
  TypeChange change = cmd.type ? ClassifyTypeChange(std::nullopt, *cmd.type, cmd.has_using)
                               : TypeChange::kRewrite;
  cmd.rewrites = change != TypeChange::kNoRewrite;
  cmd.scans = cmd.rewrites;
  cmd.phase = Phase::kContract;
}

void DescribeDetach(const std::string& subtype, const Json& def, Command& cmd,
                    Classified& out) {
  cmd.action = Action::kDetachPartition;
  cmd.phase = Phase::kContract;
  cmd.partition = tree::Table(tree::Object(tree::Object(def, "PartitionCmd"), "name"));
  // FINALIZE ends a concurrent detach (SHARE UPDATE EXCLUSIVE); unlike CONCURRENTLY it
  // may run in a transaction block (checked on PostgreSQL 15).
  cmd.finalize = subtype == "AT_DetachPartitionFinalize";
  if (cmd.finalize) cmd.lock = Lock::kShareUpdateExclusive;
  // PostgreSQL 14+: CONCURRENTLY takes SHARE UPDATE EXCLUSIVE on the parent and, like
  // CREATE INDEX CONCURRENTLY, refuses to run inside a transaction block.
  if (tree::Object(def, "PartitionCmd").value("concurrent", false)) {
    cmd.concurrently = true;
    cmd.lock = Lock::kShareUpdateExclusive;
    out.transactional = false;
  }
}

// Catalog-only changes; these few take a weaker lock than ACCESS EXCLUSIVE.
void DescribeOtherAlter(const std::string& subtype, Command& cmd) {
  cmd.action = Action::kAlterTableOther;
  if (subtype == "AT_SetStatistics" || subtype == "AT_SetRelOptions" ||
      subtype == "AT_ResetRelOptions" || subtype == "AT_ClusterOn" ||
      subtype == "AT_DropCluster" || subtype == "AT_SetOptions" || subtype == "AT_ResetOptions") {
    cmd.lock = Lock::kShareUpdateExclusive;
  } else if (subtype.find("Trigger") != std::string::npos) {
    cmd.lock = Lock::kShareRowExclusive;
  }
}

// Long by design: one case per kind of ALTER TABLE clause tide tells apart.
void DescribeClause(const std::string& subtype, const Json& ac, Command& cmd, Classified& out) {
  const Json& def = tree::Object(ac, "def");
  if (subtype == "AT_AddColumn") {
    cmd.action = Action::kAddColumn;
    DescribeAddColumn(def, cmd);
  } else if (subtype == "AT_DropColumn") {
    cmd.action = Action::kDropColumn;
    cmd.phase = Phase::kContract;
  } else if (subtype == "AT_AlterColumnType") {
    DescribeTypeChange(def, cmd);
  } else if (subtype == "AT_ColumnDefault") {
    cmd.action = ac.contains("def") ? Action::kSetDefault : Action::kDropDefault;
    cmd.phase = ac.contains("def") ? Phase::kNeutral : Phase::kContract;
  } else if (subtype == "AT_SetNotNull") {
    cmd.action = Action::kSetNotNull;
    cmd.scans = true;
    cmd.phase = Phase::kContract;
  } else if (subtype == "AT_DropNotNull") {
    cmd.action = Action::kDropNotNull;
  } else if (subtype == "AT_AddConstraint") {
    cmd.action = Action::kAddConstraint;
    DescribeConstraint(tree::Object(def, "Constraint"), cmd);
  } else if (subtype == "AT_ValidateConstraint" || subtype == "AT_DropConstraint") {
    bool validate = subtype == "AT_ValidateConstraint";
    cmd.action = validate ? Action::kValidateConstraint : Action::kDropConstraint;
    cmd.object_name = cmd.column;
    cmd.column.clear();
    if (validate) {
      cmd.lock = Lock::kShareUpdateExclusive;
      cmd.scans = true;
    }
  } else if (subtype == "AT_AttachPartition") {
    cmd.action = Action::kAttachPartition;
    cmd.lock = Lock::kShareUpdateExclusive;
    cmd.scans = true;
    cmd.partition = tree::Table(tree::Object(tree::Object(def, "PartitionCmd"), "name"));
  } else if (subtype == "AT_DetachPartition" || subtype == "AT_DetachPartitionFinalize") {
    DescribeDetach(subtype, def, cmd, out);
  } else if (subtype == "AT_SetTableSpace" || subtype == "AT_SetLogged" ||
             subtype == "AT_SetUnLogged" || subtype == "AT_SetAccessMethod") {
    // Each rewrites the table (SET ACCESS METHOD, PostgreSQL 15: in the new method's format).
    cmd.action = subtype == "AT_SetTableSpace"    ? Action::kSetTablespace
                 : subtype == "AT_SetAccessMethod" ? Action::kSetAccessMethod
                                                   : Action::kSetLogged;
    cmd.rewrites = cmd.scans = true;
  } else {
    DescribeOtherAlter(subtype, cmd);
  }
}

}  // namespace

void ClassifyAlterTable(const Statement& st, Classified& out) {
  const Json& t = st.tree;
  out.action = Action::kAlterTableOther;
  out.table = tree::Table(tree::Object(t, "relation"));
  const auto& cmds = tree::Array(t, "cmds");
  std::optional<AlterTableText> split = ClauseTexts(st, cmds.size());
  out.alter_head.clear();
  if (split && split->clauses.size() == cmds.size()) out.alter_head = split->head;
  for (size_t i = 0; i < cmds.size(); ++i) {
    const Json& ac = tree::Object(cmds[i], "AlterTableCmd");
    Command cmd;
    cmd.table = out.table;
    cmd.column = ac.value("name", "");
    if (split && i < split->clauses.size()) cmd.text = split->clauses[i];
    cmd.if_exists = ac.value("missing_ok", false);
    cmd.cascade = ac.value("behavior", "") == "DROP_CASCADE";
    cmd.lock = Lock::kAccessExclusive;
    DescribeClause(ac.value("subtype", ""), ac, cmd, out);
    out.commands.push_back(std::move(cmd));
  }
  if (out.commands.size() == 1) out.action = out.commands[0].action;
  out.summary = fmt::format("ALTER TABLE {}", out.table.Display());
  for (const auto& c : out.commands) {
    out.summary += std::string(c.text.empty() ? "" : " ") + Abbreviate(c.text, 60);
    if (&c != &out.commands.back()) out.summary += ",";
  }
}

Result<AlterTableText> AlterTableClauses(const Classified& c) {
  bool complete = !c.alter_head.empty() && !c.commands.empty();
  for (const auto& cmd : c.commands) complete = complete && !cmd.text.empty();
  if (!complete) return SplitAlterTable(c.statement->text);
  AlterTableText out;
  out.head = c.alter_head;
  for (const auto& cmd : c.commands) out.clauses.push_back(cmd.text);
  return out;
}

}  // namespace tide::sql
