#pragma once
// The command line: global flags, one subcommand per file in src/cli/, exit codes
// (0 ok, 1 a check or migration failed, 2 bad usage or input, 3 a gate refused).

namespace tide::cli {

int Main(int argc, char** argv);

}  // namespace tide::cli
