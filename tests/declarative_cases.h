#pragma once
// The cases of the declarative cycle harness (declarative_cycle_test.cc): one per operation,
// plus the customers scenario. Each says what the old release writes on the base tables, what
// the new release writes through the views, and what each release must then read of every row.

#include <cstdint>
#include <functional>
#include <ostream>
#include <string>
#include <vector>

namespace tide::testing {

// Who wrote a row last. kNewRolledBack: the new release did, then the expand was rolled back
// (the old columns keep what down made of it; a new expand recomputes the new ones with up).
enum class By { kNobody, kOld, kNew, kNewRolledBack };

struct Write {
  By by = By::kNobody;
  int64_t k = 0;          // the write's number: its values derive from it
  bool inserted = false;  // an INSERT (else an UPDATE of a row that was there)
};

// What a release reads of row id, given its last write.
using Expect = std::function<std::string(const Write& w, int64_t id)>;

struct DeclarativeCase {
  std::string name;
  std::string yaml;
  bool views = true;  // the new release reads through public_v2 (false: the shape is unchanged)
  // $1 = id, $2 = k for updates; $1 = k for inserts (RETURNING id).
  std::string old_update, old_insert;  // the old release, on the base tables
  std::string new_update, new_insert;  // the new release, search_path public_v2, public
  std::string old_table, old_read;     // SELECT id, <old_read> FROM <old_table>
  std::string new_table, new_read;     // the same through the new release's eyes
  Expect old_expect, new_expect;
  std::vector<std::string> expanded;     // SQL returning 't' once expanded
  std::vector<std::string> rolled_back;  // ... once rolled back
  std::vector<std::string> contracted;   // ... once contracted
};

const std::vector<DeclarativeCase>& DeclarativeCases();
// For gtest's messages: the case's name.
inline void PrintTo(const DeclarativeCase& c, std::ostream* os) { *os << c.name; }

// The tables every case starts from, and their row counts.
extern const char* kDeclarativeSetup;
inline constexpr int64_t kCustomersRows = 3000;
inline constexpr int64_t kOrdersRows = 20000;

}  // namespace tide::testing
