// ALTER for each kind of object: the statements that turn one version of an object into
// another, fact by fact, and what they cannot do said in a note.
#include <fmt/format.h>

#include <map>

#include "base/strings.h"
#include "drift/statements.h"

namespace tide::drift {

namespace {

bool Differs(const DbObject& a, const DbObject& b, const std::string& fact) {
  return a.Fact(fact) != b.Fact(fact);
}

std::string Replace(const DbObject& from, const DbObject& to) {
  return DropStatement(from) + ";\n" + CreateStatement(to);
}

std::string AlterColumn(const DbObject& from, const DbObject& to, std::vector<std::string>& notes) {
  std::string col = to.SqlName();
  if (Differs(from, to, "generated") ||
      (to.Fact("generated") == "stored" && Differs(from, to, "default"))) {
    if (to.Fact("generated").empty() && !Differs(from, to, "type")) {
      return fmt::format("ALTER TABLE {} ALTER COLUMN {} DROP EXPRESSION", to.SqlTable(), col);
    }
    notes.push_back(
        "a generated column's expression cannot be altered: the column is dropped "
        "and added again (its values are recomputed; it moves to the end)");
    return Replace(from, to);
  }
  std::vector<std::string> actions;
  if (!from.Fact("identity").empty() && to.Fact("identity").empty()) {
    actions.push_back(fmt::format("ALTER COLUMN {} DROP IDENTITY", col));
  }
  if (Differs(from, to, "type") || Differs(from, to, "collation")) {
    std::string collate = to.Fact("collation").empty() ? "" : " COLLATE " + to.Fact("collation");
    actions.push_back(fmt::format("ALTER COLUMN {} TYPE {}{} USING {}::{}", col, to.Fact("type"),
                                  collate, col, to.Fact("type")));
    notes.push_back("a type change may rewrite the table under an ACCESS EXCLUSIVE lock");
  }
  if (Differs(from, to, "default") && to.Fact("identity").empty()) {
    actions.push_back(to.Fact("default").empty()
                          ? fmt::format("ALTER COLUMN {} DROP DEFAULT", col)
                          : fmt::format("ALTER COLUMN {} SET DEFAULT {}", col, to.Fact("default")));
  }
  if (Differs(from, to, "nullability")) {
    bool set = to.Fact("nullability") == "NOT NULL";
    actions.push_back(fmt::format("ALTER COLUMN {} {} NOT NULL", col, set ? "SET" : "DROP"));
    if (set)
      notes.push_back(
          "SET NOT NULL scans the table; in a migration, tide migrate runs it "
          "through a validated CHECK, without the long lock");
  }
  if (from.Fact("identity").empty() && !to.Fact("identity").empty()) {
    actions.push_back(fmt::format("ALTER COLUMN {} ADD GENERATED {} AS IDENTITY", col,
                                  to.Fact("identity") == "always" ? "ALWAYS" : "BY DEFAULT"));
  } else if (!from.Fact("identity").empty() && Differs(from, to, "identity") &&
             !to.Fact("identity").empty()) {
    actions.push_back(fmt::format("ALTER COLUMN {} SET GENERATED {}", col,
                                  to.Fact("identity") == "always" ? "ALWAYS" : "BY DEFAULT"));
  }
  if (actions.empty()) return "";
  return fmt::format("ALTER TABLE {} {}", to.SqlTable(), Join(actions, ", "));
}

std::string AlterConstraint(const DbObject& from, const DbObject& to,
                            std::vector<std::string>& notes) {
  if (!Differs(from, to, "definition") && !Differs(from, to, "type") &&
      to.Fact("validated") == "yes") {
    return fmt::format("ALTER TABLE {} VALIDATE CONSTRAINT {}", to.SqlTable(), to.SqlName());
  }
  if (!Differs(from, to, "definition") && to.Fact("validated") == "no") {
    notes.push_back(
        "a validated constraint cannot be made NOT VALID again: it is dropped and "
        "added back NOT VALID");
  }
  return Replace(from, to);
}

std::string AlterIndex(const DbObject& from, const DbObject& to, std::vector<std::string>& notes) {
  if (!Differs(from, to, "definition")) {
    if (to.Fact("valid") == "yes") return "REINDEX INDEX CONCURRENTLY " + to.SqlName();
    notes.push_back(
        "an INVALID index is what a failed CREATE INDEX CONCURRENTLY leaves; no "
        "statement makes a valid one invalid, and no migration should want one");
    return "";
  }
  return Replace(from, to);
}

// CREATE OR REPLACE VIEW keeps grants and dependent views, but only when the new column list
// starts with the old one; otherwise the view is dropped and created.
std::string AlterView(const DbObject& from, const DbObject& to, std::vector<std::string>& notes) {
  std::string old_cols = from.Extra("columns"), new_cols = to.Extra("columns");
  bool prefix = !old_cols.empty() && new_cols.rfind(old_cols, 0) == 0 &&
                (new_cols.size() == old_cols.size() || new_cols[old_cols.size()] == '\x1f');
  if (to.kind == ObjectKind::kView && prefix && !Differs(from, to, "options")) {
    return fmt::format("CREATE OR REPLACE VIEW {} AS\n{}", to.SqlName(), to.Fact("definition"));
  }
  notes.push_back(
      fmt::format("the {} is dropped and created again: its grants, indexes and triggers "
                  "must be made again, and views that use it block the DROP",
                  KindName(to.kind)));
  return Replace(from, to);
}

std::string AlterTrigger(const DbObject& from, const DbObject& to) {
  if (!Differs(from, to, "definition")) {
    std::string e = to.Fact("enabled");
    std::string action = e == "disabled"  ? "DISABLE"
                         : e == "replica" ? "ENABLE REPLICA"
                         : e == "always"  ? "ENABLE ALWAYS"
                                          : "ENABLE";
    return fmt::format("ALTER TABLE {} {} TRIGGER {}", to.SqlTable(), action, to.SqlName());
  }
  return Replace(from, to);
}

std::string AlterSequence(const DbObject& from, const DbObject& to) {
  static const std::pair<const char*, const char*> kOptions[] = {
      {"type", "AS"},          {"increment", "INCREMENT BY"}, {"minimum", "MINVALUE"},
      {"maximum", "MAXVALUE"}, {"start", "START WITH"},       {"cache", "CACHE"}};
  std::string out;
  for (const auto& [fact, keyword] : kOptions) {
    if (Differs(from, to, fact)) out += fmt::format(" {} {}", keyword, to.Fact(fact));
  }
  if (Differs(from, to, "cycle")) out += to.Fact("cycle") == "yes" ? " CYCLE" : " NO CYCLE";
  if (Differs(from, to, "owned by")) {
    out += " OWNED BY " + (to.Fact("owned by").empty() ? "NONE" : to.Fact("owned by"));
  }
  return out.empty() ? "" : "ALTER SEQUENCE " + to.SqlName() + out;
}

std::vector<std::string> Labels(const DbObject& e) { return Split(e.Extra("label list"), '\x1f'); }

// New labels go in with ADD VALUE; a removed or reordered label needs the type rebuilt and
// every column using it converted.
std::string AlterEnum(const DbObject& from, const DbObject& to, std::vector<std::string>& notes) {
  std::vector<std::string> old_labels = Labels(from), new_labels = Labels(to);
  size_t i = 0;
  for (const auto& l : new_labels) {
    if (i < old_labels.size() && old_labels[i] == l) ++i;
  }
  if (i == old_labels.size()) {  // old is a subsequence of new: only additions
    std::vector<std::string> out;
    for (size_t k = 0, j = 0; k < new_labels.size(); ++k) {
      if (j < old_labels.size() && old_labels[j] == new_labels[k]) {
        ++j;
        continue;
      }
      std::string where = j < old_labels.size() ? " BEFORE " + QuoteLiteral(old_labels[j])
                          : k > 0               ? " AFTER " + QuoteLiteral(new_labels[k - 1])
                                                : "";
      out.push_back(fmt::format("ALTER TYPE {} ADD VALUE {}{}", to.SqlName(),
                                QuoteLiteral(new_labels[k]), where));
    }
    return Join(out, ";\n");
  }
  std::string old_name = to.name + "_before_drift_fix";
  std::vector<std::string> out = {
      fmt::format("ALTER TYPE {} RENAME TO {}", to.SqlName(), QuoteIdent(old_name)),
      CreateStatement(to)};
  for (const auto& user : Split(to.Extra("users"), '\x1e')) {
    auto parts = Split(user, '\x1f');
    if (parts.size() != 2) continue;
    out.push_back(fmt::format("ALTER TABLE {} ALTER COLUMN {} TYPE {} USING {}::text::{}", parts[0],
                              parts[1], to.SqlName(), parts[1], to.SqlName()));
  }
  out.push_back("DROP TYPE " + QuoteQualified(to.schema, old_name));
  notes.push_back(
      "an enum label cannot be removed or moved: the type is rebuilt and its "
      "columns converted (a table rewrite; rows holding a removed label make it "
      "fail, and a column default naming the type must be dropped first)");
  return Join(out, ";\n");
}

std::string AlterDomain(const DbObject& from, const DbObject& to, std::vector<std::string>& notes) {
  if (Differs(from, to, "type") || Differs(from, to, "collation")) {
    notes.push_back(
        "a domain's type cannot be changed: drop it and create it again, with the "
        "columns that use it");
    return "";
  }
  std::vector<std::string> out;
  std::string d = "ALTER DOMAIN " + to.SqlName();
  if (Differs(from, to, "default")) {
    out.push_back(to.Fact("default").empty() ? d + " DROP DEFAULT"
                                             : d + " SET DEFAULT " + to.Fact("default"));
  }
  if (Differs(from, to, "nullability")) {
    out.push_back(d + (to.Fact("nullability") == "NOT NULL" ? " SET NOT NULL" : " DROP NOT NULL"));
  }
  for (const auto& [key, value] : from.facts) {
    if (key.rfind("check ", 0) == 0 && to.Fact(key) != value) {
      out.push_back(d + " DROP CONSTRAINT " + QuoteIdent(key.substr(6)));
    }
  }
  for (const auto& [key, value] : to.facts) {
    if (key.rfind("check ", 0) == 0 && from.Fact(key) != value) {
      out.push_back(fmt::format("{} ADD CONSTRAINT {} {}", d, QuoteIdent(key.substr(6)), value));
    }
  }
  return Join(out, ";\n");
}

// "fillfactor=70, parallel_workers=2" as name -> value.
std::map<std::string, std::string> StorageParameters(const std::string& text) {
  std::map<std::string, std::string> out;
  for (const auto& item : Split(text, ',')) {
    std::string entry(Trim(item));
    size_t eq = entry.find('=');
    if (eq != std::string::npos) out[entry.substr(0, eq)] = entry.substr(eq + 1);
  }
  return out;
}

std::string AlterStorage(const DbObject& from, const DbObject& to) {
  auto old_params = StorageParameters(from.Fact("options"));
  auto new_params = StorageParameters(to.Fact("options"));
  std::vector<std::string> set, reset;
  for (const auto& [k, v] : new_params) {
    if (!old_params.count(k) || old_params[k] != v) set.push_back(k + "=" + v);
  }
  for (const auto& [k, v] : old_params) {
    if (!new_params.count(k)) reset.push_back(k);
  }
  std::vector<std::string> actions;
  if (!set.empty()) actions.push_back("SET (" + Join(set, ", ") + ")");
  if (!reset.empty()) actions.push_back("RESET (" + Join(reset, ", ") + ")");
  if (actions.empty()) return "";
  return fmt::format("ALTER TABLE {} {}", to.SqlName(), Join(actions, ", "));
}

std::string AlterTable(const DbObject& from, const DbObject& to, std::vector<std::string>& notes) {
  std::vector<std::string> out;
  if (Differs(from, to, "options")) out.push_back(AlterStorage(from, to));
  if (Differs(from, to, "persistence")) {
    out.push_back(fmt::format("ALTER TABLE {} SET {}", to.SqlName(),
                              to.Fact("persistence") == "unlogged" ? "UNLOGGED" : "LOGGED"));
  }
  if (Differs(from, to, "partition key") || Differs(from, to, "partition of")) {
    notes.push_back("partitioning cannot be altered in place: the table must be rebuilt");
  }
  return Join(out, ";\n");
}

// Owner and grants, when --privileges compares them.
std::string AlterPrivileges(const DbObject& from, const DbObject& to) {
  std::string on;
  switch (to.kind) {
    case ObjectKind::kSchema:
      on = "SCHEMA ";
      break;
    case ObjectKind::kSequence:
      on = "SEQUENCE ";
      break;
    case ObjectKind::kFunction:
      on = to.Extra("kind") == "procedure" ? "PROCEDURE " : "FUNCTION ";
      break;
    case ObjectKind::kEnum:
      on = "TYPE ";
      break;
    case ObjectKind::kDomain:
      on = "DOMAIN ";
      break;
    default:
      on = "TABLE ";
  }
  on += to.SqlName();
  std::vector<std::string> out;
  if (Differs(from, to, "owner") && !to.Fact("owner").empty()) {
    std::string alter = to.kind == ObjectKind::kView               ? "VIEW "
                        : to.kind == ObjectKind::kMaterializedView ? "MATERIALIZED VIEW "
                                                                   : on.substr(0, on.find(' ') + 1);
    out.push_back(fmt::format("ALTER {}{} OWNER TO {}", alter, to.SqlName(), to.Fact("owner")));
  }
  std::map<std::string, bool> roles;
  for (const auto& f : {from.facts, to.facts}) {
    for (const auto& [key, value] : f) {
      if (key.rfind("grant ", 0) == 0 && from.Fact(key) != to.Fact(key))
        roles[key.substr(6)] = true;
    }
  }
  for (const auto& [role, unused] : roles) {
    out.push_back(fmt::format("REVOKE ALL ON {} FROM {}", on, role));
    std::string granted = to.Fact("grant " + role);  // "SELECT, INSERT[ WITH GRANT OPTION]"
    if (granted.empty()) continue;
    const std::string option = " WITH GRANT OPTION";
    bool with_option = granted.ends_with(option);
    if (with_option) granted.resize(granted.size() - option.size());
    out.push_back(
        fmt::format("GRANT {} ON {} TO {}{}", granted, on, role, with_option ? option : ""));
  }
  return Join(out, ";\n");
}

std::string AlterBody(const DbObject& from, const DbObject& to, std::vector<std::string>& notes) {
  switch (to.kind) {
    case ObjectKind::kSchema:
      return "";
    case ObjectKind::kExtension: {
      std::vector<std::string> out;
      if (Differs(from, to, "version")) {
        out.push_back(fmt::format("ALTER EXTENSION {} UPDATE TO {}", to.SqlName(),
                                  QuoteLiteral(to.Fact("version"))));
      }
      if (Differs(from, to, "schema")) {
        out.push_back(fmt::format("ALTER EXTENSION {} SET SCHEMA {}", to.SqlName(),
                                  QuoteIdent(to.Fact("schema"))));
      }
      return Join(out, ";\n");
    }
    case ObjectKind::kTable:
      return AlterTable(from, to, notes);
    case ObjectKind::kColumn:
      return AlterColumn(from, to, notes);
    case ObjectKind::kConstraint:
      return AlterConstraint(from, to, notes);
    case ObjectKind::kIndex:
      return AlterIndex(from, to, notes);
    case ObjectKind::kView:
    case ObjectKind::kMaterializedView:
      return Differs(from, to, "definition") || Differs(from, to, "options")
                 ? AlterView(from, to, notes)
                 : "";
    case ObjectKind::kSequence:
      return AlterSequence(from, to);
    case ObjectKind::kEnum:
      return AlterEnum(from, to, notes);
    case ObjectKind::kDomain:
      return AlterDomain(from, to, notes);
    case ObjectKind::kFunction:
      return Differs(from, to, "definition") ? to.Fact("definition") : "";
    case ObjectKind::kTrigger:
      return AlterTrigger(from, to);
  }
  return "";
}

}  // namespace

std::string AlterStatement(const DbObject& from, const DbObject& to,
                           std::vector<std::string>& notes) {
  std::vector<std::string> out;
  std::string body = AlterBody(from, to, notes);
  if (!body.empty()) out.push_back(body);
  std::string privileges = AlterPrivileges(from, to);
  if (!privileges.empty()) out.push_back(privileges);
  return Join(out, ";\n");
}

}  // namespace tide::drift
