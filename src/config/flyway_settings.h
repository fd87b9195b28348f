#pragma once
// What Flyway's settings mean to tide: FlywayProps (flyway_conf.h) applied onto Settings, each
// at its own layer so that the precedence of settings.h holds across both tools' sources.

#include "base/error.h"
#include "config/flyway_conf.h"
#include "config/settings.h"

namespace tide::config {

// Every Flyway source merged: ./flyway.conf (or the files flyway.configFiles names),
// ./flyway.toml with its environment, FLYWAY_* and -D. Records the files read in
// s.flyway_files and anything ignored in s.warnings.
Result<FlywayProps> ReadFlywaySources(const Flags& flags, Getenv getenv, EnvNames env_names,
                                      Settings& s);

// Applies the values whose layer lies in [low, high]. flyway.url is converted from JDBC with
// flyway.user and flyway.password, whatever layer those came from. A setting tide does not
// support is named in s.warnings; a malformed value is an input error naming its source.
Status ApplyFlyway(const FlywayProps& props, Layer low, Layer high, Settings& s);

// After every layer: warns when flyway.user or flyway.password were given but the URL in use
// came from tide's own settings, so they were not used.
void FinishFlyway(const FlywayProps& props, Settings& s);

}  // namespace tide::config
