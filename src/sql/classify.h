#pragma once
// The statement classifier: what each statement of a migration does to which table, the lock it
// takes, whether it scans or rewrites the table, whether it may run inside a transaction, and
// whether it is expand (additive), contract (breaks the old release) or neutral. Pure: no
// database. The planner (what tide runs) and lint (what tide warns about) both read this, so
// what lint calls safe is what the executor does.

#include <optional>
#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

#include "sql/directives.h"
#include "sql/lock.h"
#include "sql/parser.h"
#include "sql/sql_text.h"
#include "sql/types.h"

namespace tide::sql {

enum class Phase { kNeutral, kExpand, kContract };
const char* PhaseName(Phase phase);

struct TableName {
  std::string schema;  // empty: resolved through search_path
  std::string name;
  bool empty() const { return name.empty(); }
  // "schema"."name" or "name", quoted.
  std::string Quoted() const;
  // schema.name unquoted, for messages.
  std::string Display() const;
  bool operator==(const TableName& other) const {
    return schema == other.schema && name == other.name;
  }
};

// Tables by name, each with the position of the statement that made it: "was this table made
// before statement i" in constant time (a file of seed data asks it for every row).
class TableIndex {
 public:
  void Add(const TableName& table, size_t position);
  // A table of that name made before position `before`; an empty schema matches any.
  bool Contains(const TableName& table, size_t before = SIZE_MAX) const;

 private:
  std::unordered_map<std::string, std::vector<std::pair<size_t, TableName>>> by_name_;
};

enum class Action {
  kCreateTable,
  kCreateTableAs,
  kCreateIndex,
  kCreateView,
  kCreateFunction,
  kCreateTrigger,
  kCreateOther,  // type, sequence, schema, extension, ...
  kDropTable,
  kDropIndex,
  kDropOther,
  kRenameTable,
  kRenameColumn,
  kRenameOther,
  kAddColumn,
  kDropColumn,
  kAlterColumnType,
  kSetDefault,
  kDropDefault,
  kSetNotNull,
  kDropNotNull,
  kAddConstraint,
  kValidateConstraint,
  kDropConstraint,
  kAttachPartition,
  kDetachPartition,
  kSetTablespace,
  kSetLogged,
  kSetAccessMethod,
  kAlterTableOther,
  kReindex,
  kUpdate,
  kDelete,
  kInsert,
  kSelect,
  kCopy,
  kTruncate,
  kVacuum,
  kVacuumFull,
  kCluster,
  kLockTable,
  kAlterEnumAddValue,
  kAlterEnumOther,
  kDo,
  kTransaction,
  kSet,
  kOther,  // COMMENT, GRANT, ... : no table lock worth planning around
};
const char* ActionName(Action action);

enum class ConstraintType { kNone, kCheck, kForeignKey, kUnique, kPrimaryKey, kExclusion, kNotNull };

// One effect on one table: an ALTER TABLE has one per clause; other statements have one.
struct Command {
  Action action = Action::kOther;
  TableName table;
  std::string column;       // the column acted on (ADD/DROP/ALTER COLUMN, RENAME COLUMN)
  std::string new_name;     // RENAME target
  std::string object_name;  // constraint or index name, when written
  std::string text;         // this clause's text (ALTER TABLE: without "ALTER TABLE t")
  Lock lock = Lock::kNone;
  bool scans = false;     // reads the whole table while holding its lock
  bool rewrites = false;  // writes a new copy of the table
  Phase phase = Phase::kNeutral;

  // ADD COLUMN / ALTER COLUMN TYPE
  std::optional<ColumnType> type;
  bool has_default = false;
  std::vector<std::string> default_functions;  // functions the default calls
  bool volatile_default = false;  // serial, or a function known to be volatile (offline list)
  bool not_null = false;
  bool generated_stored = false;
  bool identity = false;
  bool has_using = false;
  // ADD CONSTRAINT (also column constraints of ADD COLUMN)
  ConstraintType constraint = ConstraintType::kNone;
  bool not_valid = false;
  bool using_index = false;
  std::vector<std::string> columns;  // constraint keys; index columns that are plain names
  std::vector<std::string> including;
  TableName referenced;              // FOREIGN KEY target
  bool has_options = false;          // WITH (...), TABLESPACE, expressions: not rewritable
  bool deferrable = false;
  bool initially_deferred = false;
  // CREATE/DROP INDEX, REINDEX
  bool concurrently = false;
  bool unique = false;
  bool partial = false;
  bool if_exists = false;
  bool cascade = false;
  // CREATE INDEX: the name PostgreSQL derives from each key and INCLUDE column (the column, a
  // function's name, "expr"; made unique as "expr1"...): what it names an unnamed index, and
  // the indexes it makes on a partitioned table's partitions, after.
  std::vector<std::string> index_column_names;
  bool only = false;  // CREATE INDEX ... ON ONLY
  // ATTACH / DETACH PARTITION: the partition; DETACH ... FINALIZE.
  TableName partition;
  bool finalize = false;
};

// UPDATE and DELETE: what a backfill needs to know.
struct DmlInfo {
  std::vector<std::string> set_columns;  // UPDATE's targets
  bool has_where = false;
  bool has_from = false;       // UPDATE ... FROM / DELETE ... USING
  bool has_returning = false;
  bool has_with = false;
  bool where_current_of = false;
  std::string alias;           // UPDATE t AS x: "x"
  // Columns compared with "=" or IN to constants at the top level of WHERE: a targeted change.
  std::vector<std::string> equality_columns;
  // Columns the WHERE requires to be NULL ("col IS NULL" conjuncts): a backfill of those columns
  // excludes rows already done, so it converges and may walk to the live end of the table.
  std::vector<std::string> null_guard_columns;
  // Columns read by the SET expressions.
  std::vector<std::string> read_columns;
};

struct Classified {
  const Statement* statement = nullptr;
  size_t index = 0;  // position in the file
  Action action = Action::kOther;
  TableName table;  // the main target; empty when none
  std::vector<Command> commands;
  Lock lock = Lock::kNone;  // strongest over commands
  bool scans = false;
  bool rewrites = false;
  bool transactional = true;  // may run inside a transaction block
  bool opaque = false;        // DO blocks and the like: tide cannot see what they do
  // As judged by JudgePhases (sql/objects.h): text_phase, unless what it touches says otherwise.
  Phase phase = Phase::kNeutral;
  Phase text_phase = Phase::kNeutral;  // from the statement alone
  bool mixed_phase = false;   // one statement with both expand and contract clauses
  // Every object it acts on was created earlier in the same file or run (set by JudgePhases):
  // no release uses it yet, so its constraints and drops contract nothing.
  bool on_new_object = false;
  // Why phase differs from text_phase, or why a replacement is still a contract.
  std::string phase_note;
  std::optional<DmlInfo> dml;
  std::string summary;        // "ALTER TABLE customers ADD COLUMN email"
  // ALTER TABLE: "ALTER TABLE [IF EXISTS] [ONLY] name", before the clauses (commands[i].text).
  std::string alter_head;

  int line() const { return statement ? statement->line : 0; }
};

// Holds pointers from classified into statements: movable, not copyable.
struct ClassifiedScript {
  ClassifiedScript() = default;
  ClassifiedScript(ClassifiedScript&&) = default;
  ClassifiedScript& operator=(ClassifiedScript&&) = default;
  ClassifiedScript(const ClassifiedScript&) = delete;
  ClassifiedScript& operator=(const ClassifiedScript&) = delete;

  // The trees of data statements (INSERT, UPDATE, DELETE, MERGE, COPY) are dropped once
  // classified: Classified holds what is needed of them.
  std::vector<Statement> statements;
  std::vector<Classified> classified;  // parallel to statements
  Directives directives;
  // Inferred from the statements' judged phases: contract statements on objects the file itself
  // creates (CREATE TABLE t ...; ALTER TABLE t ADD CONSTRAINT ...) do not make a file contract.
  Phase phase = Phase::kNeutral;
  bool mixed_phase = false;       // holds both expand and contract statements
  // Tables created by this file, before the statement that uses them.
  std::vector<TableName> created_tables;
};

Classified Classify(const Statement& statement);
// The head and clauses of an ALTER TABLE as the classifier split them; scans the text again
// only when it could not (the planner used to split every ALTER TABLE a second time).
Result<AlterTableText> AlterTableClauses(const Classified& c);
// Parses and classifies a whole script; a syntax error is an input error with file and line.
Result<ClassifiedScript> ClassifyScript(std::string_view script, const std::string& file_name);
// How many scripts ClassifyScript has parsed in this process (a test shows with it that one
// command parses each migration file once).
uint64_t ScriptsClassified();

// Functions whose result changes per row: a default calling them rewrites the table.
bool IsKnownVolatileFunction(const std::string& name);

}  // namespace tide::sql
