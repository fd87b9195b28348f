#include "base/text.h"

#include <gtest/gtest.h>

#include <vector>

#include "base/strings.h"

namespace tide {
namespace {

// Multi-byte characters of every length: 2 (ü), 3 (日, 本) and 4 bytes (an emoji).
const char* const kWide[] = {"\xC3\xBC", "\xE6\x97\xA5\xE6\x9C\xAC", "\xF0\x9F\x98\x80"};

TEST(CutTextTest, AbbreviateNeverSplitsACharacterAtAnyLimit) {
  for (const char* wide : kWide) {
    for (size_t pad = 0; pad < 12; ++pad) {
      std::string text = std::string(pad, 'x') + wide + wide + "tail";
      for (size_t max = 0; max <= text.size() + 1; ++max) {
        std::string cut = Abbreviate(text, max);
        SCOPED_TRACE(::testing::Message() << "pad " << pad << " max " << max);
        EXPECT_LE(cut.size(), max);
        EXPECT_EQ(FirstInvalidUtf8(cut), std::string_view::npos) << cut;
        if (text.size() <= max) {
          EXPECT_EQ(cut, text);
        } else if (max >= 3) {
          EXPECT_EQ(cut.substr(cut.size() - 3), "...");
          EXPECT_EQ(text.rfind(cut.substr(0, cut.size() - 3), 0), 0u);  // a prefix of text
          EXPECT_GE(cut.size() + 3, max) << "cut more than one character short";
        }
      }
    }
  }
}

TEST(CutTextTest, ClipLengthAndTailStayOnCharacterBoundaries) {
  std::string text = "a\xC3\xBC\xE6\x97\xA5\xF0\x9F\x98\x80z";  // a ü 日 😀 z
  std::vector<size_t> clip;
  for (size_t n = 0; n <= text.size(); ++n) clip.push_back(Utf8ClipLength(text, n));
  EXPECT_EQ(clip, (std::vector<size_t>{0, 1, 1, 3, 3, 3, 6, 6, 6, 6, 10, 11}));
  for (size_t n = 0; n <= text.size(); ++n) {
    std::string_view tail = Utf8Tail(text, n);
    EXPECT_LE(tail.size(), n);
    EXPECT_EQ(FirstInvalidUtf8(tail), std::string_view::npos) << n;
    EXPECT_EQ(text.substr(text.size() - tail.size()), tail);
  }
  // Not UTF-8 to begin with: cut at the byte rather than walk back further.
  EXPECT_EQ(Utf8ClipLength("\x80\x80\x80\x80\x80\x80", 5), 5u);
}

TEST(CutTextTest, OneLineJoinsWhitespace) {
  EXPECT_EQ(OneLine("  UPDATE t\n\tSET a = 1\r\n  WHERE  b  "), "UPDATE t SET a = 1 WHERE b");
}

TEST(EscapeForTerminalTest, ShowsControlBytesAndKeepsText) {
  EXPECT_EQ(EscapeForTerminal("plain, \xC3\xBC \xE6\x97\xA5 \xF0\x9F\x98\x80\tand\nlines"),
            "plain, \xC3\xBC \xE6\x97\xA5 \xF0\x9F\x98\x80\tand\nlines");
  EXPECT_EQ(EscapeForTerminal("red \x1b[31m!\x07\r"), "red \\x1b[31m!\\x07\\x0d");
  EXPECT_EQ(EscapeForTerminal(std::string_view("a\0b\x7f", 4)), "a\\x00b\\x7f");
  EXPECT_EQ(EscapeForTerminal("\xC2\x9B"
                              "2J"),
            "\\u{009b}2J");  // C1 CSI
  EXPECT_EQ(EscapeForTerminal("x\xE2\x80\xAE"
                              "cba"),
            "x\\u{202e}cba");  // right-to-left override
  EXPECT_EQ(EscapeForTerminal("latin1 caf\xE9!"), "latin1 caf\\xe9!");
}

}  // namespace
}  // namespace tide
