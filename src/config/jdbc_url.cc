#include "config/jdbc_url.h"

#include <fmt/format.h>

#include <cctype>
#include <map>

#include "base/strings.h"

namespace tide::config {

namespace {

// pgjdbc decodes URL parts with java.net.URLDecoder: %XX and '+' as a space.
Result<std::string> UrlDecode(std::string_view text, const std::string& what) {
  std::string out;
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (c == '+') {
      out += ' ';
    } else if (c == '%') {
      if (i + 2 >= text.size() || !std::isxdigit(static_cast<unsigned char>(text[i + 1])) ||
          !std::isxdigit(static_cast<unsigned char>(text[i + 2]))) {
        return Error::Input(fmt::format("the JDBC URL has a bad %-escape in its {}", what));
      }
      out += static_cast<char>(std::stoi(std::string(text.substr(i + 1, 2)), nullptr, 16));
      i += 2;
    } else {
      out += c;
    }
  }
  return out;
}

// pgjdbc's targetServerType values in libpq's target_session_attrs words.
std::optional<std::string> SessionAttrs(const std::string& v) {
  if (v == "any") return "any";
  if (v == "primary" || v == "master") return "primary";
  if (v == "secondary" || v == "slave") return "standby";
  if (v == "preferSecondary" || v == "preferSlave") return "prefer-standby";
  return std::nullopt;
}

// Driver tuning knobs with no meaning for libpq: named, then ignored.
bool IsDriverTuning(const std::string& key) {
  static const char* kTuning[] = {"prepareThreshold",
                                  "preparedStatementCacheQueries",
                                  "preparedStatementCacheSizeMiB",
                                  "defaultRowFetchSize",
                                  "reWriteBatchedInserts",
                                  "stringtype",
                                  "socketTimeout",
                                  "loggerLevel",
                                  "loggerFile",
                                  "binaryTransfer",
                                  "sslfactory",
                                  "sslfactoryarg",
                                  "sslhostnameverifier",
                                  "readOnly",
                                  "autosave",
                                  "cancelSignalTimeout"};
  for (const char* k : kTuning) {
    if (key == k) return true;
  }
  return false;
}

struct Parsed {
  std::string hosts;  // "h1,h2" for libpq's multi-host form
  std::string ports;
  std::string dbname;
  std::vector<std::pair<std::string, std::string>> properties;  // in URL order
};

Result<Parsed> Parse(const std::string& url) {
  const std::string prefix = "jdbc:postgresql:";
  if (url.rfind(prefix, 0) != 0) {
    std::string scheme = url.substr(0, url.find(':', url.find(':') + 1));
    if (url.rfind("jdbc:", 0) == 0) {
      return Error::Input(
          fmt::format("'{}' URLs are not PostgreSQL; tide migrates PostgreSQL only", scheme));
    }
    return Error::Input("flyway.url must be a JDBC URL (jdbc:postgresql://host:port/database)");
  }
  Parsed p;
  std::string rest = url.substr(prefix.size());
  std::string query;
  if (size_t q = rest.find('?'); q != std::string::npos) {
    query = rest.substr(q + 1);
    rest = rest.substr(0, q);
  }
  if (rest.rfind("//", 0) == 0) {
    rest = rest.substr(2);
    size_t slash = rest.find('/');
    std::string authority = rest.substr(0, slash);
    TIDE_ASSIGN(p.dbname, UrlDecode(slash == std::string::npos ? "" : rest.substr(slash + 1),
                                    "database name"));
    std::vector<std::string> hosts, ports;
    for (const auto& hp : Split(authority, ',')) {
      std::string host = hp, port;
      if (!hp.empty() && hp[0] == '[') {  // [::1]:5432
        size_t close = hp.find(']');
        if (close == std::string::npos) return Error::Input("the JDBC URL has an unclosed '['");
        host = hp.substr(1, close - 1);
        if (close + 1 < hp.size() && hp[close + 1] == ':') port = hp.substr(close + 2);
      } else if (size_t colon = hp.rfind(':'); colon != std::string::npos) {
        host = hp.substr(0, colon);
        port = hp.substr(colon + 1);
      }
      for (char c : port) {
        if (!std::isdigit(static_cast<unsigned char>(c))) {
          return Error::Input(fmt::format("the JDBC URL's port '{}' is not a number", port));
        }
      }
      hosts.push_back(host.empty() ? "localhost" : host);
      ports.push_back(port.empty() ? "5432" : port);
    }
    if (!authority.empty()) {
      p.hosts = Join(hosts, ",");
      p.ports = Join(ports, ",");
    }
  } else {
    // jdbc:postgresql:database means localhost:5432.
    TIDE_ASSIGN(p.dbname,
                UrlDecode(rest.rfind('/', 0) == 0 ? rest.substr(1) : rest, "database name"));
    p.hosts = "localhost";
    p.ports = "5432";
  }
  for (const auto& pair : Split(query, '&')) {
    if (pair.empty()) continue;
    size_t eq = pair.find('=');
    TIDE_ASSIGN(std::string key, UrlDecode(pair.substr(0, eq), "property names"));
    std::string raw = eq == std::string::npos ? "" : pair.substr(eq + 1);
    TIDE_ASSIGN(std::string value, UrlDecode(raw, "property " + key));
    p.properties.emplace_back(key, value);
  }
  return p;
}

}  // namespace

std::string QuoteConninfoValue(const std::string& value) {
  std::string out = "'";
  for (char c : value) {
    if (c == '\'' || c == '\\') out += '\\';
    out += c;
  }
  return out + "'";
}

namespace {

// What the URL's properties say, in libpq's words.
struct Mapped {
  std::map<std::string, std::string> kv;  // libpq keyword -> value
  std::optional<bool> ssl;
  std::vector<std::string> options;  // server options, joined into options=
  std::vector<std::string> warnings;
};

void MapProperty(const std::string& key, const std::string& value, Mapped& m) {
  static const std::map<std::string, std::string> kSame = {{"user", "user"},
                                                           {"password", "password"},
                                                           {"sslmode", "sslmode"},
                                                           {"sslcert", "sslcert"},
                                                           {"sslkey", "sslkey"},
                                                           {"sslrootcert", "sslrootcert"},
                                                           {"sslpassword", "sslpassword"},
                                                           {"ApplicationName", "application_name"},
                                                           {"connectTimeout", "connect_timeout"},
                                                           {"gssEncMode", "gssencmode"},
                                                           {"channelBinding", "channel_binding"},
                                                           {"kerberosServerName", "krbsrvname"},
                                                           {"service", "service"}};
  if (auto it = kSame.find(key); it != kSame.end()) {
    m.kv[it->second] = value;
  } else if (key == "ssl") {
    m.ssl = value.empty() || value == "true";
  } else if (key == "loginTimeout") {
    if (!m.kv.count("connect_timeout")) m.kv["connect_timeout"] = value;
  } else if (key == "options") {
    m.options.push_back(value);
  } else if (key == "currentSchema") {
    // pgjdbc sets search_path to it; so does this server option.
    m.options.push_back("-c search_path=" +
                        ReplaceAll(ReplaceAll(value, "\\", "\\\\"), " ", "\\ "));
  } else if (key == "targetServerType") {
    if (auto attrs = SessionAttrs(value)) {
      m.kv["target_session_attrs"] = *attrs;
    } else {
      m.warnings.push_back(
          fmt::format("JDBC property targetServerType={} has no libpq equivalent; ignored", value));
    }
  } else if (key == "tcpKeepAlive") {
    m.kv["keepalives"] = value == "true" ? "1" : "0";
  } else if (IsDriverTuning(key)) {
    m.warnings.push_back(fmt::format(
        "JDBC property {} tunes the Java driver and means nothing to libpq; ignored", key));
  } else {
    m.warnings.push_back(fmt::format("JDBC property {} is not supported by tide; ignored", key));
  }
}

}  // namespace

Result<JdbcConversion> JdbcToConninfo(const std::string& jdbc_url,
                                      const std::optional<std::string>& user,
                                      const std::optional<std::string>& password) {
  TIDE_ASSIGN(Parsed p, Parse(jdbc_url));
  Mapped m;
  if (!p.hosts.empty()) m.kv["host"] = p.hosts;
  if (!p.ports.empty()) m.kv["port"] = p.ports;
  if (!p.dbname.empty()) m.kv["dbname"] = p.dbname;
  for (const auto& [key, value] : p.properties) MapProperty(key, value, m);
  auto& kv = m.kv;
  // pgjdbc: ssl=true without sslmode verifies the certificate and the host name.
  if (m.ssl && !kv.count("sslmode")) kv["sslmode"] = *m.ssl ? "verify-full" : "disable";
  if (!m.options.empty()) kv["options"] = Join(m.options, " ");
  if (user && !kv.count("user")) kv["user"] = *user;
  if (password && !kv.count("password")) kv["password"] = *password;
  JdbcConversion out;
  out.warnings = std::move(m.warnings);
  for (const char* key : {"host", "port", "dbname", "user", "password"}) {
    if (auto it = kv.find(key); it != kv.end()) {
      if (!out.conninfo.empty()) out.conninfo += ' ';
      out.conninfo += std::string(key) + "=" + QuoteConninfoValue(it->second);
      kv.erase(it);
    }
  }
  for (const auto& [key, value] : kv) {
    if (!out.conninfo.empty()) out.conninfo += ' ';
    out.conninfo += key + "=" + QuoteConninfoValue(value);
  }
  return out;
}

}  // namespace tide::config
