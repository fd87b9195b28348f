#include "sql/splitter.h"

#include <strings.h>

#include <cctype>

namespace tide::sql {

namespace {

bool IdentStart(unsigned char c) { return std::isalpha(c) || c == '_' || c >= 0x80; }
bool IdentCont(unsigned char c) { return IdentStart(c) || std::isdigit(c) || c == '$'; }

class Scanner {
 public:
  explicit Scanner(std::string_view s) : s_(s) { out_.blanked.assign(s); }

  ScriptScan Run() {
    while (i_ < s_.size()) Step();
    return std::move(out_);
  }

 private:
  bool At(std::string_view what) const { return s_.substr(i_, what.size()) == what; }

  void Step() {
    unsigned char c = static_cast<unsigned char>(s_[i_]);
    if (At("--")) {
      size_t end = s_.find_first_of("\r\n", i_);
      Blank(i_, end == std::string_view::npos ? s_.size() : end);
    } else if (At("/*")) {
      BlockComment();
    } else if (c == '\'') {
      Quoted('\'', false);
    } else if (c == '"') {
      Quoted('"', false);
    } else if (c == '$') {
      Dollar();
    } else if (IdentStart(c)) {
      Identifier();
    } else if (std::isdigit(c)) {
      // A number; letters after it (1e5) are read as a word, harmlessly; '$' after it starts a
      // dollar quote, as in PostgreSQL.
      while (i_ < s_.size() && (std::isdigit(static_cast<unsigned char>(s_[i_])) || s_[i_] == '.'))
        ++i_;
    } else {
      if (c == '(') ++parens_;
      if (c == ')' && parens_ > 0) --parens_;
      if (c == ';' && parens_ == 0 && begins_ == 0) {
        out_.ends.push_back(i_ + 1);
        words_.clear();
        word_count_ = 0;
      }
      ++i_;
    }
  }

  void Blank(size_t from, size_t to) {
    for (size_t k = from; k < to; ++k) {
      if (s_[k] != '\n' && s_[k] != '\r') out_.blanked[k] = ' ';
    }
    i_ = to;
  }

  // PostgreSQL's block comments nest: /* a /* b */ c */ is one comment. One left open stays
  // as written, for the parser to report.
  void BlockComment() {
    size_t start = i_;
    int depth = 0;
    while (i_ < s_.size()) {
      if (At("/*")) {
        ++depth;
        i_ += 2;
      } else if (At("*/")) {
        i_ += 2;
        if (--depth == 0) break;
      } else {
        ++i_;
      }
    }
    if (depth == 0) Blank(start, i_);
  }

  // '...' or "..." with the quote doubled inside; backslash escapes too for E'...'.
  void Quoted(char quote, bool backslash) {
    ++i_;
    while (i_ < s_.size()) {
      char c = s_[i_];
      if (backslash && c == '\\') {
        i_ += 2;
      } else if (c == quote) {
        ++i_;
        if (i_ < s_.size() && s_[i_] == quote) {
          ++i_;
        } else {
          return;
        }
      } else {
        ++i_;
      }
    }
    i_ = s_.size();
  }

  // $tag$ ... $tag$, or a parameter ($1), or a lone '$'.
  void Dollar() {
    size_t j = i_ + 1;
    if (j < s_.size() && IdentStart(static_cast<unsigned char>(s_[j]))) {
      while (j < s_.size() && IdentCont(static_cast<unsigned char>(s_[j])) && s_[j] != '$') ++j;
    }
    if (j >= s_.size() || s_[j] != '$') {
      ++i_;
      while (i_ < s_.size() && std::isdigit(static_cast<unsigned char>(s_[i_]))) ++i_;
      return;
    }
    std::string_view tag = s_.substr(i_, j + 1 - i_);
    size_t close = s_.find(tag, j + 1);
    i_ = close == std::string_view::npos ? s_.size() : close + tag.size();
  }

  void Identifier() {
    size_t start = i_;
    while (i_ < s_.size() && IdentCont(static_cast<unsigned char>(s_[i_]))) ++i_;
    std::string_view word = s_.substr(start, i_ - start);
    if (i_ < s_.size() && s_[i_] == '\'' && word.size() == 1) {
      // E'...' has backslash escapes; B'', X'', N'' are plain strings.
      Quoted('\'', word == "e" || word == "E");
      return;
    }
    if (word.size() == 1 && (word[0] == 'u' || word[0] == 'U') && s_.substr(i_, 2) == "&'") {
      ++i_;
      Quoted('\'', false);
      return;
    }
    Word(word);
  }

  // psql's heuristic for SQL-standard bodies: in CREATE [OR REPLACE] FUNCTION|PROCEDURE, BEGIN
  // opens a block that END closes (and CASE, inside one, opens one too); ';' inside does not end
  // the statement.
  void Word(std::string_view word) {
    auto is = [&](const char* w) {
      return word.size() == std::char_traits<char>::length(w) &&
             strncasecmp(word.data(), w, word.size()) == 0;
    };
    if (word_count_ < 4) {
      char first = 0;
      if (is("create") || is("function") || is("procedure") || is("or") || is("replace")) {
        first = static_cast<char>(std::tolower(static_cast<unsigned char>(word[0])));
      }
      words_.push_back(first);
    }
    ++word_count_;
    auto w = [&](size_t k) { return k < words_.size() ? words_[k] : 0; };
    bool routine = w(0) == 'c' && (w(1) == 'f' || w(1) == 'p' ||
                                   (w(1) == 'o' && w(2) == 'r' && (w(3) == 'f' || w(3) == 'p')));
    if (!routine || parens_ != 0) return;
    if (is("begin")) {
      ++begins_;
    } else if (is("case")) {
      if (begins_ >= 1) ++begins_;
    } else if (is("end")) {
      if (begins_ > 0) --begins_;
    }
  }

  std::string_view s_;
  size_t i_ = 0;
  int parens_ = 0;
  int begins_ = 0;
  std::string words_;  // first letters of the statement's first words, when they matter
  int word_count_ = 0;
  ScriptScan out_;
};

}  // namespace

ScriptScan ScanScript(std::string_view script) { return Scanner(script).Run(); }

}  // namespace tide::sql
