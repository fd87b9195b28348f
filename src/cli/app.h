#pragma once
// The command line: global flags, one subcommand per file in src/cli/, exit codes
// (0 ok, 1 a check or migration failed, 2 bad usage or input, 3 a gate refused).

#include "base/error.h"

namespace tide::cli {

int Main(int argc, char** argv);

// An error as every command reports it: on stderr, and as a JSON document on stdout with --json.
void PrintError(const Error& error, bool json);

}  // namespace tide::cli
