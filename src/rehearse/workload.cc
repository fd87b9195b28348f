#include "rehearse/workload.h"

#include <fmt/format.h>

#include <cctype>
#include <fstream>
#include <set>
#include <sstream>

#include "base/strings.h"

namespace tide::rehearse {

namespace {

bool IsNameStart(char c) {
  return std::isalpha(static_cast<unsigned char>(c)) || c == '_' ||
         static_cast<unsigned char>(c) >= 0x80;
}
bool IsNameChar(char c) { return IsNameStart(c) || std::isdigit(static_cast<unsigned char>(c)); }

bool ValidName(std::string_view name) {
  if (name.empty() || !IsNameStart(name[0])) return false;
  for (char c : name) {
    if (!IsNameChar(c)) return false;
  }
  return true;
}

constexpr std::string_view kBuiltins[] = {"client_id", "default_seed", "random_seed"};

// Why each pgbench meta command that tide does not run is refused.
std::string UnsupportedMeta(const std::string& name) {
  if (name == "gset" || name == "aset") {
    return fmt::format("\\{} is not supported: tide does not store query results in variables",
                       name);
  }
  if (name == "if" || name == "elif" || name == "else" || name == "endif") {
    return fmt::format("\\{} is not supported: tide runs scripts without conditionals", name);
  }
  if (name == "shell" || name == "setshell") {
    return fmt::format("\\{} is not supported: tide does not run shell commands from workloads",
                       name);
  }
  if (name == "startpipeline" || name == "syncpipeline" || name == "endpipeline") {
    return fmt::format("\\{} is not supported: tide sends each command on its own", name);
  }
  if (name.empty()) return "a backslash must start a command such as \\set or \\sleep";
  return fmt::format("unknown command \\{} (tide supports \\set and \\sleep)", name);
}

}  // namespace

// Splits a script into commands with pgbench's lexical rules (those of psql's scanner).
class ScriptParser {
 public:
  ScriptParser(std::string_view text, std::string source, const VariableMap& vars)
      : text_(text), out_(new Workload()) {
    out_->source_ = std::move(source);
    for (const auto& [name, value] : vars) {
      int slot = Slot(name);
      out_->given_text_[static_cast<size_t>(slot)] = value;
      auto parsed = ParseVariableText(value);
      if (parsed.ok()) out_->given_values_[static_cast<size_t>(slot)] = *parsed;
    }
    for (std::string_view b : kBuiltins) Slot(std::string(b));
  }

  Result<std::shared_ptr<const Workload>> Run() {
    TIDE_TRY(Scan());
    // Pieces are cut once every \set is known: a name set further down is a variable too.
    for (Command& cmd : out_->commands_) {
      if (cmd.kind == Command::Kind::kSql) cmd.pieces = Pieces(cmd.sql);
    }
    if (out_->commands_.empty()) {
      return Error::Input("the workload script has no commands").At({out_->source_, 1, 1});
    }
    TIDE_TRY(CheckVariables());
    return std::shared_ptr<const Workload>(std::move(out_));
  }

 private:
  int Slot(const std::string& name) {
    for (size_t i = 0; i < out_->names_.size(); ++i) {
      if (out_->names_[i] == name) return static_cast<int>(i);
    }
    out_->names_.push_back(name);
    out_->given_values_.emplace_back();
    out_->given_text_.emplace_back();
    return static_cast<int>(out_->names_.size() - 1);
  }

  SourceLocation At(size_t offset) const {
    LineColumn lc = PositionOf(text_, offset);
    return {out_->source_, lc.line, lc.column};
  }
  Error Fail(size_t offset, const std::string& message) const {
    return Error::Input(message).At(At(offset));
  }

  // Copies a quoted run starting at pos_ (the opening character) into sql_; false when the
  // text ends before the quote closes.
  bool CopyQuoted(char quote, bool backslash_escapes) {
    sql_ += text_[pos_++];
    while (pos_ < text_.size()) {
      char c = text_[pos_++];
      sql_ += c;
      if (backslash_escapes && c == '\\' && pos_ < text_.size()) {
        sql_ += text_[pos_++];
      } else if (c == quote) {
        if (pos_ < text_.size() && text_[pos_] == quote) {
          sql_ += text_[pos_++];  // doubled quote inside
        } else {
          return true;
        }
      }
    }
    return false;
  }

  // $tag$ at pos_: the tag (with both dollars), or "" when this dollar opens no quote ($1).
  std::string DollarTag() const {
    if (pos_ > 0 && IsNameChar(text_[pos_ - 1])) return "";
    size_t p = pos_ + 1;
    if (p < text_.size() && std::isdigit(static_cast<unsigned char>(text_[p]))) return "";
    while (p < text_.size() && IsNameChar(text_[p]) && text_[p] != '$') ++p;
    if (p < text_.size() && text_[p] == '$') return std::string(text_.substr(pos_, p - pos_ + 1));
    return "";
  }

  bool CopyBlockComment() {
    int depth = 0;
    while (pos_ < text_.size()) {
      if (text_.substr(pos_, 2) == "/*") {
        ++depth;
        sql_ += "/*";
        pos_ += 2;
      } else if (text_.substr(pos_, 2) == "*/") {
        --depth;
        sql_ += "*/";
        pos_ += 2;
        if (depth == 0) return true;
      } else {
        sql_ += text_[pos_++];
      }
    }
    return false;
  }

  bool SqlStarted() const { return !Trim(sql_).empty(); }

  void SkipLineComment() {
    while (pos_ < text_.size() && text_[pos_] != '\n') ++pos_;
  }

  // One step of the SQL scanner; sets *ended when a ';' ends the command.
  Status ScanSqlStep(bool* ended) {
    char c = text_[pos_];
    size_t start = pos_;
    if (!SqlStarted() && !std::isspace(static_cast<unsigned char>(c)) &&
        text_.substr(pos_, 2) != "--") {
      sql_start_ = pos_;
    }
    if (c == '\'') {
      bool escapes = start > 0 && (text_[start - 1] == 'E' || text_[start - 1] == 'e') &&
                     (start < 2 || !IsNameChar(text_[start - 2]));
      if (!CopyQuoted('\'', escapes)) return Fail(start, "unterminated quoted string");
    } else if (c == '"') {
      if (!CopyQuoted('"', false)) return Fail(start, "unterminated quoted identifier");
    } else if (c == '$' && !DollarTag().empty()) {
      std::string tag = DollarTag();
      size_t close = text_.find(tag, pos_ + tag.size());
      if (close == std::string_view::npos) return Fail(start, "unterminated dollar-quoted string");
      sql_ += text_.substr(pos_, close + tag.size() - pos_);
      pos_ = close + tag.size();
    } else if (text_.substr(pos_, 2) == "--") {
      SkipLineComment();
    } else if (text_.substr(pos_, 2) == "/*") {
      if (!CopyBlockComment()) return Fail(start, "unterminated /* comment");
    } else if (c == '(' || c == ')') {
      paren_depth_ += c == '(' ? 1 : -1;
      sql_ += text_[pos_++];
    } else if (c == ';' && paren_depth_ <= 0) {
      ++pos_;
      *ended = true;
    } else {
      sql_ += text_[pos_++];
    }
    return Ok();
  }

  Status Scan() {
    while (pos_ < text_.size()) {
      if (text_[pos_] == '\\') {
        if (text_.substr(pos_, 2) == "\\;") {  // pgbench's compound command
          sql_ += ';';
          pos_ += 2;
          continue;
        }
        TIDE_TRY(Meta());
        continue;
      }
      bool ended = false;
      TIDE_TRY(ScanSqlStep(&ended));
      if (ended) TIDE_TRY(EndSql());
    }
    return EndSql();
  }

  Status EndSql() {
    std::string sql(Trim(sql_));
    sql_.clear();
    paren_depth_ = 0;
    if (sql.empty()) return Ok();
    Command cmd;
    cmd.kind = Command::Kind::kSql;
    cmd.line = At(sql_start_).line;
    cmd.sql = std::move(sql);
    out_->commands_.push_back(std::move(cmd));
    return Ok();
  }

  // Splits SQL at each :name that names a variable, as pgbench's assignVariables does.
  std::vector<SqlPiece> Pieces(const std::string& sql) const {
    std::vector<SqlPiece> pieces;
    std::string literal;
    size_t p = 0;
    while (p < sql.size()) {
      if (sql[p] != ':') {
        literal += sql[p++];
        continue;
      }
      if (p + 1 >= sql.size() || !IsNameStart(sql[p + 1])) {
        while (p < sql.size() && sql[p] == ':') literal += sql[p++];  // "::type" stays
        continue;
      }
      size_t q = p + 1;
      while (q < sql.size() && IsNameChar(sql[q])) ++q;
      std::string name = sql.substr(p + 1, q - p - 1);
      int slot = out_->SlotOf(name);
      if (slot < 0 || !Defined(name)) {
        literal += sql.substr(p, q - p);
      } else {
        if (!literal.empty()) pieces.push_back({std::move(literal), -1});
        literal.clear();
        pieces.push_back({sql.substr(p, q - p), slot});
      }
      p = q;
    }
    if (!literal.empty()) pieces.push_back({std::move(literal), -1});
    return pieces;
  }

  // A name some part of the script or its caller gives a value (the check runs after the scan,
  // so a variable \set further down counts, as it is set from the second request on).
  bool Defined(const std::string& name) const {
    int slot = out_->SlotOf(name);
    if (slot < 0) return false;
    if (out_->given_text_[static_cast<size_t>(slot)]) return true;
    for (std::string_view b : kBuiltins) {
      if (name == b) return true;
    }
    return set_names_.count(name) > 0;
  }

  // Reads the backslash command at pos_ up to its end of line, joining continued lines.
  Status Meta() {
    size_t start = pos_;
    std::string line;
    std::vector<size_t> offsets;  // text offset of each character of `line`
    ++pos_;
    while (pos_ < text_.size() && text_[pos_] != '\n') {
      size_t continuation = text_.substr(pos_, 2) == "\\\n"     ? 2
                            : text_.substr(pos_, 3) == "\\\r\n" ? 3
                                                                : 0;
      if (continuation) {
        line += ' ';
        offsets.push_back(pos_);
        pos_ += continuation;
        continue;
      }
      if (text_[pos_] == '\r' && pos_ + 1 < text_.size() && text_[pos_ + 1] == '\n') {
        ++pos_;
        continue;
      }
      line += text_[pos_];
      offsets.push_back(pos_++);
    }
    offsets.push_back(pos_);
    size_t n = 0;
    while (n < line.size() && std::isalpha(static_cast<unsigned char>(line[n]))) ++n;
    std::string name = ToLower(line.substr(0, n));
    if (SqlStarted()) {
      if (name == "gset" || name == "aset") return Fail(start, UnsupportedMeta(name));
      return Fail(start, fmt::format("\\{} inside an SQL command: end the command with ';' "
                                     "before it",
                                     name));
    }
    auto offset_of = [&](size_t i) { return offsets[std::min(i, offsets.size() - 1)]; };
    if (name == "set") return MetaSet(start, line, n, offset_of);
    if (name == "sleep") return MetaSleep(start, line, n);
    return Fail(start, UnsupportedMeta(name));
  }

  template <typename OffsetOf>
  Status MetaSet(size_t start, const std::string& line, size_t n, const OffsetOf& offset_of) {
    size_t p = n;
    while (p < line.size() && std::isspace(static_cast<unsigned char>(line[p]))) ++p;
    size_t name_end = p;
    while (name_end < line.size() && !std::isspace(static_cast<unsigned char>(line[name_end]))) {
      ++name_end;
    }
    std::string var = line.substr(p, name_end - p);
    if (var.empty()) return Fail(start, "\\set: missing variable name");
    if (!ValidName(var)) {
      return Fail(offset_of(p), fmt::format("\\set: invalid variable name \"{}\"", var));
    }
    std::string_view rest = std::string_view(line).substr(name_end);
    if (Trim(rest).empty()) return Fail(start, fmt::format("\\set {}: missing expression", var));
    Command cmd;
    cmd.kind = Command::Kind::kSet;
    cmd.line = At(start).line;
    cmd.slot = Slot(var);
    SourceLocation where = At(offset_of(name_end));
    auto slot_of = [this](const std::string& name) { return Slot(name); };
    auto expr = ParseExpr(rest, where, slot_of);
    if (!expr.ok()) return std::move(expr).error();
    cmd.expr = std::move(expr).value();
    set_names_.insert(var);
    out_->commands_.push_back(std::move(cmd));
    return Ok();
  }

  Status MetaSleep(size_t start, const std::string& line, size_t n) {
    std::vector<std::string> words = SplitWords(line.substr(n));
    if (words.empty()) return Fail(start, "\\sleep: missing argument");
    if (words.size() > 2) return Fail(start, "\\sleep: too many arguments");
    Command cmd;
    cmd.kind = Command::Kind::kSleep;
    cmd.line = At(start).line;
    std::string amount = words[0];
    std::string unit = words.size() > 1 ? ToLower(words[1]) : "";
    if (amount[0] == ':') {
      if (!ValidName(amount.substr(1))) {
        return Fail(start, fmt::format("\\sleep: invalid variable \"{}\"", amount));
      }
      cmd.sleep_slot = Slot(amount.substr(1));
      sleep_vars_.push_back({amount.substr(1), start});
    } else {
      size_t digits = amount[0] == '+' || amount[0] == '-' ? 1 : 0;
      size_t d = digits;
      while (d < amount.size() && std::isdigit(static_cast<unsigned char>(amount[d]))) ++d;
      if (d == digits) return Fail(start, "\\sleep: invalid sleep time, must be an integer");
      if (d < amount.size()) {  // "10ms": number and unit in one word
        if (words.size() > 1) return Fail(start, "\\sleep: invalid sleep time, must be an integer");
        unit = ToLower(amount.substr(d));
      }
      cmd.sleep_amount = std::strtoll(amount.substr(0, d).c_str(), nullptr, 10);
    }
    if (unit == "us") {
      cmd.sleep_unit_us = 1;
    } else if (unit == "ms") {
      cmd.sleep_unit_us = 1000;
    } else if (unit.empty() || unit == "s") {
      cmd.sleep_unit_us = 1'000'000;
    } else {
      return Fail(start,
                  fmt::format("\\sleep: unrecognized time unit \"{}\", must be us, ms or s", unit));
    }
    out_->commands_.push_back(std::move(cmd));
    return Ok();
  }

  static std::vector<std::string> SplitWords(const std::string& text) {
    std::vector<std::string> words;
    std::istringstream in(text);
    std::string w;
    while (in >> w) words.push_back(w);
    return words;
  }

  // Every variable an expression or a sleep reads must get a value from somewhere; a given
  // variable read as a number must be one.
  Status CheckVariables() const {
    for (const Command& cmd : out_->commands_) {
      if (cmd.kind != Command::Kind::kSet) continue;
      Status status;
      ForEachVariable(cmd.expr, [&](const Expr& var) {
        if (!status.ok()) return;
        SourceLocation at{out_->source_, cmd.line, var.column};
        size_t slot = static_cast<size_t>(var.slot);
        if (!Defined(var.name)) {
          status = Error::Input(fmt::format("undefined variable \"{}\"", var.name))
                       .At(at)
                       .WithHint(fmt::format("give it a value from outside ({}=...), as with "
                                             "pgbench -D, or \\set it first",
                                             var.name));
        } else if (out_->given_text_[slot] && !out_->given_values_[slot] &&
                   set_names_.count(var.name) == 0) {
          status = Error::Input(fmt::format("variable \"{}\" is \"{}\", not a number", var.name,
                                            *out_->given_text_[slot]))
                       .At(at);
        }
      });
      TIDE_TRY(status);
    }
    for (const auto& [name, offset] : sleep_vars_) {
      if (!Defined(name)) {
        return Fail(offset, fmt::format("\\sleep: undefined variable \"{}\"", name));
      }
    }
    return Ok();
  }

  std::string_view text_;
  std::unique_ptr<Workload> out_;
  size_t pos_ = 0;
  std::string sql_;
  size_t sql_start_ = 0;
  int paren_depth_ = 0;
  std::set<std::string> set_names_;
  std::vector<std::pair<std::string, size_t>> sleep_vars_;
};

Result<std::shared_ptr<const Workload>> Workload::Parse(std::string_view text, std::string source,
                                                        const VariableMap& vars) {
  for (const auto& [name, value] : vars) {
    if (!ValidName(name)) {
      return Error::Input(fmt::format("invalid variable name \"{}\"", name));
    }
  }
  return ScriptParser(text, std::move(source), vars).Run();
}

Result<std::shared_ptr<const Workload>> Workload::Load(const std::filesystem::path& path,
                                                       const VariableMap& vars) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Error::Io(fmt::format("cannot read workload script {}", path.string()));
  std::ostringstream text;
  text << in.rdbuf();
  return Parse(text.str(), path.string(), vars);
}

int Workload::sql_command_count() const {
  int n = 0;
  for (const Command& c : commands_) n += c.kind == Command::Kind::kSql;
  return n;
}

int Workload::SlotOf(std::string_view name) const {
  for (size_t i = 0; i < names_.size(); ++i) {
    if (names_[i] == name) return static_cast<int>(i);
  }
  return -1;
}

Variables Workload::InitialVariables(int client_id, uint64_t random_seed,
                                     uint64_t default_seed) const {
  Variables vars;
  vars.values.resize(names_.size());
  vars.defined.assign(names_.size(), 0);
  for (size_t i = 0; i < names_.size(); ++i) {
    if (given_values_[i]) {
      vars.values[i] = *given_values_[i];
      vars.defined[i] = 1;
    } else if (given_text_[i]) {
      vars.defined[i] = 1;  // text only: usable in SQL, refused in expressions at load
    }
  }
  auto set = [&](std::string_view name, int64_t v) {
    int slot = SlotOf(name);
    if (slot < 0 || given_text_[static_cast<size_t>(slot)]) return;
    vars.values[static_cast<size_t>(slot)] = Value::Int(v);
    vars.defined[static_cast<size_t>(slot)] = 1;
  };
  set("client_id", client_id);
  set("random_seed", static_cast<int64_t>(random_seed));
  set("default_seed", static_cast<int64_t>(default_seed));
  return vars;
}

const std::string* Workload::GivenText(int slot) const {
  if (slot < 0 || static_cast<size_t>(slot) >= given_text_.size()) return nullptr;
  const auto& t = given_text_[static_cast<size_t>(slot)];
  return t ? &*t : nullptr;
}

}  // namespace tide::rehearse
