#include "config/flyway_conf.h"

#include <fmt/format.h>
#include <toml++/toml.h>
#include <unistd.h>

#include <cctype>
#include <fstream>
#include <sstream>

#include "base/strings.h"

extern char** environ;

namespace tide::config {

namespace fs = std::filesystem;

namespace {

// Every setting whose FLYWAY_* variable tide reads; what each means is MergeFlyway's business.
constexpr const char* kEnvKeys[] = {"url",
                                    "user",
                                    "password",
                                    "schemas",
                                    "defaultSchema",
                                    "table",
                                    "tablespace",
                                    "locations",
                                    "target",
                                    "outOfOrder",
                                    "baselineVersion",
                                    "baselineDescription",
                                    "baselineOnMigrate",
                                    "installedBy",
                                    "placeholderPrefix",
                                    "placeholderSuffix",
                                    "placeholderReplacement",
                                    "placeholderSeparator",
                                    "skipDefaultCallbacks",
                                    "callbacks",
                                    "encoding",
                                    "validateOnMigrate",
                                    "cleanDisabled",
                                    "mixed",
                                    "group",
                                    "createSchemas",
                                    "driver",
                                    "connectRetries",
                                    "connectRetriesInterval",
                                    "initSql",
                                    "ignoreMigrationPatterns",
                                    "cherryPick",
                                    "validateMigrationNaming",
                                    "sqlMigrationPrefix",
                                    "sqlMigrationSeparator",
                                    "sqlMigrationSuffixes",
                                    "repeatableSqlMigrationPrefix",
                                    "resolvers",
                                    "skipDefaultResolvers",
                                    "lockRetryCount",
                                    "failOnMissingLocations",
                                    "licenseKey",
                                    "outputQueryResults",
                                    "executeInTransaction",
                                    "workingDirectory"};

// outOfOrder -> OUT_OF_ORDER
std::string UpperSnake(std::string_view camel) {
  std::string out;
  for (char c : camel) {
    if (std::isupper(static_cast<unsigned char>(c))) out += '_';
    out += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  }
  return out;
}

// Replaces each ${<prefix>NAME} (NAME of letters, digits and '_') with getenv(NAME), empty when
// unset; anything else is kept as written.
std::string ExpandVariables(const std::string& text, std::string_view prefix, Getenv getenv) {
  auto name_char = [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; };
  std::string out;
  size_t last = 0;
  for (size_t at = text.find("${"); at != std::string::npos; at = text.find("${", at + 1)) {
    size_t begin = at + 2;
    if (text.compare(begin, prefix.size(), prefix) != 0) continue;
    begin += prefix.size();
    size_t end = begin;
    while (end < text.size() && name_char(text[end])) ++end;
    if (end == begin || end >= text.size() || text[end] != '}') continue;
    out += text.substr(last, at - last);
    out += getenv(text.substr(begin, end - begin).c_str()).value_or("");
    last = end + 1;
    at = end;
  }
  return out + text.substr(last);
}

// ${VAR} in flyway.conf, as ConfigUtils.expandEnvironmentVariables does: unset means empty.
std::string ExpandEnv(const std::string& text, Getenv getenv) {
  return ExpandVariables(text, "", getenv);
}

bool IsPropertyLine(std::string_view line) {
  line = Trim(line);
  return line.rfind("flyway.", 0) == 0 && line.find('=') != std::string_view::npos;
}

std::string WithoutPrefix(const std::string& key) {
  return key.rfind("flyway.", 0) == 0 ? key.substr(7) : key;
}

}  // namespace

std::vector<std::string> ProcessEnvNames() {
  std::vector<std::string> names;
  for (char** e = environ; e && *e; ++e) {
    std::string entry(*e);
    names.push_back(entry.substr(0, entry.find('=')));
  }
  return names;
}

Result<std::vector<Property>> ReadProperties(const fs::path& file, Getenv getenv) {
  std::ifstream in(file, std::ios::binary);
  if (!in) return Error::Input(fmt::format("cannot read {}", file.string()));
  std::stringstream ss;
  ss << in.rdbuf();
  std::string text = ExpandEnv(ss.str(), getenv);
  std::vector<std::string> lines =
      Split(ReplaceAll(ReplaceAll(text, "\r\n", "\n"), "\r", "\n"), '\n');
  std::vector<Property> props;
  std::string logical;
  int start_line = 0;
  for (size_t i = 0; i < lines.size(); ++i) {
    std::string line(Trim(lines[i]));
    if (start_line == 0) {
      if (line.empty() || line[0] == '#' || line[0] == '!') continue;
      start_line = static_cast<int>(i) + 1;
      logical = line;
    } else {
      logical += line;
    }
    // A trailing backslash continues the value, unless what follows is blank or a new property
    // (then it is a literal backslash, e.g. the end of a Windows path).
    bool next_continues =
        i + 1 < lines.size() && !Trim(lines[i + 1]).empty() && !IsPropertyLine(lines[i + 1]);
    if (!logical.empty() && logical.back() == '\\' && next_continues) {
      logical.pop_back();
      continue;
    }
    // Java properties: the key ends at the first '=', ':' or blank.
    size_t k = logical.find_first_of("=: \t\f");
    Property p{logical.substr(0, k), "", start_line};
    if (k != std::string::npos) {
      size_t v = logical.find_first_not_of(" \t\f", k);
      if (v != std::string::npos && (logical[v] == '=' || logical[v] == ':')) ++v;
      v = logical.find_first_not_of(" \t\f", v == std::string::npos ? logical.size() : v);
      if (v != std::string::npos) p.value = logical.substr(v);
    }
    props.push_back(std::move(p));
    start_line = 0;
    logical.clear();
  }
  return props;
}

Result<FlywayProps> ReadFlywayConf(const fs::path& file, Getenv getenv,
                                   std::vector<std::string>& warnings) {
  TIDE_ASSIGN(auto properties, ReadProperties(file, getenv));
  FlywayProps props;
  for (const auto& p : properties) {
    std::string where = fmt::format("{}:{}", file.string(), p.line);
    if (p.key.rfind("flyway.", 0) != 0) {
      warnings.push_back(
          fmt::format("{}: '{}' is not a Flyway setting (flyway.*); ignored", where, p.key));
    } else {
      props[WithoutPrefix(p.key)] = {p.value, where, Layer::kFlywayConf};
    }
  }
  return props;
}

namespace {

// "${env.NAME}" in flyway.toml values, Flyway's environment-variable resolver.
std::string ExpandTomlEnv(const std::string& text, Getenv getenv) {
  return ExpandVariables(text, "env.", getenv);
}

// A TOML value in the text form flyway.conf would have: lists joined with commas.
std::optional<std::string> TomlText(const toml::node& node, Getenv getenv) {
  if (auto s = node.value<std::string>()) return ExpandTomlEnv(*s, getenv);
  if (auto b = node.value<bool>()) return *b ? "true" : "false";
  if (auto n = node.value<int64_t>()) return std::to_string(*n);
  if (auto d = node.value<double>()) return fmt::format("{}", *d);
  if (const auto* arr = node.as_array()) {
    std::vector<std::string> parts;
    for (const auto& item : *arr) {
      auto t = TomlText(item, getenv);
      if (!t) return std::nullopt;
      parts.push_back(*t);
    }
    return Join(parts, ",");
  }
  return std::nullopt;
}

// Adds a TOML table's keys under prefix ("" or "placeholders."), nested tables flattened.
void AddTomlTable(const toml::table& table, const std::string& prefix, const fs::path& file,
                  Getenv getenv, FlywayProps& props, std::vector<std::string>& warnings) {
  for (const auto& [k, node] : table) {
    std::string key = prefix + std::string(k.str());
    std::string where = fmt::format("{}:{}", file.string(), node.source().begin.line);
    if (const auto* sub = node.as_table()) {
      AddTomlTable(*sub, key + ".", file, getenv, props, warnings);
      continue;
    }
    auto text = TomlText(node, getenv);
    if (!text) {
      warnings.push_back(fmt::format("{}: '{}' has a value tide cannot read; ignored", where, key));
      continue;
    }
    props[key] = {*text, where, Layer::kFlywayToml};
  }
}

}  // namespace

Result<FlywayProps> ReadFlywayToml(const fs::path& file, const std::string& environment,
                                   Getenv getenv, std::vector<std::string>& warnings) {
  toml::table root;
  try {
    root = toml::parse_file(file.string());
  } catch (const toml::parse_error& e) {
    return Error::Input(std::string(e.description()))
        .At({file.string(), static_cast<int>(e.source().begin.line),
             static_cast<int>(e.source().begin.column)});
  }
  FlywayProps props;
  const toml::table* flyway = root["flyway"].as_table();
  if (flyway) AddTomlTable(*flyway, "", file, getenv, props, warnings);
  std::string env_name = environment;
  if (env_name.empty()) {
    auto it = props.find("environment");
    env_name = it != props.end() ? it->second.value : "default";
  }
  props.erase("environment");
  const toml::table* envs = root["environments"].as_table();
  const toml::table* env = envs ? (*envs)[env_name].as_table() : nullptr;
  if (!env) {
    if (env_name != "default") {
      return Error::Input(fmt::format("flyway.toml has no environment '{}'", env_name))
          .At({file.string(), 0, 0})
          .WithHint(fmt::format("add an [environments.{}] table, or choose another with "
                                "--environment",
                                env_name));
    }
  } else {
    for (const auto& [k, node] : *env) {
      std::string key(k.str());
      if (key == "flyway" && node.is_table()) continue;
      std::string where = fmt::format("{}:{}", file.string(), node.source().begin.line);
      auto text = TomlText(node, getenv);
      if (!text || node.is_table()) {
        warnings.push_back(fmt::format("{}: environments.{}.{} is not supported by tide; ignored",
                                       where, env_name, key));
        continue;
      }
      props[key] = {*text, where, Layer::kFlywayToml};
    }
    // [environments.NAME.flyway] overrides [flyway] for that environment.
    if (const toml::table* over = (*env)["flyway"].as_table()) {
      AddTomlTable(*over, "", file, getenv, props, warnings);
    }
  }
  if (env) props["environment"] = {env_name, file.string(), Layer::kFlywayToml};
  return props;
}

FlywayProps ReadFlywayEnv(Getenv getenv, EnvNames names) {
  FlywayProps props;
  for (const char* key : kEnvKeys) {
    std::string var = "FLYWAY_" + UpperSnake(key);
    if (auto v = getenv(var.c_str())) props[key] = {*v, "env " + var, Layer::kFlywayEnv};
  }
  const std::string prefix = "FLYWAY_PLACEHOLDERS_";
  for (const auto& name : names()) {
    if (name.size() <= prefix.size() || name.rfind(prefix, 0) != 0) continue;
    if (auto v = getenv(name.c_str())) {
      props["placeholders." + ToLower(name.substr(prefix.size()))] = {*v, "env " + name,
                                                                      Layer::kFlywayEnv};
    }
  }
  return props;
}

Result<FlywayProps> ReadFlywayDefines(const std::vector<std::string>& defines,
                                      std::vector<std::string>& warnings) {
  FlywayProps props;
  for (const auto& d : defines) {
    size_t eq = d.find('=');
    if (eq == std::string::npos || eq == 0) {
      return Error::Usage(fmt::format("-D{}: expected -Dflyway.name=value", d));
    }
    std::string key = d.substr(0, eq);
    if (key.rfind("flyway.", 0) != 0) {
      warnings.push_back(fmt::format("-D{}: not a Flyway setting (flyway.*); ignored", key));
      continue;
    }
    props[WithoutPrefix(key)] = {d.substr(eq + 1), "flag -D" + key, Layer::kDefine};
  }
  return props;
}

void MergeProps(FlywayProps& into, const FlywayProps& from) {
  for (const auto& [key, value] : from) {
    auto it = into.find(key);
    if (it == into.end() || it->second.layer <= value.layer) into[key] = value;
  }
}

fs::path ResolveLocation(const std::string& text, const fs::path& base, bool bare_is_classpath) {
  std::string t(Trim(text));
  bool classpath = bare_is_classpath;
  if (t.rfind("filesystem:", 0) == 0) {
    t = t.substr(11);
    classpath = false;
  } else if (t.rfind("classpath:", 0) == 0) {
    t = t.substr(10);
    classpath = true;
  }
  fs::path p(t);
  if (classpath) {
    // Maven copies src/main/resources onto the classpath; that is where the files live.
    while (!t.empty() && t[0] == '/') t.erase(0, 1);
    p = fs::path("src/main/resources") / t;
  }
  if (p.is_relative() && !base.empty()) p = base / p;
  return p.lexically_normal();
}

}  // namespace tide::config
