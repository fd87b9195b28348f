#pragma once
// From classified statements and catalog facts to the steps tide runs (DESIGN section 5):
// statements on new or small tables run as written; on big tables each hazardous statement
// gets its safe form (lock timeouts, batches, concurrent builds, NOT VALID then VALIDATE), or is
// refused with the safe recipe unless the file says `-- tide:allow <rule> <reason>`.

#include <string>
#include <vector>

#include "base/error.h"
#include "plan/catalog.h"
#include "plan/step.h"
#include "sql/classify.h"

namespace tide::plan {

struct PlannerOptions {
  int64_t small_table_rows = 10'000;
};

// A whole-table UPDATE that an earlier migration ran: a later SET NOT NULL on one of its columns
// first repeats it over the rows still NULL (the old release kept inserting them).
struct PriorUpdate {
  sql::TableName table;
  std::vector<std::string> columns;
  std::string text;
  std::string alias;
  std::string script;
};

// The whole-table UPDATEs of a migration, as RememberPriorUpdates records them: what a caller
// keeps of an earlier file instead of the whole classified file.
std::vector<PriorUpdate> PriorUpdatesOf(const sql::ClassifiedScript& script,
                                        const std::string& script_name);

class Planner {
 public:
  Planner(Catalog& catalog, PlannerOptions options) : catalog_(catalog), options_(options) {}

  // Records the whole-table UPDATEs of an earlier migration.
  void RememberPriorUpdates(const sql::ClassifiedScript& script, const std::string& script_name);
  void RememberPriorUpdates(const std::vector<PriorUpdate>& updates) {
    prior_updates_.insert(prior_updates_.end(), updates.begin(), updates.end());
  }
  // A table that an earlier file of the same run creates: new and empty when this file runs.
  void AddCreatedTable(const sql::TableName& table) { created_in_run_.push_back(table); }

  Result<Plan> PlanScript(const sql::ClassifiedScript& script);

 private:
  struct FileContext {
    const sql::ClassifiedScript& script;
    sql::TableIndex created;  // CREATE TABLE [AS] of the file, by position
  };
  Status PlanStatement(FileContext& ctx, const sql::Classified& c, Plan& plan);
  Status PlanAlterTable(FileContext& ctx, const sql::Classified& c, const TableFacts& facts,
                        Plan& plan);
  Status PlanClause(FileContext& ctx, const sql::Classified& c, const sql::Command& cmd,
                    const std::string& clause_sql, const TableFacts& facts, Plan& plan);
  // PlanClause's cases that need more than a line (plan_alter.cc).
  Status PlanAddColumnClause(FileContext& ctx, const sql::Classified& c, const sql::Command& cmd,
                             const std::string& clause_sql, const TableFacts& facts, Plan& plan);
  // false: the change rewrites nothing and runs as written.
  Result<bool> PlanTypeChange(FileContext& ctx, const sql::Classified& c, const sql::Command& cmd,
                              const std::string& clause_sql, const TableFacts& facts, Plan& plan);
  // false: the constraint runs as written.
  Result<bool> PlanAddConstraintClause(FileContext& ctx, const sql::Classified& c,
                                       const sql::Command& cmd, const std::string& clause_sql,
                                       const TableFacts& facts, Plan& plan);
  void PlanValidateClause(const FileContext& ctx, const sql::Classified& c,
                          const sql::Command& cmd, const std::string& clause_sql,
                          const TableFacts& facts, Plan& plan);
  Status PlanSetNotNull(FileContext& ctx, const sql::Classified& c, const std::string& column,
                        const TableFacts& facts, Plan& plan);
  // The catch-up fill of column before a SET NOT NULL on it, when an earlier migration filled
  // it with a whole-table UPDATE; nothing otherwise.
  Status PlanCatchUp(const sql::Classified& c, const std::string& column, const TableFacts& facts,
                     Plan& plan);
  // ADD COLUMN with inline CHECK / UNIQUE / REFERENCES (with a default): the column alone, then
  // each constraint in its stand-alone safe form, named as PostgreSQL names the inline one.
  Status PlanInlineConstraints(FileContext& ctx, const sql::Classified& c, const sql::Command& cmd,
                               const std::string& clause_sql, const TableFacts& facts, Plan& plan);
  Status PlanUniqueConstraint(FileContext& ctx, const sql::Classified& c, const sql::Command& cmd,
                              const std::string& head, const TableFacts& facts, Plan& plan);
  Status PlanDml(FileContext& ctx, const sql::Classified& c, const TableFacts& facts, Plan& plan);
  Status PlanIndex(FileContext& ctx, const sql::Classified& c, Plan& plan);
  // plan_partition.cc: CREATE INDEX on a partitioned table, ATTACH and DETACH PARTITION.
  Status PlanPartitionedIndex(FileContext& ctx, const sql::Classified& c, const TableFacts& facts,
                              Plan& plan);
  Status PlanAttachPartition(FileContext& ctx, const sql::Classified& c, Plan& plan);
  Status PlanDetachPartition(FileContext& ctx, const sql::Classified& c, const TableFacts& facts,
                             Plan& plan);
  Result<TableFacts> Facts(const FileContext& ctx, const sql::TableName& table, size_t before);
  // Created earlier in this run, or in this file before position `before` (or renamed from
  // such a table): new, no release uses it.
  bool CreatedBefore(const FileContext& ctx, const sql::TableName& table, size_t before) const;
  // Refuses, or (when an allow covers rule) runs the statement as written with a note.
  void RefuseOrAllow(FileContext& ctx, const sql::Classified& c, const std::string& rule,
                     const std::string& message, const std::string& recipe, Plan& plan);
  void RefuseOrAllow(FileContext& ctx, const sql::Classified& c, const std::string& rule,
                     const std::string& message, const std::string& recipe, Step as_written,
                     Plan& plan);

  Catalog& catalog_;
  PlannerOptions options_;
  std::vector<PriorUpdate> prior_updates_;
  std::vector<sql::TableName> created_in_run_;
};

// The statement as written, as one step.
Step AsWritten(const sql::Classified& c, const std::string& sql_text);
// The contract's catch-up fill before tide's NOT NULL check (a backfill step, or one statement
// on a small or key-less table; both carry the guarded spec): a resumed run repeats it while the
// check is not validated yet, since the old release may have inserted rows meanwhile.
bool IsCatchUp(const Step& s);
// A batched backfill of c's table: runs spec, shows sql, says why.
Step BackfillStep(const sql::Classified& c, const TableFacts& facts, BackfillSpec spec,
                  std::string sql, std::string why);

}  // namespace tide::plan
