#include "sql/objects.h"

#include <fmt/format.h>

#include "base/strings.h"
#include "sql/classify_util.h"

namespace tide::sql {

using tree::Json;

namespace {

bool SameName(const TableName& a, const TableName& b) {
  return a.name == b.name && (a.schema.empty() || b.schema.empty() || a.schema == b.schema);
}

// ["s", "f"] -> s.f
TableName FromParts(const std::vector<std::string>& parts) {
  TableName t;
  if (parts.size() >= 2) t.schema = parts[parts.size() - 2];
  if (!parts.empty()) t.name = parts.back();
  return t;
}

ObjectRef Relation(const TableName& name, std::string relkind) {
  ObjectRef o;
  o.name = name;
  o.relkind = std::move(relkind);
  return o;
}

// The argument types of a function signature: parameters that are not OUT or TABLE columns.
std::vector<std::string> ArgTypes(const Json& parameters) {
  std::vector<std::string> out;
  for (const auto& p : parameters) {
    const Json& param = tree::Object(p, "FunctionParameter");
    std::string mode = param.value("mode", "");
    if (mode == "FUNC_PARAM_OUT" || mode == "FUNC_PARAM_TABLE") continue;
    out.push_back(TypeFromTree(tree::Object(param, "argType")).ToString());
  }
  return out;
}

// DROP's removeType -> the kind and relkind of what it drops; false for kinds tide ignores.
bool DropKind(const std::string& type, ObjectKind& kind, std::string& relkind) {
  static const std::pair<const char*, const char*> kRelations[] = {
      {"OBJECT_TABLE", "table"},
      {"OBJECT_VIEW", "view"},
      {"OBJECT_MATVIEW", "materialized view"},
      {"OBJECT_INDEX", "index"},
      {"OBJECT_SEQUENCE", "sequence"},
      {"OBJECT_FOREIGN_TABLE", "table"}};
  for (const auto& [name, rel] : kRelations) {
    if (type == name) {
      kind = ObjectKind::kRelation;
      relkind = rel;
      return true;
    }
  }
  relkind.clear();
  if (type == "OBJECT_FUNCTION" || type == "OBJECT_PROCEDURE" || type == "OBJECT_ROUTINE" ||
      type == "OBJECT_AGGREGATE") {
    kind = ObjectKind::kFunction;
  } else if (type == "OBJECT_TYPE" || type == "OBJECT_DOMAIN") {
    kind = ObjectKind::kType;
  } else if (type == "OBJECT_TRIGGER") {
    kind = ObjectKind::kTrigger;
  } else if (type == "OBJECT_SCHEMA") {
    kind = ObjectKind::kSchema;
  } else {
    return false;
  }
  return true;
}

std::vector<ObjectRef> Dropped(const Json& t) {
  std::vector<ObjectRef> out;
  ObjectRef base;
  if (!DropKind(t.value("removeType", ""), base.kind, base.relkind)) return out;
  for (const auto& obj : tree::Array(t, "objects")) {
    ObjectRef o = base;
    if (obj.contains("List")) {
      auto parts = tree::Strings(tree::Array(obj["List"], "items"));
      if (o.kind == ObjectKind::kTrigger && !parts.empty()) {
        o.name.name = parts.back();
        parts.pop_back();
        o.on = FromParts(parts);
      } else {
        o.name = FromParts(parts);
      }
    } else if (obj.contains("ObjectWithArgs")) {
      const Json& f = obj["ObjectWithArgs"];
      o.name = FromParts(tree::Strings(tree::Array(f, "objname")));
      o.args_known = !f.value("args_unspecified", false);
      if (f.contains("objfuncargs")) {
        o.args = ArgTypes(f["objfuncargs"]);
      } else {
        for (const auto& a : tree::Array(f, "objargs")) {
          o.args.push_back(TypeFromTree(tree::Object(a, "TypeName")).ToString());
        }
      }
    } else if (obj.contains("TypeName")) {
      o.name = FromParts(tree::Strings(tree::Array(obj["TypeName"], "names")));
    } else if (obj.contains("String")) {
      o.name.name = obj["String"].value("sval", "");
    }
    if (!o.name.empty()) out.push_back(std::move(o));
  }
  return out;
}

ObjectRef TypeNamed(const Json& names) {
  ObjectRef o;
  o.kind = ObjectKind::kType;
  o.name = FromParts(tree::Strings(names));
  return o;
}

// The names of a SELECT's output columns as PostgreSQL picks them (FigureColname), for the
// common shapes; false at a star.
bool TargetNames(const Json& select, std::vector<std::string>& out) {
  const Json& s = tree::Object(select, "SelectStmt");
  if (s.value("op", "SETOP_NONE") != "SETOP_NONE") {
    // UNION and friends take their column names from the leftmost branch.
    return TargetNames(Json{{"SelectStmt", tree::Object(s, "larg")}}, out);
  }
  if (!s.contains("targetList")) return false;  // VALUES, TABLE t
  for (const auto& target : s["targetList"]) {
    const Json& rt = tree::Object(target, "ResTarget");
    if (rt.contains("name")) {
      out.push_back(rt.value("name", ""));
      continue;
    }
    const Json* val = &tree::Field(rt, "val");
    while (val->is_object() && val->contains("TypeCast") && (*val)["TypeCast"].contains("arg")) {
      const Json& arg = (*val)["TypeCast"]["arg"];
      if (!arg.contains("ColumnRef") && !arg.contains("FuncCall")) break;
      val = &arg;
    }
    if (val->contains("ColumnRef")) {
      const Json& fields = tree::Array((*val)["ColumnRef"], "fields");
      if (fields.empty() || fields.back().contains("A_Star")) return false;
      auto names = tree::Strings(fields);
      out.push_back(names.empty() ? "?column?" : names.back());
    } else if (val->contains("FuncCall")) {
      auto names = tree::Strings(tree::Array((*val)["FuncCall"], "funcname"));
      out.push_back(names.empty() ? "?column?" : names.back());
    } else if (val->contains("TypeCast")) {
      auto names =
          tree::Strings(tree::Array(tree::Object((*val)["TypeCast"], "typeName"), "names"));
      out.push_back(names.empty() ? "?column?" : names.back());
    } else if (val->contains("CaseExpr")) {
      out.push_back("case");
    } else {
      out.push_back("?column?");
    }
  }
  return true;
}

}  // namespace

bool ObjectRef::Matches(const ObjectRef& other) const {
  if (kind != other.kind || !SameName(name, other.name)) return false;
  if (kind == ObjectKind::kTrigger && !SameName(on, other.on)) return false;
  if (kind == ObjectKind::kFunction && args_known && other.args_known) return args == other.args;
  return true;
}

std::string ObjectRef::Display() const {
  switch (kind) {
    case ObjectKind::kRelation:
      return fmt::format("{} {}", relkind.empty() ? "relation" : relkind, name.Display());
    case ObjectKind::kFunction:
      return args_known ? fmt::format("function {}({})", name.Display(), Join(args, ", "))
                        : "function " + name.Display();
    case ObjectKind::kType:
      return "type " + name.Display();
    case ObjectKind::kTrigger:
      return fmt::format("trigger {} on {}", name.Display(), on.Display());
    case ObjectKind::kSchema:
      return "schema " + name.Display();
  }
  return name.Display();
}

std::vector<ObjectRef> CreatedBy(const Classified& c) {
  std::vector<ObjectRef> out;
  if (!c.statement) return out;
  const std::string& n = c.statement->node_type;
  const Json& t = c.statement->tree;
  if (n == "CreateStmt") {
    out.push_back(Relation(c.table, "table"));
  } else if (n == "CreateTableAsStmt") {
    bool matview = t.value("objtype", "") == "OBJECT_MATVIEW";
    out.push_back(Relation(c.table, matview ? "materialized view" : "table"));
  } else if (n == "ViewStmt") {
    out.push_back(Relation(tree::Table(tree::Object(t, "view")), "view"));
  } else if (n == "IndexStmt" && t.contains("idxname")) {
    // An index lives in its table's schema.
    out.push_back(Relation({c.table.schema, t.value("idxname", "")}, "index"));
  } else if (n == "CreateSeqStmt") {
    out.push_back(Relation(tree::Table(tree::Object(t, "sequence")), "sequence"));
  } else if (n == "CreateFunctionStmt") {
    ObjectRef o;
    o.kind = ObjectKind::kFunction;
    o.name = FromParts(tree::Strings(tree::Array(t, "funcname")));
    o.args = ArgTypes(tree::Array(t, "parameters"));
    o.args_known = true;
    out.push_back(std::move(o));
  } else if (n == "CreateTrigStmt") {
    ObjectRef o;
    o.kind = ObjectKind::kTrigger;
    o.name.name = t.value("trigname", "");
    o.on = c.table;
    out.push_back(std::move(o));
  } else if (n == "CreateEnumStmt" || n == "CreateRangeStmt") {
    out.push_back(TypeNamed(tree::Array(t, "typeName")));
  } else if (n == "CreateDomainStmt") {
    out.push_back(TypeNamed(tree::Array(t, "domainname")));
  } else if (n == "CompositeTypeStmt") {
    ObjectRef o;
    o.kind = ObjectKind::kType;
    o.name = tree::Table(tree::Object(t, "typevar"));
    out.push_back(std::move(o));
  } else if (n == "DefineStmt" && t.value("kind", "") == "OBJECT_TYPE") {
    out.push_back(TypeNamed(tree::Array(t, "defnames")));
  } else if (n == "CreateSchemaStmt") {
    ObjectRef o;
    o.kind = ObjectKind::kSchema;
    o.name.name = t.value("schemaname", "");
    out.push_back(std::move(o));
  } else if (n == "RenameStmt") {
    // The new name is only as new as the object: JudgePhases counts it only when the RENAME
    // acts on an object created in this file or run.
    std::string type = t.value("renameType", "");
    if (type == "OBJECT_TABLE" || type == "OBJECT_VIEW" || type == "OBJECT_MATVIEW" ||
        type == "OBJECT_INDEX" || type == "OBJECT_SEQUENCE") {
      TableName renamed = c.table;
      renamed.name = t.value("newname", "");
      out.push_back(Relation(renamed, ""));
    }
  }
  for (auto& o : out) {
    if (o.name.empty()) o.name.name = "?";
  }
  return out;
}

std::vector<ObjectRef> ActsOn(const Classified& c) {
  std::vector<ObjectRef> out;
  if (!c.statement) return out;
  const std::string& n = c.statement->node_type;
  const Json& t = c.statement->tree;
  if (n == "DropStmt") return Dropped(t);
  if (n == "AlterEnumStmt") {
    out.push_back(TypeNamed(tree::Array(t, "typeName")));
    return out;
  }
  if (n == "CreateStmt" || n == "CreateTableAsStmt" || n == "ViewStmt" ||
      n == "CreateFunctionStmt" || n == "CreateSeqStmt") {
    return out;  // creates; the tables it references are not changed
  }
  for (const auto& cmd : c.commands) {
    if (cmd.table.empty()) {
      if (!cmd.object_name.empty() &&
          (cmd.action == Action::kDropIndex || cmd.action == Action::kReindex)) {
        out.push_back(Relation({"", cmd.object_name}, "index"));
      }
      continue;
    }
    // FOREIGN KEY targets are locked, not changed: judged by the table that gets the key.
    if (cmd.action == Action::kCreateTable) continue;
    out.push_back(Relation(cmd.table, ""));
  }
  return out;
}

std::optional<std::vector<std::string>> ViewColumns(const Classified& c) {
  if (!c.statement) return std::nullopt;
  const Json& t = c.statement->tree;
  std::vector<std::string> aliases, names;
  const Json* query = nullptr;
  if (c.statement->node_type == "ViewStmt") {
    aliases = tree::Strings(tree::Array(t, "aliases"));
    query = &tree::Field(t, "query");
  } else if (c.statement->node_type == "CreateTableAsStmt") {
    const Json& into = tree::Object(t, "into");
    aliases = tree::Strings(tree::Array(into, "colNames"));
    query = &tree::Field(t, "query");
  } else {
    return std::nullopt;
  }
  if (!query->is_object() || !TargetNames(*query, names)) return std::nullopt;
  // A column list names the first columns; the rest keep the query's names.
  for (size_t i = 0; i < aliases.size() && i < names.size(); ++i) names[i] = aliases[i];
  return names;
}

}  // namespace tide::sql
