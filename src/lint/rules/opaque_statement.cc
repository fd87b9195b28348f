// opaque-statement: code tide cannot see into (a DO block, a procedure, a function the
// migrations defined): its locks, scans and rewrites go unchecked. A note, not silence.
#include <fmt/format.h>

#include "lint/rules/common.h"
#include "lint/rules/rules.h"
#include "sql/classify_util.h"

namespace tide::lint::rules {
namespace {

class OpaqueStatement : public Rule {
 public:
  OpaqueStatement()
      : Rule({"opaque-statement", Severity::kNote,
              "a DO block, CALL or migration-defined function: tide cannot check what it does",
              "prefer plain statements, which tide checks and makes safe; keep code blocks small "
              "and idempotent"}) {}

  void CheckStatement(const FileContext& file, const sql::Classified& c,
                      Findings& out) const override {
    std::string what = Opaque(file, c);
    if (what.empty()) return;
    Finding& f = out.Add(*this, c);
    f.message = fmt::format(
        "tide cannot see into {}: its locks, scans and rewrites are not "
        "checked",
        what);
    f.reason =
        "tide migrate runs it as written, under its lock timeout; a long statement inside "
        "it still holds its locks until it ends";
  }

 private:
  static std::string Opaque(const FileContext& file, const sql::Classified& c) {
    const std::string& node = c.statement->node_type;
    if (c.action == sql::Action::kDo) return "this DO block";
    if (node == "CallStmt") return "this procedure call";
    if (node != "SelectStmt") return "";
    std::vector<std::string> called;
    sql::tree::CollectFunctions(c.statement->tree, called);
    for (const auto& fn : called) {
      if (file.history().DefinesFunction(fn)) return fn + "(), which a migration defined";
    }
    return "";
  }
};

}  // namespace

std::unique_ptr<Rule> NewOpaqueStatement() { return std::make_unique<OpaqueStatement>(); }

}  // namespace tide::lint::rules
