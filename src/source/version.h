#pragma once
// A Flyway migration version: "1.10.2" or "1_10_2". Parts are non-negative integers of any size,
// compared numerically; trailing zero parts do not count, so 1.0 == 1 and 1.10 > 1.9.

#include <compare>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.h"

namespace tide::source {

class Version {
 public:
  Version() = default;
  // Accepts digits separated by '.' or '_'; anything else is an error.
  static Result<Version> Parse(std::string_view text);

  // As Flyway shows and stores it: '_' written as '.', the parts as written ("1.01" stays).
  const std::string& text() const { return text_; }
  bool empty() const { return parts_.empty(); }

  std::strong_ordering operator<=>(const Version& other) const;
  bool operator==(const Version& other) const { return (*this <=> other) == 0; }

 private:
  std::string text_;
  std::vector<std::string> parts_;  // digits without leading zeros ("0" for zero)
};

}  // namespace tide::source
