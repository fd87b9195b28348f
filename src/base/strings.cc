#include "base/strings.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <optional>
#include <utility>

namespace tide {

std::vector<std::string> Split(std::string_view text, char separator) {
  std::vector<std::string> parts;
  size_t start = 0;
  while (true) {
    size_t end = text.find(separator, start);
    if (end == std::string_view::npos) {
      parts.emplace_back(text.substr(start));
      return parts;
    }
    parts.emplace_back(text.substr(start, end - start));
    start = end + 1;
  }
}

std::string_view Trim(std::string_view text) {
  size_t b = 0;
  while (b < text.size() && std::isspace(static_cast<unsigned char>(text[b]))) ++b;
  size_t e = text.size();
  while (e > b && std::isspace(static_cast<unsigned char>(text[e - 1]))) --e;
  return text.substr(b, e - b);
}

std::string Join(const std::vector<std::string>& parts, std::string_view separator) {
  return fmt::to_string(fmt::join(parts, separator));
}

std::string ToLower(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

std::string ReplaceAll(std::string text, std::string_view from, std::string_view to) {
  if (from.empty()) return text;
  size_t pos = 0;
  while ((pos = text.find(from, pos)) != std::string::npos) {
    text.replace(pos, from.size(), to);
    pos += to.size();
  }
  return text;
}

std::string QuoteIdent(std::string_view name) {
  std::string out = "\"";
  for (char c : name) {
    if (c == '"') out += '"';
    out += c;
  }
  out += '"';
  return out;
}

std::string QuoteQualified(std::string_view schema, std::string_view name) {
  if (schema.empty()) return QuoteIdent(name);
  return QuoteIdent(schema) + "." + QuoteIdent(name);
}

std::string QuoteLiteral(std::string_view value) {
  std::string out = "'";
  for (char c : value) {
    if (c == '\'') out += '\'';
    out += c;
  }
  out += '\'';
  return out;
}

LineColumn PositionOf(std::string_view text, size_t offset) {
  return PositionCursor(text).At(offset);
}

LineColumn PositionCursor::At(size_t offset) {
  offset = std::min(offset, text_.size());
  if (offset < offset_) {
    offset_ = 0;
    pos_ = LineColumn();
  }
  for (size_t i = offset_; i < offset; ++i) {
    if (text_[i] == '\n') {
      ++pos_.line;
      pos_.column = 1;
    } else if (text_[i] == '\r') {
      // A lone CR ends a line too (old Mac endings); CRLF counts once, at the LF.
      if (i + 1 < text_.size() && text_[i + 1] == '\n') continue;
      ++pos_.line;
      pos_.column = 1;
    } else {
      ++pos_.column;
    }
  }
  offset_ = offset;
  return pos_;
}

std::string_view LineAt(std::string_view text, int line) {
  size_t start = 0;
  for (int current = 1; current < line; ++current) {
    size_t nl = text.find_first_of("\r\n", start);
    if (nl == std::string_view::npos) return {};
    start = nl + 1;
    if (text[nl] == '\r' && start < text.size() && text[start] == '\n') ++start;
  }
  size_t end = text.find_first_of("\r\n", start);
  return text.substr(start, end == std::string_view::npos ? text.size() - start : end - start);
}

namespace {

// "2.5 MB" -> {2.5, "mb"}: a non-negative number and its unit, lower case; nullopt when the text
// does not start with a number.
std::optional<std::pair<double, std::string>> NumberAndUnit(std::string_view text) {
  std::string_view t = Trim(text);
  size_t i = 0;
  while (i < t.size() && (std::isdigit(static_cast<unsigned char>(t[i])) || t[i] == '.')) ++i;
  std::string number(t.substr(0, i));
  double value = 0;
  auto [ptr, ec] = std::from_chars(number.data(), number.data() + number.size(), value);
  if (number.empty() || ec != std::errc() || ptr != number.data() + number.size()) {
    return std::nullopt;
  }
  return std::make_pair(value, ToLower(Trim(t.substr(i))));
}

}  // namespace

Result<std::chrono::milliseconds> ParseDuration(std::string_view text) {
  auto parsed = NumberAndUnit(text);
  if (!parsed) {
    return Error::Input(fmt::format("'{}' is not a duration", text))
        .WithHint("write a number with a unit: 500ms, 2s, 5m, 1h");
  }
  const auto& [value, unit] = *parsed;
  double ms;
  if (unit.empty() || unit == "ms") {
    ms = value;
  } else if (unit == "s") {
    ms = value * 1000;
  } else if (unit == "m" || unit == "min") {
    ms = value * 60'000;
  } else if (unit == "h") {
    ms = value * 3'600'000;
  } else {
    return Error::Input(fmt::format("'{}' has an unknown unit '{}'", text, unit))
        .WithHint("units are ms, s, m and h");
  }
  return std::chrono::milliseconds(static_cast<int64_t>(ms + 0.5));
}

Result<int64_t> ParseBytes(std::string_view text) {
  auto parsed = NumberAndUnit(text);
  if (!parsed) {
    return Error::Input(fmt::format("'{}' is not a size", text))
        .WithHint("write a number with a unit: 64MB, 1GB, 512kB");
  }
  const auto& [value, unit] = *parsed;
  double scale = 1;
  if (unit == "kb" || unit == "k") {
    scale = 1024;
  } else if (unit == "mb" || unit == "m") {
    scale = 1024.0 * 1024;
  } else if (unit == "gb" || unit == "g") {
    scale = 1024.0 * 1024 * 1024;
  } else if (!unit.empty() && unit != "b") {
    return Error::Input(fmt::format("'{}' has an unknown unit '{}'", text, unit))
        .WithHint("units are B, kB, MB and GB");
  }
  return static_cast<int64_t>(value * scale);
}

std::string FormatDuration(std::chrono::milliseconds d) {
  int64_t ms = d.count();
  if (ms < 1000) return fmt::format("{} ms", ms);
  if (ms < 60'000) return fmt::format("{:.1f} s", ms / 1000.0);
  int64_t s = ms / 1000;
  if (s < 3600) return fmt::format("{}m{:02}s", s / 60, s % 60);
  return fmt::format("{}h{:02}m", s / 3600, (s % 3600) / 60);
}

std::string FormatCount(int64_t n) {
  std::string digits = std::to_string(n < 0 ? -n : n);
  std::string out;
  int count = 0;
  for (auto it = digits.rbegin(); it != digits.rend(); ++it) {
    if (count && count % 3 == 0) out += ',';
    out += *it;
    ++count;
  }
  if (n < 0) out += '-';
  std::reverse(out.begin(), out.end());
  return out;
}

int32_t JavaStringHash(std::string_view utf8) {
  uint32_t h = 0;
  auto add = [&h](uint32_t unit) { h = 31 * h + unit; };
  for (size_t i = 0; i < utf8.size();) {
    unsigned char c = static_cast<unsigned char>(utf8[i]);
    uint32_t cp;
    int len;
    if (c < 0x80) {
      cp = c, len = 1;
    } else if ((c >> 5) == 0x6 && i + 1 < utf8.size()) {
      cp = ((c & 0x1F) << 6) | (utf8[i + 1] & 0x3F), len = 2;
    } else if ((c >> 4) == 0xE && i + 2 < utf8.size()) {
      cp = ((c & 0x0F) << 12) | ((utf8[i + 1] & 0x3F) << 6) | (utf8[i + 2] & 0x3F), len = 3;
    } else if ((c >> 3) == 0x1E && i + 3 < utf8.size()) {
      cp = ((c & 0x07) << 18) | ((utf8[i + 1] & 0x3F) << 12) | ((utf8[i + 2] & 0x3F) << 6) |
           (utf8[i + 3] & 0x3F),
      len = 4;
    } else {
      cp = 0xFFFD, len = 1;  // what Java's decoder substitutes for a malformed byte
    }
    if (cp >= 0x10000) {
      cp -= 0x10000;
      add(0xD800 + (cp >> 10));
      add(0xDC00 + (cp & 0x3FF));
    } else {
      add(cp);
    }
    i += len;
  }
  return static_cast<int32_t>(h);
}

size_t ByteOfCharacter(std::string_view text, int position) {
  size_t byte = 0;
  for (int chars = 1; chars < position && byte < text.size(); ++chars) {
    unsigned char c = static_cast<unsigned char>(text[byte]);
    byte += c < 0x80 ? 1 : (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xE ? 3 : 4;
  }
  return std::min(byte, text.size());
}

}  // namespace tide
