// JudgePhases (sql/objects.h): the phase of each statement from what it touches.
#include <fmt/format.h>

#include <algorithm>

#include "base/strings.h"
#include "sql/objects.h"

namespace tide::sql {

namespace {

// Index of the first object in created that o names; -1 when none.
int Find(const std::vector<ObjectRef>& created, const ObjectRef& o) {
  for (size_t i = 0; i < created.size(); ++i) {
    if (created[i].Matches(o)) return static_cast<int>(i);
  }
  return -1;
}

bool IsView(const ObjectRef& o) {
  return o.kind == ObjectKind::kRelation &&
         (o.relkind == "view" || o.relkind == "materialized view");
}

// Kinds whose drop and re-create is a replacement: a table or sequence re-created loses its
// rows or its counter, so dropping them stays a contract.
bool Replaceable(const ObjectRef& o) {
  return IsView(o) || o.kind == ObjectKind::kFunction || o.kind == ObjectKind::kTrigger ||
         o.kind == ObjectKind::kType;
}

// The first statement after `from` that creates an object of o's kind and name.
Classified* RecreatedAfter(ClassifiedScript& script, size_t from, const ObjectRef& o) {
  for (size_t j = from + 1; j < script.classified.size(); ++j) {
    for (const auto& made : CreatedBy(script.classified[j])) {
      if (made.Matches(o) && (o.kind != ObjectKind::kRelation || made.relkind == o.relkind)) {
        return &script.classified[j];
      }
    }
  }
  return nullptr;
}

struct Verdict {
  bool removes = false;
  std::string note;
};

Verdict JudgeView(const ObjectRef& o, const Classified& again, const PhaseFacts& facts) {
  std::string what = o.Display();
  auto now = ViewColumns(again);
  if (!now) {
    return {true, fmt::format("{} is re-created on line {} with SELECT *: its columns cannot be "
                              "told from the text, so the replacement counts as a contract",
                              what, again.line())};
  }
  std::optional<ViewShape> old = facts.view ? facts.view(o.name) : std::nullopt;
  if (!old) {
    return {true, fmt::format("the columns {} had are not known here (no database, and no "
                              "earlier file creates it), so its replacement on line {} counts "
                              "as a contract",
                              what, again.line())};
  }
  if (!old->exists)
    return {false, fmt::format("{} does not exist: the drop removes nothing", what)};
  if (!old->columns) {
    return {true, fmt::format("{} was defined with SELECT * ({}): which columns it had cannot be "
                              "told, so its replacement on line {} counts as a contract",
                              what, old->source, again.line())};
  }
  std::vector<std::string> lost;
  for (const auto& col : *old->columns) {
    if (std::find(now->begin(), now->end(), col) == now->end()) lost.push_back(col);
  }
  if (lost.empty()) {
    return {false, fmt::format("{} is replaced on line {} by a definition with every column it "
                               "had ({})",
                               what, again.line(), old->source)};
  }
  return {true, fmt::format("{} is replaced on line {} by a definition without {} {} ({}): the "
                            "old release's queries of {} fail",
                            what, again.line(), lost.size() == 1 ? "column" : "columns",
                            Join(lost, ", "), old->source, lost.size() == 1 ? "it" : "them")};
}

// DROP at index i followed by the re-creation of everything it drops: judged on what the new
// definitions remove. Leaves a drop that is not a replacement alone.
void JudgeReplacement(ClassifiedScript& script, size_t i, const PhaseFacts& facts) {
  Classified& drop = script.classified[i];
  auto dropped = ActsOn(drop);
  if (dropped.empty()) return;
  bool removes = false;
  std::vector<std::string> notes;
  std::vector<Classified*> again;
  for (const auto& o : dropped) {
    if (!Replaceable(o)) return;
    Classified* r = RecreatedAfter(script, i, o);
    if (!r) return;
    if (drop.statement->tree.value("behavior", "") == "DROP_CASCADE") {
      drop.phase_note = fmt::format(
          "CASCADE may drop objects that depend on {}, which line {} "
          "does not re-create: the drop counts as a contract",
          o.Display(), r->line());
      return;
    }
    Verdict v = IsView(o) ? JudgeView(o, *r, facts)
                          : Verdict{false, fmt::format("{} is re-created on line {} under the "
                                                       "same name: a replacement",
                                                       o.Display(), r->line())};
    removes = removes || v.removes;
    notes.push_back(std::move(v.note));
    again.push_back(r);
  }
  drop.phase_note = Join(notes, "; ");
  if (!removes) drop.phase = Phase::kNeutral;
  for (size_t k = 0; k < again.size(); ++k) {
    Classified* r = again[k];
    // A view that keeps its columns and may add some expands; a function, trigger or type
    // re-created is the same object again. Within a contracting replacement the CREATE adds
    // nothing of its own.
    bool expands = !removes && IsView(dropped[k]);
    if (r->phase == Phase::kExpand && !expands) {
      r->phase = Phase::kNeutral;
      r->phase_note = fmt::format("re-creates what line {} dropped", drop.line());
    }
  }
}

// Whether what c creates is surely new: CREATE OR REPLACE and IF NOT EXISTS may meet the object
// that is already there, which a running release uses.
bool CreatesNew(const Classified& c) {
  if (!c.statement) return false;
  const auto& t = c.statement->tree;
  // A data statement's tree is dropped once classified (ClassifyScript): it creates nothing.
  if (!t.is_object()) return false;
  if (t.value("replace", false) || t.value("if_not_exists", false)) return false;
  return true;
}

bool TextMixed(const Classified& c) {
  bool expand = false, contract = false;
  for (const auto& cmd : c.commands) {
    expand = expand || cmd.phase == Phase::kExpand;
    contract = contract || cmd.phase == Phase::kContract;
  }
  return expand && contract;
}

}  // namespace

void JudgePhases(ClassifiedScript& script, const PhaseFacts& facts,
                 std::vector<ObjectRef>* created_new) {
  std::vector<ObjectRef> created = facts.created_earlier;
  std::vector<ObjectRef> dropped_old;  // existing objects the file dropped: re-created, not new
  const int from_run = static_cast<int>(created.size());
  for (auto& c : script.classified) {
    c.phase = c.text_phase;
    c.mixed_phase = TextMixed(c);
    c.on_new_object = false;
    c.phase_note.clear();
    auto acts = ActsOn(c);
    int where = -1;
    bool all_new = !acts.empty();
    for (const auto& o : acts) {
      int at = Find(created, o);
      all_new = all_new && at >= 0;
      where = std::max(where, at);
    }
    if (all_new) {
      c.on_new_object = true;
      if (c.phase != Phase::kNeutral) {
        c.phase_note = fmt::format("on {}, created earlier in this {}: no release uses it yet",
                                   acts.front().Display(), where < from_run ? "run" : "file");
      }
      c.phase = Phase::kNeutral;
      c.mixed_phase = false;
    }
    bool is_drop = c.statement && c.statement->node_type == "DropStmt";
    if (is_drop && !c.on_new_object)
      dropped_old.insert(dropped_old.end(), acts.begin(), acts.end());
    if (c.statement && c.statement->node_type == "RenameStmt" && !c.on_new_object) continue;
    if (!CreatesNew(c)) continue;
    for (auto& made : CreatedBy(c)) {
      if (Find(dropped_old, made) >= 0) continue;
      if (created_new) created_new->push_back(made);
      created.push_back(std::move(made));
    }
  }
  for (size_t i = 0; i < script.classified.size(); ++i) {
    const Classified& c = script.classified[i];
    if (!c.statement || c.statement->node_type != "DropStmt" || c.on_new_object ||
        c.phase != Phase::kContract) {
      continue;
    }
    JudgeReplacement(script, i, facts);
  }
  bool expand = false, contract = false;
  for (const auto& c : script.classified) {
    expand = expand || c.phase == Phase::kExpand || c.mixed_phase;
    contract = contract || c.phase == Phase::kContract;
  }
  script.phase = contract ? Phase::kContract : expand ? Phase::kExpand : Phase::kNeutral;
  script.mixed_phase = expand && contract;
}

}  // namespace tide::sql
