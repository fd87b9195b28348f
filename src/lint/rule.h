#pragma once
// The rule interface. A rule looks at one statement at a time, in file order, with the schema
// history of everything before it (earlier files of the run, earlier statements of the file),
// and may also look at the file as a whole once every statement has been seen. Rules only
// report; suppression (-- tide:allow), effective severity and ordering are the linter's.
//
// Whether tide migrate makes a finding safe is never guessed by a rule: it asks the offline
// plan of the file (FileContext::Note) for the note the planner wrote when it rewrote that very
// statement, so lint calls safe exactly what the executor runs.

#include <deque>
#include <initializer_list>
#include <map>
#include <unordered_map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "lint/finding.h"
#include "lint/history.h"
#include "plan/step.h"
#include "sql/classify.h"

namespace tide::lint {

struct LintOptions {
  int pg_version = 15;      // the server the files will run on, 12 to 17
  bool as_written = false;  // judge files as a plain runner runs them: no note for auto-safe
};

struct RuleInfo {
  const char* id;
  Severity severity;
  const char* summary;  // one line: what it catches
  const char* recipe;   // the safe way, in general
};

class FileContext;
class Findings;

class Rule {
 public:
  explicit Rule(RuleInfo info) : info_(info) {}
  virtual ~Rule() = default;
  const RuleInfo& info() const { return info_; }

  // Called for each statement in order; history() holds what came before it.
  virtual void CheckStatement(const FileContext& /*file*/, const sql::Classified& /*c*/,
                              Findings& /*out*/) const {}
  // Called once after the last statement.
  virtual void CheckFile(const FileContext& /*file*/, Findings& /*out*/) const {}

 private:
  RuleInfo info_;
};

// One file being linted, and what the rules may ask about it.
class FileContext {
 public:
  FileContext(std::string file, const sql::ClassifiedScript& script, const plan::Plan& plan,
              const History& history, const LintOptions& options);

  const std::string& file() const { return file_; }
  const sql::ClassifiedScript& script() const { return script_; }
  const History& history() const { return history_; }
  const LintOptions& options() const { return options_; }

  // The phase the file states with -- tide:phase expand|contract, if it states a valid one.
  std::optional<sql::Phase> StatedPhase() const;
  // The transaction a plain runner (Flyway, psql -1) runs statement i in: the whole file is one
  // transaction, split where the file itself commits or rolls back.
  int Segment(size_t statement) const { return segments_.at(statement); }
  // Inside an explicit BEGIN ... COMMIT of the file.
  bool InExplicitBlock(size_t statement) const { return explicit_block_.at(statement); }
  // Created earlier in this file: new and empty, exempt from lock rules (as the planner treats it).
  bool IsNewTable(const sql::TableName& table, size_t before) const;

  // The statements (indices, in order) that do `action`: rules look back through these instead
  // of the whole file, so linting stays linear in the file's length.
  const std::vector<size_t>& StatementsDoing(sql::Action action) const;
  // The statements whose lock blocks writes to a table that existed before the file.
  const std::vector<size_t>& WriteLockingStatements() const { return write_locking_; }

  // The planner's note on statement i under one of these rule ids: tide migrate rewrote it.
  const plan::Note* Note(size_t statement, std::initializer_list<std::string_view> rules) const;
  // The planner's refusal of statement i under this rule id.
  const plan::Refusal* Refusal(size_t statement, std::string_view rule) const;

  // Where clause `cmd` of statement c starts and ends in the file (the statement when the
  // clause's text cannot be found in it).
  struct Span {
    int line, column, end_line, end_column;
  };
  Span SpanOf(const sql::Classified& c, const sql::Command* cmd = nullptr) const;

 private:
  std::string file_;
  const sql::ClassifiedScript& script_;
  const plan::Plan& plan_;
  const History& history_;
  const LintOptions& options_;
  std::vector<int> segments_;
  std::vector<bool> explicit_block_;
  sql::TableIndex created_;  // CREATE TABLE [AS], by statement index
  std::map<sql::Action, std::vector<size_t>> by_action_;
  std::vector<size_t> write_locking_;
  // The plan's notes and refusals by statement: a file can hold one per statement.
  std::unordered_map<int, std::vector<const plan::Note*>> notes_;
  std::unordered_map<int, std::vector<const plan::Refusal*>> refusals_;
};

// Where rules put findings; the linter reads them when the file is done.
class Findings {
 public:
  explicit Findings(const FileContext& file) : file_(file) {}

  // A finding of rule on statement c, spanning the statement or one clause of it.
  Finding& Add(const Rule& rule, const sql::Classified& c, const sql::Command* clause = nullptr);
  // A finding at a line of the file (a directive, the file itself when line is 0).
  Finding& AddAtLine(const Rule& rule, int line);
  // Marks f as made safe by tide migrate, quoting what the planner does.
  static void MadeSafeBy(Finding& f, const plan::Note* note);

  std::deque<Finding>& all() { return findings_; }

 private:
  const FileContext& file_;
  std::deque<Finding> findings_;  // a deque: Add's references stay valid after the next Add
};

// Every rule, in the order `tide lint --list-rules` shows them.
const std::vector<std::unique_ptr<Rule>>& AllRules();
const Rule* FindRule(std::string_view id);
// Rules whose findings assume the table is big and in use (lint has no database): the report
// says so once.
bool NeedsTableSize(std::string_view id);
// Rule ids that only the planner checks (they need the database), so -- tide:allow may name them.
bool IsRuntimeRule(std::string_view id);

}  // namespace tide::lint
