// drop-index-non-concurrent: DROP INDEX asks for ACCESS EXCLUSIVE on the index's table.
#include <fmt/format.h>

#include "lint/rules/common.h"
#include "lint/rules/rules.h"

namespace tide::lint::rules {
namespace {

class DropIndexNonConcurrent : public Rule {
 public:
  DropIndexNonConcurrent()
      : Rule({"drop-index-non-concurrent", Severity::kWarning,
              "DROP INDEX without CONCURRENTLY locks its table against reads and writes",
              "DROP INDEX CONCURRENTLY, one index per statement, without CASCADE"}) {}

  void CheckStatement(const FileContext& file, const sql::Classified& c,
                      Findings& out) const override {
    if (c.action != sql::Action::kDropIndex || c.commands.empty()) return;
    if (c.commands[0].concurrently || CreatedInFile(file, c)) return;
    Finding& f = out.Add(*this, c);
    f.message =
        fmt::format("DROP INDEX {} takes ACCESS EXCLUSIVE on its table", c.commands[0].object_name);
    f.reason =
        "dropping is quick, but the ACCESS EXCLUSIVE request waits behind every running "
        "query on the table, and every later query, reads included, waits behind it";
    f.help =
        "DROP INDEX CONCURRENTLY (one index per statement, no CASCADE, outside a "
        "transaction block): it waits for running queries without blocking new ones";
    Findings::MadeSafeBy(f, file.Note(c.index, {"drop-index-concurrently"}));
  }

 private:
  // An index this very file created (on a table it created, as a rule) is nobody's yet.
  static bool CreatedInFile(const FileContext& file, const sql::Classified& c) {
    for (const auto& cmd : c.commands) {
      bool found = false;
      for (size_t index : file.StatementsDoing(sql::Action::kCreateIndex)) {
        if (index >= c.index) break;
        found = found || file.script().classified[index].commands[0].object_name == cmd.object_name;
      }
      if (!found) return false;
    }
    return true;
  }
};

}  // namespace

std::unique_ptr<Rule> NewDropIndexNonConcurrent() {
  return std::make_unique<DropIndexNonConcurrent>();
}

}  // namespace tide::lint::rules
