#pragma once
// pgbench's expression language (the argument of \set), parsed once when a workload is loaded
// and evaluated on every request by each client with its own variables and random generator.
//
// Supported as pgbench has it: integer and double constants, true/false/null, :variables,
// + - * / % (integer or double arithmetic, overflow and division by zero are errors), unary
// - + ~, bitwise & | # << >>, comparisons = <> != < <= > >=, AND OR NOT, IS [NOT] NULL/TRUE/
// FALSE, ISNULL, NOTNULL, CASE WHEN ... THEN ... [ELSE ...] END, and the functions abs, debug,
// double, exp, greatest, hash, hash_fnv1a, hash_murmur2, int, least, ln, mod, pi, pow, power,
// random, random_exponential, random_gaussian, random_zipfian, sqrt.
// Not supported: permute() (its result depends on pgbench's own generator); a clear error.

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.h"
#include "rehearse/random.h"
#include "rehearse/value.h"

namespace tide::rehearse {

enum class Func {
  kAdd,
  kSub,
  kMul,
  kDiv,
  kMod,
  kBitAnd,
  kBitOr,
  kBitXor,
  kShiftLeft,
  kShiftRight,
  kEq,
  kNe,
  kLe,
  kLt,
  kIs,
  kAnd,
  kOr,
  kNot,
  kCase,
  kAbs,
  kLeast,
  kGreatest,
  kDebug,
  kPi,
  kSqrt,
  kLn,
  kExp,
  kInt,
  kDouble,
  kPow,
  kRandom,
  kRandomExponential,
  kRandomGaussian,
  kRandomZipfian,
  kHashMurmur2,
  kHashFnv1a,
};

struct Expr {
  enum class Kind { kConstant, kVariable, kCall };
  Kind kind = Kind::kConstant;
  Value constant;          // kConstant
  std::string name;        // kVariable: the name without ':'
  int slot = -1;           // kVariable: index into the client's variables
  Func func = Func::kAdd;  // kCall
  std::vector<Expr> args;  // kCall; CASE: when, then, when, then, ..., else
  int column = 0;          // 1-based column in the source line, for errors
};

// Gives the slot of a variable name (the workload numbers its variables).
using SlotOf = std::function<int(const std::string& name)>;

// Parses one expression (the rest of a \set line). Errors are Error::Input located at `where`
// with the column of the offending token (where.column is the column of text[0]).
Result<Expr> ParseExpr(std::string_view text, const SourceLocation& where, const SlotOf& slot_of);

// Calls visit for every variable the expression reads.
void ForEachVariable(const Expr& expr, const std::function<void(const Expr&)>& visit);

// A client's variables: the value of each slot and whether it has one yet.
struct Variables {
  std::vector<Value> values;
  std::vector<char> defined;  // char, not bool: elements are written in place
};

// Evaluates with pgbench's semantics. A failure (undefined variable, division by zero, overflow,
// bad argument) is Error::Failed with pgbench's wording.
Result<Value> Eval(const Expr& expr, const Variables& vars, Prng& rng);

}  // namespace tide::rehearse
