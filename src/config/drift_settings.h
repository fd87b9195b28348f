#pragma once
// [drift] in tide.toml: what `tide check --drift` leaves out. Kept apart from Settings so the
// drift check's one setting costs the rest of tide nothing; settings.cc validates the table
// when it reads tide.toml (an unknown key or a wrong type stops every command there, at its
// line) and reads it here again for the check.

#include <string>
#include <vector>

#include "base/error.h"
#include "config/settings.h"

namespace tide::config {

// [drift] ignore: globs on qualified names ("public.legacy_*"); empty without a tide.toml.
Result<std::vector<std::string>> DriftIgnore(const Settings& settings);

}  // namespace tide::config
