#include "sql/json_reader.h"

#include <cstdint>
#include <cstdlib>
#include <limits>
#include <string>

namespace tide::sql {

namespace {

using Json = nlohmann::json;

class Reader {
 public:
  explicit Reader(std::string_view text) : p_(text.data()), end_(text.data() + text.size()) {}

  bool Document(Json& out) {
    if (!Value(out, 0)) return false;
    Blanks();
    return p_ == end_;
  }

 private:
  static constexpr int kMaxDepth = kMaxJsonDepth;

  void Blanks() {
    while (p_ < end_ && (*p_ == ' ' || *p_ == '\n' || *p_ == '\t' || *p_ == '\r')) ++p_;
  }

  bool Literal(std::string_view word) {
    if (static_cast<size_t>(end_ - p_) < word.size() || std::string_view(p_, word.size()) != word) {
      return false;
    }
    p_ += word.size();
    return true;
  }

  bool Value(Json& out, int depth) {
    Blanks();
    if (p_ >= end_ || depth > kMaxDepth) return false;
    switch (*p_) {
      case '{':
        return Object(out, depth);
      case '[':
        return Array(out, depth);
      case '"': {
        std::string s;
        if (!String(s)) return false;
        out = std::move(s);
        return true;
      }
      case 't':
        out = true;
        return Literal("true");
      case 'f':
        out = false;
        return Literal("false");
      case 'n':
        out = nullptr;
        return Literal("null");
      default:
        return Number(out);
    }
  }

  bool Object(Json& out, int depth) {
    ++p_;
    out = Json::object();
    auto& object = *out.get_ptr<Json::object_t*>();
    Blanks();
    if (p_ < end_ && *p_ == '}') {
      ++p_;
      return true;
    }
    while (true) {
      Blanks();
      std::string key;
      if (p_ >= end_ || *p_ != '"' || !String(key)) return false;
      Blanks();
      if (p_ >= end_ || *p_ != ':') return false;
      ++p_;
      Json value;
      if (!Value(value, depth + 1)) return false;
      auto [it, inserted] = object.emplace(std::move(key), Json());
      it->second = std::move(value);  // a repeated key keeps the last value, as nlohmann does
      (void)inserted;
      Blanks();
      if (p_ >= end_) return false;
      if (*p_ == ',') {
        ++p_;
        continue;
      }
      if (*p_ != '}') return false;
      ++p_;
      return true;
    }
  }

  bool Array(Json& out, int depth) {
    ++p_;
    out = Json::array();
    auto& array = *out.get_ptr<Json::array_t*>();
    // Parse-tree lists are short: one allocation for up to four instead of three growths.
    array.reserve(4);
    Blanks();
    if (p_ < end_ && *p_ == ']') {
      ++p_;
      return true;
    }
    while (true) {
      array.emplace_back();
      if (!Value(array.back(), depth + 1)) return false;
      Blanks();
      if (p_ >= end_) return false;
      if (*p_ == ',') {
        ++p_;
        continue;
      }
      if (*p_ != ']') return false;
      ++p_;
      return true;
    }
  }

  static int Hex(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  }

  bool Hex4(uint32_t& v) {
    if (end_ - p_ < 4) return false;
    v = 0;
    for (int i = 0; i < 4; ++i) {
      int h = Hex(p_[i]);
      if (h < 0) return false;
      v = v * 16 + static_cast<uint32_t>(h);
    }
    p_ += 4;
    return true;
  }

  static void Utf8(uint32_t cp, std::string& out) {
    if (cp < 0x80) {
      out += static_cast<char>(cp);
    } else if (cp < 0x800) {
      out += static_cast<char>(0xC0 | (cp >> 6));
      out += static_cast<char>(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
      out += static_cast<char>(0xE0 | (cp >> 12));
      out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
      out += static_cast<char>(0x80 | (cp & 0x3F));
    } else {
      out += static_cast<char>(0xF0 | (cp >> 18));
      out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
      out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
      out += static_cast<char>(0x80 | (cp & 0x3F));
    }
  }

  bool Escape(std::string& out) {
    if (p_ >= end_) return false;
    char c = *p_++;
    switch (c) {
      case '"':
        out += '"';
        return true;
      case '\\':
        out += '\\';
        return true;
      case '/':
        out += '/';
        return true;
      case 'b':
        out += '\b';
        return true;
      case 'f':
        out += '\f';
        return true;
      case 'n':
        out += '\n';
        return true;
      case 'r':
        out += '\r';
        return true;
      case 't':
        out += '\t';
        return true;
      case 'u': {
        uint32_t cp;
        if (!Hex4(cp)) return false;
        if (cp >= 0xD800 && cp <= 0xDBFF) {  // a surrogate pair
          uint32_t low;
          if (end_ - p_ < 2 || p_[0] != '\\' || p_[1] != 'u') return false;
          p_ += 2;
          if (!Hex4(low) || low < 0xDC00 || low > 0xDFFF) return false;
          cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
        } else if (cp >= 0xDC00 && cp <= 0xDFFF) {
          return false;
        }
        Utf8(cp, out);
        return true;
      }
      default:
        return false;
    }
  }

  bool String(std::string& out) {
    ++p_;  // the opening quote
    const char* run = p_;
    while (p_ < end_) {
      char c = *p_;
      if (c == '"') {
        out.append(run, p_);
        ++p_;
        return true;
      }
      if (static_cast<unsigned char>(c) < 0x20) return false;
      if (c == '\\') {
        out.append(run, p_);
        ++p_;
        if (!Escape(out)) return false;
        run = p_;
        continue;
      }
      ++p_;
    }
    return false;
  }

  bool Number(Json& out) {
    const char* start = p_;
    bool negative = p_ < end_ && *p_ == '-';
    if (negative) ++p_;
    if (p_ >= end_ || *p_ < '0' || *p_ > '9') return false;
    if (*p_ == '0' && p_ + 1 < end_ && p_[1] >= '0' && p_[1] <= '9') return false;
    uint64_t magnitude = 0;
    bool overflow = false;
    while (p_ < end_ && *p_ >= '0' && *p_ <= '9') {
      uint64_t digit = static_cast<uint64_t>(*p_ - '0');
      if (magnitude > (std::numeric_limits<uint64_t>::max() - digit) / 10) overflow = true;
      magnitude = magnitude * 10 + digit;
      ++p_;
    }
    bool fraction = p_ < end_ && (*p_ == '.' || *p_ == 'e' || *p_ == 'E');
    uint64_t most_negative = static_cast<uint64_t>(std::numeric_limits<int64_t>::max()) + 1;
    if (!fraction && !overflow && !(negative && magnitude > most_negative)) {
      if (negative) {
        out = magnitude == most_negative ? std::numeric_limits<int64_t>::min()
                                         : -static_cast<int64_t>(magnitude);
      } else {
        out = magnitude;
      }
      return true;
    }
    // Fractions, exponents and integers too large for 64 bits become doubles, as in nlohmann.
    if (p_ < end_ && *p_ == '.') {
      ++p_;
      if (p_ >= end_ || *p_ < '0' || *p_ > '9') return false;
      while (p_ < end_ && *p_ >= '0' && *p_ <= '9') ++p_;
    }
    if (p_ < end_ && (*p_ == 'e' || *p_ == 'E')) {
      ++p_;
      if (p_ < end_ && (*p_ == '+' || *p_ == '-')) ++p_;
      if (p_ >= end_ || *p_ < '0' || *p_ > '9') return false;
      while (p_ < end_ && *p_ >= '0' && *p_ <= '9') ++p_;
    }
    out = std::strtod(std::string(start, p_).c_str(), nullptr);
    return true;
  }

  const char* p_;
  const char* end_;
};

}  // namespace

std::optional<nlohmann::json> ReadJson(std::string_view text) {
  Json out;
  Reader reader(text);
  if (!reader.Document(out)) return std::nullopt;
  return out;
}

}  // namespace tide::sql
