#include "lint/rule.h"

namespace tide::lint {

namespace {

// line/column after reading text[0, n) from `at` (the rules of PositionOf).
void Advance(std::string_view text, size_t n, int& line, int& column) {
  for (size_t i = 0; i < n && i < text.size(); ++i) {
    if (text[i] == '\n') {
      ++line;
      column = 1;
    } else if (text[i] == '\r') {
      if (i + 1 < text.size() && text[i + 1] == '\n') continue;
      ++line;
      column = 1;
    } else {
      ++column;
    }
  }
}

}  // namespace

FileContext::FileContext(std::string file, const sql::ClassifiedScript& script,
                         const plan::Plan& plan, const History& history, const LintOptions& options)
    : file_(std::move(file)), script_(script), plan_(plan), history_(history), options_(options) {
  for (const auto& n : plan.notes) notes_[n.statement].push_back(&n);
  for (const auto& r : plan.refusals) refusals_[r.statement].push_back(&r);
  int segment = 0;
  bool in_block = false;
  for (const auto& c : script.classified) {
    segments_.push_back(segment);
    explicit_block_.push_back(in_block);
    by_action_[c.action].push_back(c.index);
    if (c.action == sql::Action::kCreateTable || c.action == sql::Action::kCreateTableAs) {
      created_.Add(c.table, c.index);
    }
    for (const auto& cmd : c.commands) {
      if (c.transactional && sql::BlocksWrites(cmd.lock) && !cmd.table.empty() &&
          !IsNewTable(cmd.table, c.index)) {
        write_locking_.push_back(c.index);
        break;
      }
    }
    if (c.action != sql::Action::kTransaction) continue;
    std::string kind = c.statement->tree.value("kind", "");
    if (kind == "TRANS_STMT_BEGIN" || kind == "TRANS_STMT_START") {
      in_block = true;
    } else if (kind == "TRANS_STMT_COMMIT" || kind == "TRANS_STMT_ROLLBACK" ||
               kind == "TRANS_STMT_PREPARE") {
      in_block = false;
      ++segment;
    }
  }
}

std::optional<sql::Phase> FileContext::StatedPhase() const {
  const auto& phase = script_.directives.phase;
  if (!phase) return std::nullopt;
  if (*phase == "expand") return sql::Phase::kExpand;
  if (*phase == "contract") return sql::Phase::kContract;
  return std::nullopt;
}

bool FileContext::IsNewTable(const sql::TableName& table, size_t before) const {
  return created_.Contains(table, before);
}

const std::vector<size_t>& FileContext::StatementsDoing(sql::Action action) const {
  static const std::vector<size_t> kNone;
  auto it = by_action_.find(action);
  return it == by_action_.end() ? kNone : it->second;
}

const plan::Note* FileContext::Note(size_t statement,
                                    std::initializer_list<std::string_view> rules) const {
  auto it = notes_.find(static_cast<int>(statement));
  if (it == notes_.end()) return nullptr;
  for (const plan::Note* n : it->second) {
    for (auto r : rules) {
      if (n->rule == r) return n;
    }
  }
  return nullptr;
}

const plan::Refusal* FileContext::Refusal(size_t statement, std::string_view rule) const {
  auto it = refusals_.find(static_cast<int>(statement));
  if (it == refusals_.end()) return nullptr;
  for (const plan::Refusal* r : it->second) {
    if (r->rule == rule) return r;
  }
  return nullptr;
}

FileContext::Span FileContext::SpanOf(const sql::Classified& c, const sql::Command* cmd) const {
  const sql::Statement& st = *c.statement;
  Span span{st.line, st.column, st.end_line, st.end_column};
  if (!cmd || cmd->text.empty()) return span;
  // Clauses appear in order; search each from the end of the one before, so two identical
  // clauses point at their own text.
  size_t from = 0, at = std::string::npos;
  for (const auto& other : c.commands) {
    size_t found = other.text.empty() ? std::string::npos : st.text.find(other.text, from);
    if (found != std::string::npos) from = found + other.text.size();
    if (&other == cmd) {
      at = found;
      break;
    }
  }
  if (at == std::string::npos) return span;
  int line = st.line, column = st.column;
  Advance(st.text, at, line, column);
  span.line = line;
  span.column = column;
  Advance(std::string_view(st.text).substr(at), cmd->text.size() - 1, line, column);
  span.end_line = line;
  span.end_column = column;
  return span;
}

Finding& Findings::Add(const Rule& rule, const sql::Classified& c, const sql::Command* clause) {
  FileContext::Span span = file_.SpanOf(c, clause);
  Finding f;
  f.file = file_.file();
  f.line = span.line;
  f.column = span.column;
  f.end_line = span.end_line;
  f.end_column = span.end_column;
  f.rule = rule.info().id;
  f.severity = f.rule_severity = rule.info().severity;
  f.help = rule.info().recipe;
  f.statement = static_cast<int>(c.index);
  findings_.push_back(std::move(f));
  return findings_.back();
}

Finding& Findings::AddAtLine(const Rule& rule, int line) {
  Finding f;
  f.file = file_.file();
  f.line = f.end_line = line;
  f.column = line > 0 ? 1 : 0;
  f.end_column = 0;
  f.rule = rule.info().id;
  f.severity = f.rule_severity = rule.info().severity;
  f.help = rule.info().recipe;
  findings_.push_back(std::move(f));
  return findings_.back();
}

void Findings::MadeSafeBy(Finding& f, const plan::Note* note) {
  if (!note) return;
  f.auto_safe = true;
  f.migrate = note->text;
}

}  // namespace tide::lint
