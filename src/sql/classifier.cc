#include <fmt/format.h>

#include <algorithm>
#include <atomic>

#include "base/strings.h"
#include "base/text.h"
#include "sql/classify.h"
#include "sql/classify_internal.h"
#include "sql/classify_util.h"
#include "sql/objects.h"

namespace tide::sql {

using tree::Json;

const char* PhaseName(Phase phase) {
  switch (phase) {
    case Phase::kNeutral: return "neutral";
    case Phase::kExpand: return "expand";
    case Phase::kContract: return "contract";
  }
  return "?";
}

std::string TableName::Quoted() const { return QuoteQualified(schema, name); }

std::string TableName::Display() const { return schema.empty() ? name : schema + "." + name; }

void TableIndex::Add(const TableName& table, size_t position) {
  by_name_[table.name].emplace_back(position, table);
}

bool TableIndex::Contains(const TableName& table, size_t before) const {
  auto it = by_name_.find(table.name);
  if (it == by_name_.end()) return false;
  for (const auto& [position, t] : it->second) {
    if (position >= before) break;
    if (t.schema.empty() || table.schema.empty() || t.schema == table.schema) return true;
  }
  return false;
}

const char* ActionName(Action action) {
  switch (action) {
    case Action::kCreateTable: return "create table";
    case Action::kCreateTableAs: return "create table as";
    case Action::kCreateIndex: return "create index";
    case Action::kCreateView: return "create view";
    case Action::kCreateFunction: return "create function";
    case Action::kCreateTrigger: return "create trigger";
    case Action::kCreateOther: return "create";
    case Action::kDropTable: return "drop table";
    case Action::kDropIndex: return "drop index";
    case Action::kDropOther: return "drop";
    case Action::kRenameTable: return "rename table";
    case Action::kRenameColumn: return "rename column";
    case Action::kRenameOther: return "rename";
    case Action::kAddColumn: return "add column";
    case Action::kDropColumn: return "drop column";
    case Action::kAlterColumnType: return "alter column type";
    case Action::kSetDefault: return "set default";
    case Action::kDropDefault: return "drop default";
    case Action::kSetNotNull: return "set not null";
    case Action::kDropNotNull: return "drop not null";
    case Action::kAddConstraint: return "add constraint";
    case Action::kValidateConstraint: return "validate constraint";
    case Action::kDropConstraint: return "drop constraint";
    case Action::kAttachPartition: return "attach partition";
    case Action::kDetachPartition: return "detach partition";
    case Action::kSetTablespace: return "set tablespace";
    case Action::kSetLogged: return "set logged/unlogged";
    case Action::kSetAccessMethod: return "set access method";
    case Action::kAlterTableOther: return "alter table";
    case Action::kReindex: return "reindex";
    case Action::kUpdate: return "update";
    case Action::kDelete: return "delete";
    case Action::kInsert: return "insert";
    case Action::kSelect: return "select";
    case Action::kCopy: return "copy";
    case Action::kTruncate: return "truncate";
    case Action::kVacuum: return "vacuum";
    case Action::kVacuumFull: return "vacuum full";
    case Action::kCluster: return "cluster";
    case Action::kLockTable: return "lock table";
    case Action::kAlterEnumAddValue: return "alter type add value";
    case Action::kAlterEnumOther: return "alter type";
    case Action::kDo: return "do";
    case Action::kTransaction: return "transaction control";
    case Action::kSet: return "set";
    case Action::kOther: return "other";
  }
  return "?";
}

bool IsKnownVolatileFunction(const std::string& name) {
  static const char* kVolatile[] = {
      "clock_timestamp", "random", "gen_random_uuid", "uuid_generate_v1", "uuid_generate_v1mc",
      "uuid_generate_v4", "nextval", "timeofday", "txid_current", "setseed", "random_normal",
      "gen_random_bytes", "pg_current_xact_id", "currval", "lastval"};
  for (const char* v : kVolatile) {
    if (name == v) return true;
  }
  return false;
}

Classified Classify(const Statement& st) {
  Classified out;
  out.statement = &st;
  ClassifyByKind(st, out);

  for (const auto& c : out.commands) {
    if (static_cast<int>(c.lock) > static_cast<int>(out.lock)) out.lock = c.lock;
    out.scans = out.scans || c.scans;
    out.rewrites = out.rewrites || c.rewrites;
  }
  bool expand = false, contract = false;
  for (const auto& c : out.commands) {
    expand = expand || c.phase == Phase::kExpand;
    contract = contract || c.phase == Phase::kContract;
  }
  out.phase = contract ? Phase::kContract : expand ? Phase::kExpand : Phase::kNeutral;
  out.text_phase = out.phase;
  out.mixed_phase = expand && contract;
  if (out.summary.empty()) {
    std::string first_line(st.text.substr(0, st.text.find('\n')));
    out.summary = Abbreviate(first_line, 80);
  }
  return out;
}

namespace {

bool IsDataStatement(const std::string& node_type) {
  return node_type == "InsertStmt" || node_type == "UpdateStmt" || node_type == "DeleteStmt" ||
         node_type == "MergeStmt" || node_type == "CopyStmt";
}

}  // namespace

namespace {
std::atomic<uint64_t> scripts_classified{0};
}  // namespace

uint64_t ScriptsClassified() { return scripts_classified.load(); }

Result<ClassifiedScript> ClassifyScript(std::string_view script, const std::string& file_name) {
  ++scripts_classified;
  ClassifiedScript out;
  TIDE_TRY(ForEachStatement(script, file_name, [&](Statement&& st) -> Status {
    out.statements.push_back(std::move(st));
    Statement& kept = out.statements.back();
    Classified c = Classify(kept);
    // Nothing after Classify reads a data statement's tree (the lint rules and the phase judge
    // read those of DDL): it goes, so that the trees of a file of seed data are never all in
    // memory at once.
    if (IsDataStatement(kept.node_type)) kept.tree = nlohmann::json();
    c.index = out.statements.size() - 1;
    if (c.action == Action::kCreateTable || c.action == Action::kCreateTableAs) {
      out.created_tables.push_back(c.table);
    }
    out.classified.push_back(std::move(c));
    return Ok();
  }));
  // The statements stopped moving: point each classification at its own.
  for (auto& c : out.classified) c.statement = &out.statements[c.index];
  out.directives = ParseDirectives(script, out.statements);
  JudgePhases(out, PhaseFacts());
  return out;
}

}  // namespace tide::sql
