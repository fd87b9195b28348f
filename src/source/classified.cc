// MigrationFile::Classified (source/discovery.h): each file parsed and classified once per
// command, within a memory budget.
#include <atomic>

#include "source/discovery.h"
#include "sql/classify.h"

namespace tide::source {

namespace {

// What kept scripts may hold together. A kept parse tree takes tens of times its text (nlohmann
// nodes), a data statement's (its tree dropped) about twice; 256 MB keeps a history of
// thousands of ordinary files, and beyond it files are classified again when read again.
constexpr size_t kBudget = size_t{256} << 20;
// Shared by every thread that reads migration files (the budget is a bound, not an exact sum:
// two threads may both pass the check at once).
std::atomic<size_t> kept_weight{0};

size_t WeightOf(const sql::ClassifiedScript& script) {
  size_t weight = 0;
  for (const auto& st : script.statements) {
    weight += st.text.size() * (st.tree.is_null() ? 2 : 32) + 256;
  }
  return weight;
}

Result<std::shared_ptr<sql::ClassifiedScript>> ClassifyNow(const MigrationFile& file) {
  TIDE_ASSIGN(auto script, sql::ClassifyScript(file.SqlText(), file.path.string()));
  return std::make_shared<sql::ClassifiedScript>(std::move(script));
}

}  // namespace

MigrationFile::ClassifiedCache& MigrationFile::ClassifiedCache::operator=(const ClassifiedCache&) {
  Clear();
  return *this;
}

MigrationFile::ClassifiedCache::ClassifiedCache(ClassifiedCache&& other) noexcept
    : script_(std::move(other.script_)),
      from_(other.from_),
      size_(other.size_),
      weight_(other.weight_) {
  other.from_ = nullptr;
  other.weight_ = 0;
}

MigrationFile::ClassifiedCache& MigrationFile::ClassifiedCache::operator=(
    ClassifiedCache&& other) noexcept {
  if (this != &other) {
    Clear();
    script_ = std::move(other.script_);
    weight_ = other.weight_;
    size_ = other.size_;
    from_ = other.from_;
    other.from_ = nullptr;
    other.weight_ = 0;
  }
  return *this;
}

MigrationFile::ClassifiedCache::~ClassifiedCache() { Clear(); }

std::shared_ptr<sql::ClassifiedScript> MigrationFile::ClassifiedCache::Find(
    const std::string& text) const {
  if (!script_ || from_ != text.data() || size_ != text.size()) return nullptr;
  return script_;
}

void MigrationFile::ClassifiedCache::Keep(const std::string& text,
                                          std::shared_ptr<sql::ClassifiedScript> script) {
  Clear();
  size_t weight = WeightOf(*script);
  if (kept_weight.load() + weight > kBudget) return;
  kept_weight += weight;
  weight_ = weight;
  script_ = std::move(script);
  from_ = text.data();
  size_ = text.size();
}

void MigrationFile::ClassifiedCache::Clear() {
  kept_weight -= weight_;
  weight_ = 0;
  script_.reset();
  from_ = nullptr;
  size_ = 0;
}

Result<std::shared_ptr<sql::ClassifiedScript>> MigrationFile::Classified() const {
  if (auto kept = classified_cache.Find(SqlText())) return kept;
  TIDE_ASSIGN(auto script, ClassifyNow(*this));
  classified_cache.Keep(SqlText(), script);
  return script;
}

Result<std::shared_ptr<sql::ClassifiedScript>> MigrationFile::ClassifiedOnce() const {
  if (auto kept = classified_cache.Find(SqlText())) return kept;
  return ClassifyNow(*this);
}

void MigrationFile::ForgetClassified() const { classified_cache.Clear(); }

}  // namespace tide::source
