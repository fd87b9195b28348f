#pragma once
// Cutting and showing text that comes from files and the server. Every preview, summary and log
// excerpt is cut with these, so a cut never splits a UTF-8 character (half a character is
// invalid UTF-8: a JSON writer or the server would reject it); text that is not valid UTF-8 to
// begin with is cut at the byte. (FirstInvalidUtf8, declared in strings.h, lives in text.cc
// beside the same decoder.)

#include <cstddef>
#include <string>
#include <string_view>

namespace tide {

// Bytes of text that fit in max_bytes without splitting a character (PostgreSQL's pg_mbcliplen).
size_t Utf8ClipLength(std::string_view text, size_t max_bytes);
// text unchanged when it fits in max_bytes, else cut on a character boundary and ended with
// "...", the whole at most max_bytes long.
std::string Abbreviate(std::string_view text, size_t max_bytes);
// The last at most max_bytes of text, starting on a character boundary.
std::string_view Utf8Tail(std::string_view text, size_t max_bytes);
// Runs of spaces, tabs and line breaks as one space, none at either end: a statement on one line.
std::string OneLine(std::string_view text);
// Text from a file or the server made safe to print on a terminal: control characters other
// than line feed and tab (ESC, CR, BEL, DEL...), C1 controls, bidirectional overrides and bytes
// that are not UTF-8 are shown as visible escapes (\x1b, \u{202e}), so a file cannot move the
// cursor, recolour the screen or hide text. Well-formed printable text is unchanged.
std::string EscapeForTerminal(std::string_view text);

}  // namespace tide
