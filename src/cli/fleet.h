#pragma once
// The fleet's units of work (cli/fleet.cc runs them): a database URL, or one schema of it with
// its own history table. Where they come from: --targets FILE (one URL per line), or
// --targets-query SQL on --catalog-url (one URL per row), or --url alone; with --schemas GLOB,
// each target becomes one unit per matching schema.

#include <string>
#include <string_view>
#include <vector>

#include "base/error.h"
#include "cli/context.h"

namespace tide::cli::fleet {

struct Target {
  std::string url;
  int line = 0;        // its line in --targets FILE, or its row of --targets-query (from 1)
  std::string schema;  // with --schemas: the schema (its history table, search_path, placeholder)
  std::string error;   // set: the unit cannot run (its schemas could not be listed)
  bool no_schema = false;  // with --schemas: the target has no matching schema
  std::string Name() const;  // for people: the redacted URL, and the schema
  std::string Key() const;   // for the done file: a hash, so no password lands in it
};

// The units of the fleet, in order: targets as listed, each one's schemas by name.
Result<std::vector<Target>> ResolveTargets(Context& ctx);

// --schemas takes a glob (* any run of characters, ? one character, everything else literal);
// the catalog is asked with the equivalent LIKE pattern, passed as a parameter.
std::string GlobToLike(std::string_view glob);

// 64-bit FNV-1a, as hex.
std::string Fingerprint(std::string_view text);

}  // namespace tide::cli::fleet
