#pragma once
// A JSON reader for libpg_query's parse trees, building the same nlohmann::json that
// nlohmann::json::parse builds (non-negative integers unsigned, negative ones signed, fractions
// as double, the last of duplicate keys kept), in about half the time: the trees are about six
// times the size of the SQL, and reading them was the largest cost of `tide lint`.

#include <nlohmann/json.hpp>
#include <optional>
#include <string_view>

namespace tide::sql {

// How deep ReadJson goes before it gives up: the recursion stays inside half of a thread's 8 MB
// stack even under AddressSanitizer (about 2.7 kB a level there). An operator chain nests about
// three levels per operator, so this is a chain of about 500 operators in one expression, far
// beyond what a migration holds.
inline constexpr int kMaxJsonDepth = 1'500;

// nullopt when text is not one well-formed JSON value (with blanks around it), or nests deeper
// than kMaxJsonDepth.
std::optional<nlohmann::json> ReadJson(std::string_view text);

}  // namespace tide::sql
