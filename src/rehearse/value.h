#pragma once
// The values of pgbench's expression language: NULL, boolean, 64-bit integer and double, with
// pgbench's own conversions, so a workload script behaves in tide as it does under pgbench.

#include <cstdint>
#include <string>
#include <string_view>

#include "base/error.h"

namespace tide::rehearse {

enum class ValueType { kNull, kBool, kInt, kDouble };

struct Value {
  ValueType type = ValueType::kNull;
  bool b = false;
  int64_t i = 0;
  double d = 0;

  static Value Null() { return Value(); }
  static Value Bool(bool v) {
    Value out;
    out.type = ValueType::kBool;
    out.b = v;
    return out;
  }
  static Value Int(int64_t v) {
    Value out;
    out.type = ValueType::kInt;
    out.i = v;
    return out;
  }
  static Value Double(double v) {
    Value out;
    out.type = ValueType::kDouble;
    out.d = v;
    return out;
  }
  bool operator==(const Value& other) const;
};

// "null", "boolean", "int", "double": the words of pgbench's error messages.
const char* TypeName(ValueType type);

// The text put into SQL for :name, as pgbench writes it: 42, 0.5 (15 significant digits),
// true/false, NULL.
std::string FormatValue(const Value& value);

// A variable given as text (pgbench -D name=value, or tide's --var): "null", a boolean word
// (true/yes/on and prefixes, false/no/off), an integer, else a double. Error::Input when it is
// none of those (pgbench's "malformed variable value").
Result<Value> ParseVariableText(std::string_view text);

// pgbench's coercions; a failure is Error::Failed with pgbench's wording.
Result<int64_t> ToInt(const Value& value);  // doubles are rounded (rint), range-checked
Result<double> ToDouble(const Value& value);
Result<bool> ToBool(const Value& value);  // only booleans
// Non-zero numbers and true are true; NULL and zero are false (CASE WHEN's test).
bool Truth(const Value& value);

}  // namespace tide::rehearse
