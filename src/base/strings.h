#pragma once
// Small string helpers used across tide: splitting, trimming, SQL quoting, positions in a text,
// and the duration format of flags and tide.toml ("500ms", "2s", "5m").

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.h"

namespace tide {

std::vector<std::string> Split(std::string_view text, char separator);
std::string_view Trim(std::string_view text);
std::string Join(const std::vector<std::string>& parts, std::string_view separator);
std::string ToLower(std::string_view text);
std::string ReplaceAll(std::string text, std::string_view from, std::string_view to);

// A PostgreSQL identifier, always double-quoted: QuoteIdent("my \"t\"") == "\"my \"\"t\"\"\"".
std::string QuoteIdent(std::string_view name);
// schema.name, each part quoted; an empty schema gives just the quoted name.
std::string QuoteQualified(std::string_view schema, std::string_view name);
// A string literal for the rare place a value cannot be a parameter (SET lock_timeout = '...').
std::string QuoteLiteral(std::string_view value);

// 1-based line and column of a byte offset in text (column counts bytes).
struct LineColumn {
  int line = 1;
  int column = 1;
};
LineColumn PositionOf(std::string_view text, size_t offset);
// PositionOf for offsets visited in increasing order: linear over the whole text instead of
// quadratic (a 10,000-statement file asks for each statement's position). A smaller offset than
// the last restarts from the beginning, so any order gives PositionOf's answer.
class PositionCursor {
 public:
  explicit PositionCursor(std::string_view text) : text_(text) {}
  LineColumn At(size_t offset);

 private:
  std::string_view text_;
  size_t offset_ = 0;
  LineColumn pos_;
};
// The text of the 1-based line, without its terminator.
std::string_view LineAt(std::string_view text, int line);

// Offset of the first byte that is not part of well-formed UTF-8 (overlong forms, surrogates and
// code points above U+10FFFF are not), or of the first NUL when nul_is_invalid; npos if none.
// PostgreSQL's text holds neither.
size_t FirstInvalidUtf8(std::string_view text, bool nul_is_invalid = true);

// The byte offset in UTF-8 text of the character at a 1-based position, as the server counts
// an error's position (characters, not bytes); text.size() when the text is shorter.
size_t ByteOfCharacter(std::string_view text, int position);

// "500ms", "1.5s", "2m", "1h", or a bare number of milliseconds.
Result<std::chrono::milliseconds> ParseDuration(std::string_view text);
// "64MB", "1.5GB", "512kB", or a bare number of bytes (1 kB = 1024 bytes, as PostgreSQL counts).
Result<int64_t> ParseBytes(std::string_view text);
// 0.8 s -> "800 ms", 12.3 s -> "12.3 s", 75 s -> "1m15s".
std::string FormatDuration(std::chrono::milliseconds d);
// 1234567 -> "1,234,567".
std::string FormatCount(int64_t n);

// Java's String.hashCode over the UTF-16 code units of a UTF-8 string (Flyway's lock key).
int32_t JavaStringHash(std::string_view utf8);

}  // namespace tide
