// enum-value-in-transaction: ALTER TYPE ... ADD VALUE, then the new value used before the
// transaction commits: PostgreSQL refuses ("unsafe use of new value").
#include <fmt/format.h>

#include "lint/rules/common.h"
#include "lint/rules/rules.h"

namespace tide::lint::rules {
namespace {

class EnumValueInTransaction : public Rule {
 public:
  EnumValueInTransaction()
      : Rule({"enum-value-in-transaction", Severity::kError,
              "an enum value added by ALTER TYPE ... ADD VALUE is used in the same transaction",
              "commit in between: add the value in a migration of its own"}) {}

  void CheckStatement(const FileContext& file, const sql::Classified& c,
                      Findings& out) const override {
    for (size_t index : file.StatementsDoing(sql::Action::kAlterEnumAddValue)) {
      if (index >= c.index) break;
      const sql::Classified& earlier = file.script().classified[index];
      if (file.Segment(earlier.index) != file.Segment(c.index)) continue;
      std::string value = earlier.statement->tree.value("newVal", "");
      if (value.empty() || !Uses(c.statement->text, value)) continue;
      Finding& f = out.Add(*this, c);
      f.message = fmt::format(
          "the enum value '{}' added at line {} is used before that "
          "transaction commits",
          value, earlier.line());
      f.reason =
          "PostgreSQL refuses a new enum value until the transaction that added it "
          "commits (\"unsafe use of new value\"): the migration fails here";
      Findings::MadeSafeBy(f, file.Note(earlier.index, {"enum-value-own-transaction"}));
      return;
    }
  }

 private:
  // The value as an SQL string literal in text ('it''s' for it's).
  static bool Uses(const std::string& text, const std::string& value) {
    std::string literal = "'";
    for (char ch : value) literal += ch == '\'' ? std::string("''") : std::string(1, ch);
    literal += "'";
    return text.find(literal) != std::string::npos;
  }
};

}  // namespace

std::unique_ptr<Rule> NewEnumValueInTransaction() {
  return std::make_unique<EnumValueInTransaction>();
}

}  // namespace tide::lint::rules
