#include "base/text.h"

#include <fmt/format.h>

#include <cstdint>

#include "base/strings.h"

namespace tide {

namespace {

// The length of the well-formed multi-byte UTF-8 character at b[i] (lead byte >= 0x80), and its
// code point; 0 when it is malformed: overlong, a surrogate, above U+10FFFF or cut short.
size_t DecodeMultiByte(const unsigned char* b, size_t n, size_t i, uint32_t& cp) {
  unsigned char c = b[i];
  size_t len;
  if ((c & 0xE0) == 0xC0) {
    len = 2, cp = c & 0x1F;
  } else if ((c & 0xF0) == 0xE0) {
    len = 3, cp = c & 0x0F;
  } else if ((c & 0xF8) == 0xF0) {
    len = 4, cp = c & 0x07;
  } else {
    return 0;
  }
  if (i + len > n) return 0;
  for (size_t k = 1; k < len; ++k) {
    if ((b[i + k] & 0xC0) != 0x80) return 0;
    cp = (cp << 6) | (b[i + k] & 0x3F);
  }
  static constexpr uint32_t kMin[] = {0, 0, 0x80, 0x800, 0x10000};
  if (cp < kMin[len] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return 0;
  return len;
}

bool IsContinuation(char c) { return (static_cast<unsigned char>(c) & 0xC0) == 0x80; }

}  // namespace

size_t FirstInvalidUtf8(std::string_view text, bool nul_is_invalid) {
  const auto* b = reinterpret_cast<const unsigned char*>(text.data());
  const size_t n = text.size();
  size_t i = 0;
  while (i < n) {
    unsigned char c = b[i];
    if (c < 0x80) {
      if (c == 0 && nul_is_invalid) return i;
      ++i;
      continue;
    }
    uint32_t cp;
    size_t len = DecodeMultiByte(b, n, i, cp);
    if (len == 0) return i;
    i += len;
  }
  return std::string_view::npos;
}

size_t Utf8ClipLength(std::string_view text, size_t max_bytes) {
  if (max_bytes >= text.size()) return text.size();
  // A character is at most 4 bytes: step back at most 3 continuation bytes to its lead byte.
  // More means the text is not UTF-8 there; then the byte cut is as good as any.
  size_t cut = max_bytes;
  while (cut > 0 && max_bytes - cut < 3 && IsContinuation(text[cut])) --cut;
  return IsContinuation(text[cut]) ? max_bytes : cut;
}

std::string Abbreviate(std::string_view text, size_t max_bytes) {
  if (text.size() <= max_bytes) return std::string(text);
  constexpr std::string_view kEllipsis = "...";
  if (max_bytes <= kEllipsis.size()) return std::string(kEllipsis.substr(0, max_bytes));
  std::string out(text.substr(0, Utf8ClipLength(text, max_bytes - kEllipsis.size())));
  return out.append(kEllipsis);
}

std::string_view Utf8Tail(std::string_view text, size_t max_bytes) {
  if (text.size() <= max_bytes) return text;
  size_t start = text.size() - max_bytes;
  size_t first = start;
  while (first < text.size() && first - start < 3 && IsContinuation(text[first])) ++first;
  return text.substr(first < text.size() && IsContinuation(text[first]) ? start : first);
}

std::string OneLine(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  bool space = false;
  for (char c : text) {
    if (c == '\n' || c == '\r' || c == '\t' || c == ' ') {
      space = !out.empty();
      continue;
    }
    if (space) out += ' ';
    space = false;
    out += c;
  }
  return out;
}

std::string EscapeForTerminal(std::string_view text) {
  const auto* b = reinterpret_cast<const unsigned char*>(text.data());
  const size_t n = text.size();
  std::string out;
  out.reserve(n);
  for (size_t i = 0; i < n;) {
    unsigned char c = b[i];
    if (c < 0x80) {
      if ((c < 0x20 && c != '\n' && c != '\t') || c == 0x7F) {
        out += fmt::format("\\x{:02x}", c);
      } else {
        out += static_cast<char>(c);
      }
      ++i;
      continue;
    }
    uint32_t cp;
    size_t len = DecodeMultiByte(b, n, i, cp);
    if (len == 0) {
      out += fmt::format("\\x{:02x}", c);
      ++i;
      continue;
    }
    // C1 controls (U+009B is a CSI on some terminals) and the bidirectional embeddings,
    // overrides and isolates that can make shown text differ from what runs.
    bool hidden = (cp >= 0x80 && cp <= 0x9F) || (cp >= 0x202A && cp <= 0x202E) ||
                  (cp >= 0x2066 && cp <= 0x2069);
    if (hidden) {
      out += fmt::format("\\u{{{:04x}}}", cp);
    } else {
      out.append(text.substr(i, len));
    }
    i += len;
  }
  return out;
}

}  // namespace tide
