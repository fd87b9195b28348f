#include "rehearse/value.h"

#include <fmt/format.h>

#include <cctype>
#include <cerrno>
#include <cfloat>
#include <cmath>
#include <cstdlib>

#include "base/strings.h"

namespace tide::rehearse {

bool Value::operator==(const Value& other) const {
  if (type != other.type) return false;
  switch (type) {
    case ValueType::kNull:
      return true;
    case ValueType::kBool:
      return b == other.b;
    case ValueType::kInt:
      return i == other.i;
    case ValueType::kDouble:
      return d == other.d;
  }
  return false;
}

const char* TypeName(ValueType type) {
  switch (type) {
    case ValueType::kNull:
      return "null";
    case ValueType::kBool:
      return "boolean";
    case ValueType::kInt:
      return "int";
    case ValueType::kDouble:
      return "double";
  }
  return "?";
}

std::string FormatValue(const Value& value) {
  switch (value.type) {
    case ValueType::kNull:
      return "NULL";
    case ValueType::kBool:
      return value.b ? "true" : "false";
    case ValueType::kInt:
      return fmt::format("{}", value.i);
    case ValueType::kDouble:
      return fmt::format("{:.{}g}", value.d, DBL_DIG);
  }
  return "";
}

namespace {

// pgbench accepts any prefix of the word ("t", "tr", "tru", "true"), case-insensitively.
bool IsPrefixOf(std::string_view text, std::string_view word) {
  return !text.empty() && text.size() <= word.size() &&
         ToLower(text) == word.substr(0, text.size());
}

bool LooksLikeInt(std::string_view text) {
  text = Trim(text);
  if (!text.empty() && (text[0] == '+' || text[0] == '-')) text.remove_prefix(1);
  if (text.empty()) return false;
  for (char c : text) {
    if (!std::isdigit(static_cast<unsigned char>(c))) return false;
  }
  return true;
}

}  // namespace

Result<Value> ParseVariableText(std::string_view text) {
  std::string lower = ToLower(text);
  if (text.empty()) return Error::Input("empty value");
  if (lower == "null") return Value::Null();
  if (IsPrefixOf(text, "true") || IsPrefixOf(text, "yes") || lower == "on")
    return Value::Bool(true);
  if (IsPrefixOf(text, "false") || IsPrefixOf(text, "no") || lower == "off" || lower == "of") {
    return Value::Bool(false);
  }
  std::string copy(Trim(text));
  if (LooksLikeInt(text)) {
    errno = 0;
    char* end = nullptr;
    long long v = std::strtoll(copy.c_str(), &end, 10);
    if (errno == ERANGE) {
      return Error::Input(fmt::format("value \"{}\" is out of range for type bigint", text));
    }
    return Value::Int(v);
  }
  errno = 0;
  char* end = nullptr;
  std::string raw(text);
  double d = std::strtod(raw.c_str(), &end);
  if (errno != 0 || end == raw.c_str() || *end != '\0') {
    return Error::Input(fmt::format("\"{}\" is not a number, boolean or null", text));
  }
  return Value::Double(d);
}

Result<int64_t> ToInt(const Value& value) {
  if (value.type == ValueType::kInt) return value.i;
  if (value.type == ValueType::kDouble) {
    double r = std::rint(value.d);
    // 2^63 itself does not fit; every double below it does.
    if (std::isnan(r) || r < -9223372036854775808.0 || r >= 9223372036854775808.0) {
      return Error::Failed(fmt::format("double to int overflow for {}", value.d));
    }
    return static_cast<int64_t>(r);
  }
  return Error::Failed(fmt::format("cannot coerce {} to int", TypeName(value.type)));
}

Result<double> ToDouble(const Value& value) {
  if (value.type == ValueType::kDouble) return value.d;
  if (value.type == ValueType::kInt) return static_cast<double>(value.i);
  return Error::Failed(fmt::format("cannot coerce {} to double", TypeName(value.type)));
}

Result<bool> ToBool(const Value& value) {
  if (value.type == ValueType::kBool) return value.b;
  return Error::Failed(fmt::format("cannot coerce {} to boolean", TypeName(value.type)));
}

bool Truth(const Value& value) {
  switch (value.type) {
    case ValueType::kNull:
      return false;
    case ValueType::kBool:
      return value.b;
    case ValueType::kInt:
      return value.i != 0;
    case ValueType::kDouble:
      return value.d != 0.0;
  }
  return false;
}

}  // namespace tide::rehearse
