#include "source/version.h"

#include <fmt/format.h>

#include <cctype>

namespace tide::source {

Result<Version> Version::Parse(std::string_view text) {
  Version v;
  if (text.empty()) return Error::Input("empty version");
  std::string part;
  auto finish_part = [&]() -> Status {
    if (part.empty()) {
      return Error::Input(fmt::format("version '{}' has an empty part", text))
          .WithHint("versions are numbers separated by '.' or '_', like 1, 1.1 or 2_0_3");
    }
    size_t nz = part.find_first_not_of('0');
    v.parts_.push_back(nz == std::string::npos ? "0" : part.substr(nz));
    part.clear();
    return Ok();
  };
  for (char c : text) {
    if (std::isdigit(static_cast<unsigned char>(c))) {
      part += c;
      v.text_ += c;
    } else if (c == '.' || c == '_') {
      TIDE_TRY(finish_part());
      v.text_ += '.';
    } else {
      return Error::Input(fmt::format("version '{}' has '{}', which is not a digit, '.' or '_'",
                                      text, c))
          .WithHint("versions are numbers separated by '.' or '_', like 1, 1.1 or 2_0_3");
    }
  }
  TIDE_TRY(finish_part());
  return v;
}

std::strong_ordering Version::operator<=>(const Version& other) const {
  size_t n = std::max(parts_.size(), other.parts_.size());
  static const std::string kZero = "0";
  for (size_t i = 0; i < n; ++i) {
    const std::string& a = i < parts_.size() ? parts_[i] : kZero;
    const std::string& b = i < other.parts_.size() ? other.parts_[i] : kZero;
    if (a.size() != b.size()) return a.size() <=> b.size();
    if (int c = a.compare(b); c != 0) return c <=> 0;
  }
  return std::strong_ordering::equal;
}

}  // namespace tide::source
