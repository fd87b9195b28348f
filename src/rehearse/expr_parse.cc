// The lexer and a precedence-climbing parser for pgbench expressions. Precedence and
// associativity follow pgbench's exprparse.y (lowest first): OR; AND; NOT (right); IS ISNULL
// NOTNULL (non-associative); < > = <= >= <> != (non-associative); | # & << >> and prefix ~;
// + -; * / %; unary + - (right).

#include <fmt/format.h>

#include <cctype>
#include <cerrno>
#include <cstdlib>
#include <optional>

#include "base/strings.h"
#include "rehearse/expr.h"

namespace tide::rehearse {

namespace {

enum class Tok {
  kEnd,
  kInt,
  kMaxIntPlusOne,
  kDouble,
  kVariable,
  kWord,
  kOp,
  kLParen,
  kRParen,
  kComma
};

struct Token {
  Tok kind = Tok::kEnd;
  std::string text;  // operator, word (lower-cased) or variable name
  int64_t ival = 0;
  double dval = 0;
  int column = 0;  // 1-based within the line
};

bool IsAlpha(char c) {
  return std::isalpha(static_cast<unsigned char>(c)) || c == '_' ||
         static_cast<unsigned char>(c) >= 0x80;
}
bool IsAlnum(char c) { return IsAlpha(c) || std::isdigit(static_cast<unsigned char>(c)); }
bool IsDigit(char c) { return std::isdigit(static_cast<unsigned char>(c)); }

constexpr int kMaxArgs = 16;  // pgbench's limit

// Precedence levels; higher binds tighter.
enum Level { kOr = 1, kAnd, kNot, kIs, kCompare, kBitwise, kAdditive, kMultiplicative, kUnary };

struct FuncSpec {
  const char* name;
  Func func;
  int min_args;
  int max_args;  // -1: any number
};

constexpr FuncSpec kFunctions[] = {
    {"abs", Func::kAbs, 1, 1},
    {"debug", Func::kDebug, 1, 1},
    {"double", Func::kDouble, 1, 1},
    {"exp", Func::kExp, 1, 1},
    {"greatest", Func::kGreatest, 1, -1},
    {"hash", Func::kHashMurmur2, 1, 2},
    {"hash_fnv1a", Func::kHashFnv1a, 1, 2},
    {"hash_murmur2", Func::kHashMurmur2, 1, 2},
    {"int", Func::kInt, 1, 1},
    {"least", Func::kLeast, 1, -1},
    {"ln", Func::kLn, 1, 1},
    {"mod", Func::kMod, 2, 2},
    {"pi", Func::kPi, 0, 0},
    {"pow", Func::kPow, 2, 2},
    {"power", Func::kPow, 2, 2},
    {"random", Func::kRandom, 2, 2},
    {"random_exponential", Func::kRandomExponential, 3, 3},
    {"random_gaussian", Func::kRandomGaussian, 3, 3},
    {"random_zipfian", Func::kRandomZipfian, 3, 3},
    {"sqrt", Func::kSqrt, 1, 1},
};

class Parser {
 public:
  Parser(std::string_view text, const SourceLocation& where, const SlotOf& slot_of)
      : text_(text), where_(where), slot_of_(slot_of) {}

  Result<Expr> Run() {
    TIDE_TRY(Advance());
    if (tok_.kind == Tok::kEnd) return Fail("missing expression");
    TIDE_ASSIGN(Expr e, ParseLevel(kOr));
    if (tok_.kind != Tok::kEnd) return Fail(fmt::format("unexpected \"{}\"", TokText()));
    return e;
  }

 private:
  Error Fail(const std::string& message, int column = 0) const {
    SourceLocation at = where_;
    at.column = where_.column + (column ? column : tok_.column) - 1;
    return Error::Input("expression: " + message).At(at);
  }

  std::string TokText() const {
    return tok_.kind == Tok::kEnd
               ? "end of line"
               : std::string(text_.substr(static_cast<size_t>(tok_.column - 1),
                                          static_cast<size_t>(pos_ - (tok_.column - 1))));
  }

  Status LexNumber(size_t start) {
    size_t p = start;
    while (p < text_.size() && IsDigit(text_[p])) ++p;
    bool is_double = false;
    if (p < text_.size() && text_[p] == '.') {
      is_double = true;
      ++p;
      while (p < text_.size() && IsDigit(text_[p])) ++p;
    }
    if (p < text_.size() && (text_[p] == 'e' || text_[p] == 'E')) {
      size_t q = p + 1;
      if (q < text_.size() && (text_[q] == '+' || text_[q] == '-')) ++q;
      if (q < text_.size() && IsDigit(text_[q])) {
        is_double = true;
        p = q;
        while (p < text_.size() && IsDigit(text_[p])) ++p;
      }
    }
    std::string literal(text_.substr(start, p - start));
    pos_ = static_cast<int>(p);
    if (is_double) {
      tok_.kind = Tok::kDouble;
      tok_.dval = std::strtod(literal.c_str(), nullptr);
      return Ok();
    }
    if (literal == "9223372036854775808") {  // valid only after a unary minus
      tok_.kind = Tok::kMaxIntPlusOne;
      return Ok();
    }
    errno = 0;
    tok_.ival = std::strtoll(literal.c_str(), nullptr, 10);
    if (errno == ERANGE) return Fail("bigint constant overflow");
    tok_.kind = Tok::kInt;
    return Ok();
  }

  Status Advance() {
    size_t p = static_cast<size_t>(pos_);
    while (p < text_.size() && std::isspace(static_cast<unsigned char>(text_[p]))) ++p;
    tok_ = Token();
    tok_.column = static_cast<int>(p) + 1;
    pos_ = static_cast<int>(p);
    if (p >= text_.size()) return Ok();
    char c = text_[p];
    if (IsDigit(c) || (c == '.' && p + 1 < text_.size() && IsDigit(text_[p + 1]))) {
      return LexNumber(p);
    }
    if (c == ':') {
      size_t q = p + 1;
      while (q < text_.size() && IsAlnum(text_[q])) ++q;
      if (q == p + 1) return Fail("\":\" must be followed by a variable name");
      tok_.kind = Tok::kVariable;
      tok_.text = std::string(text_.substr(p + 1, q - p - 1));
      pos_ = static_cast<int>(q);
      return Ok();
    }
    if (IsAlpha(c)) {
      size_t q = p;
      while (q < text_.size() && IsAlnum(text_[q])) ++q;
      tok_.kind = Tok::kWord;
      tok_.text = ToLower(text_.substr(p, q - p));
      pos_ = static_cast<int>(q);
      return Ok();
    }
    static constexpr std::string_view kTwo[] = {"<=", ">=", "<>", "!=", "<<", ">>"};
    for (std::string_view op : kTwo) {
      if (text_.substr(p, 2) == op) {
        tok_.kind = Tok::kOp;
        tok_.text = std::string(op);
        pos_ = static_cast<int>(p + 2);
        return Ok();
      }
    }
    pos_ = static_cast<int>(p + 1);
    switch (c) {
      case '(':
        tok_.kind = Tok::kLParen;
        return Ok();
      case ')':
        tok_.kind = Tok::kRParen;
        return Ok();
      case ',':
        tok_.kind = Tok::kComma;
        return Ok();
      default:
        break;
    }
    if (std::string_view("+-*/%=<>~|#&").find(c) != std::string_view::npos) {
      tok_.kind = Tok::kOp;
      tok_.text = std::string(1, c);
      return Ok();
    }
    return Fail(fmt::format("unexpected character \"{}\"", c));
  }

  bool IsWord(std::string_view word) const { return tok_.kind == Tok::kWord && tok_.text == word; }

  // The level of the binary or postfix operator at the current token, 0 if it is none.
  int InfixLevel() const {
    if (tok_.kind == Tok::kWord) {
      if (tok_.text == "or") return kOr;
      if (tok_.text == "and") return kAnd;
      if (tok_.text == "is" || tok_.text == "isnull" || tok_.text == "notnull") return kIs;
      return 0;
    }
    if (tok_.kind != Tok::kOp) return 0;
    const std::string& t = tok_.text;
    if (t == "=" || t == "<" || t == ">" || t == "<=" || t == ">=" || t == "<>" || t == "!=") {
      return kCompare;
    }
    if (t == "|" || t == "#" || t == "&" || t == "<<" || t == ">>") return kBitwise;
    if (t == "+" || t == "-") return kAdditive;
    if (t == "*" || t == "/" || t == "%") return kMultiplicative;
    return 0;
  }

  static Expr Call(Func f, std::vector<Expr> args, int column) {
    Expr e;
    e.kind = Expr::Kind::kCall;
    e.func = f;
    e.args = std::move(args);
    e.column = column;
    return e;
  }
  static Expr Constant(Value v, int column) {
    Expr e;
    e.constant = v;
    e.column = column;
    return e;
  }

  Result<Expr> ParseLevel(int min_level) {
    TIDE_ASSIGN(Expr left, ParsePrefix());
    while (true) {
      int level = InfixLevel();
      if (level == 0 || level < min_level) return left;
      int column = tok_.column;
      if (level == kIs) {
        TIDE_ASSIGN(left, ParseIs(std::move(left)));
      } else {
        std::string op = tok_.text;
        TIDE_TRY(Advance());
        TIDE_ASSIGN(Expr right, ParseLevel(level + 1));
        left = MakeBinary(op, std::move(left), std::move(right), column);
      }
      // Comparisons and IS do not chain: "a < b < c" is an error, as in pgbench.
      if ((level == kCompare || level == kIs) && InfixLevel() == level) {
        return Fail(
            fmt::format("\"{}\" cannot follow a comparison without parentheses", TokText()));
      }
    }
  }

  static Expr MakeBinary(const std::string& op, Expr l, Expr r, int column) {
    if (op == "or") return Call(Func::kOr, {std::move(l), std::move(r)}, column);
    if (op == "and") return Call(Func::kAnd, {std::move(l), std::move(r)}, column);
    if (op == "=") return Call(Func::kEq, {std::move(l), std::move(r)}, column);
    if (op == "<>" || op == "!=") return Call(Func::kNe, {std::move(l), std::move(r)}, column);
    if (op == "<") return Call(Func::kLt, {std::move(l), std::move(r)}, column);
    if (op == "<=") return Call(Func::kLe, {std::move(l), std::move(r)}, column);
    if (op == ">") return Call(Func::kLt, {std::move(r), std::move(l)}, column);
    if (op == ">=") return Call(Func::kLe, {std::move(r), std::move(l)}, column);
    if (op == "|") return Call(Func::kBitOr, {std::move(l), std::move(r)}, column);
    if (op == "#") return Call(Func::kBitXor, {std::move(l), std::move(r)}, column);
    if (op == "&") return Call(Func::kBitAnd, {std::move(l), std::move(r)}, column);
    if (op == "<<") return Call(Func::kShiftLeft, {std::move(l), std::move(r)}, column);
    if (op == ">>") return Call(Func::kShiftRight, {std::move(l), std::move(r)}, column);
    if (op == "+") return Call(Func::kAdd, {std::move(l), std::move(r)}, column);
    if (op == "-") return Call(Func::kSub, {std::move(l), std::move(r)}, column);
    if (op == "*") return Call(Func::kMul, {std::move(l), std::move(r)}, column);
    if (op == "/") return Call(Func::kDiv, {std::move(l), std::move(r)}, column);
    return Call(Func::kMod, {std::move(l), std::move(r)}, column);
  }

  // x ISNULL, x NOTNULL, x IS [NOT] NULL|TRUE|FALSE.
  Result<Expr> ParseIs(Expr left) {
    int column = tok_.column;
    std::string word = tok_.text;
    TIDE_TRY(Advance());
    bool negate = word == "notnull";
    Value target = Value::Null();
    if (word == "is") {
      if (IsWord("not")) {
        negate = true;
        TIDE_TRY(Advance());
      }
      if (IsWord("null")) {
        target = Value::Null();
      } else if (IsWord("true") || IsWord("false")) {
        target = Value::Bool(tok_.text == "true");
      } else {
        return Fail("IS must be followed by [NOT] NULL, TRUE or FALSE");
      }
      TIDE_TRY(Advance());
    }
    Expr is = Call(Func::kIs, {std::move(left), Constant(target, column)}, column);
    if (!negate) return is;
    return Call(Func::kNot, {std::move(is)}, column);
  }

  Result<Expr> ParsePrefix() {
    int column = tok_.column;
    if (tok_.kind == Tok::kOp && (tok_.text == "-" || tok_.text == "+" || tok_.text == "~")) {
      std::string op = tok_.text;
      TIDE_TRY(Advance());
      if (op == "-" && tok_.kind == Tok::kMaxIntPlusOne) {
        TIDE_TRY(Advance());
        return Constant(Value::Int(INT64_MIN), column);
      }
      TIDE_ASSIGN(Expr operand, ParseLevel(op == "~" ? kAdditive : kUnary));
      if (op == "+") return operand;
      if (op == "-")
        return Call(Func::kSub, {Constant(Value::Int(0), column), std::move(operand)}, column);
      return Call(Func::kBitXor, {Constant(Value::Int(~int64_t{0}), column), std::move(operand)},
                  column);
    }
    if (IsWord("not")) {
      TIDE_TRY(Advance());
      TIDE_ASSIGN(Expr operand, ParseLevel(kNot));
      return Call(Func::kNot, {std::move(operand)}, column);
    }
    return ParsePrimary();
  }

  Result<Expr> ParsePrimary() {
    int column = tok_.column;
    switch (tok_.kind) {
      case Tok::kInt: {
        Expr e = Constant(Value::Int(tok_.ival), column);
        TIDE_TRY(Advance());
        return e;
      }
      case Tok::kDouble: {
        Expr e = Constant(Value::Double(tok_.dval), column);
        TIDE_TRY(Advance());
        return e;
      }
      case Tok::kMaxIntPlusOne:
        return Fail("bigint constant overflow");
      case Tok::kVariable: {
        Expr e;
        e.kind = Expr::Kind::kVariable;
        e.name = tok_.text;
        e.slot = slot_of_(e.name);
        e.column = column;
        TIDE_TRY(Advance());
        return e;
      }
      case Tok::kLParen: {
        TIDE_TRY(Advance());
        TIDE_ASSIGN(Expr inner, ParseLevel(kOr));
        if (tok_.kind != Tok::kRParen) return Fail("missing \")\"");
        TIDE_TRY(Advance());
        return inner;
      }
      case Tok::kWord:
        return ParseWord();
      case Tok::kEnd:
        return Fail("expression ends too early");
      default:
        return Fail(fmt::format("unexpected \"{}\"", TokText()));
    }
  }

  Result<Expr> ParseWord() {
    int column = tok_.column;
    std::string word = tok_.text;
    if (word == "null" || word == "true" || word == "false") {
      TIDE_TRY(Advance());
      if (word == "null") return Constant(Value::Null(), column);
      return Constant(Value::Bool(word == "true"), column);
    }
    if (word == "case") return ParseCase();
    TIDE_TRY(Advance());
    if (tok_.kind != Tok::kLParen) {
      return Fail(fmt::format("unexpected word \"{}\" (a function needs parentheses; a variable "
                              "is written :{})",
                              word, word),
                  column);
    }
    return ParseCall(word, column);
  }

  Result<Expr> ParseCall(const std::string& name, int column) {
    const FuncSpec* spec = nullptr;
    for (const FuncSpec& f : kFunctions) {
      if (name == f.name) spec = &f;
    }
    if (!spec) {
      if (name == "permute") {
        return Fail(
            "permute() is not supported by tide (its permutation depends on pgbench's "
            "own random generator)",
            column);
      }
      return Fail(fmt::format("unknown function \"{}\"", name), column);
    }
    TIDE_TRY(Advance());  // (
    std::vector<Expr> args;
    if (tok_.kind != Tok::kRParen) {
      while (true) {
        TIDE_ASSIGN(Expr arg, ParseLevel(kOr));
        args.push_back(std::move(arg));
        if (tok_.kind == Tok::kComma) {
          TIDE_TRY(Advance());
          continue;
        }
        break;
      }
    }
    if (tok_.kind != Tok::kRParen) return Fail("missing \")\" after the arguments");
    TIDE_TRY(Advance());
    int n = static_cast<int>(args.size());
    if (n > kMaxArgs)
      return Fail(fmt::format("{}() takes at most {} arguments", name, kMaxArgs), column);
    if (n < spec->min_args || (spec->max_args >= 0 && n > spec->max_args)) {
      return Fail(fmt::format("{}() takes {} arguments, not {}", name,
                              spec->min_args == spec->max_args ? std::to_string(spec->min_args)
                              : spec->max_args < 0
                                  ? fmt::format("at least {}", spec->min_args)
                                  : fmt::format("{} or {}", spec->min_args, spec->max_args),
                              n),
                  column);
    }
    if ((spec->func == Func::kHashMurmur2 || spec->func == Func::kHashFnv1a) && n == 1) {
      Expr seed;
      seed.kind = Expr::Kind::kVariable;
      seed.name = "default_seed";
      seed.slot = slot_of_(seed.name);
      seed.column = column;
      args.push_back(std::move(seed));
    }
    return Call(spec->func, std::move(args), column);
  }

  Result<Expr> ParseCase() {
    int column = tok_.column;
    TIDE_TRY(Advance());
    std::vector<Expr> args;
    while (IsWord("when")) {
      TIDE_TRY(Advance());
      TIDE_ASSIGN(Expr when, ParseLevel(kOr));
      if (!IsWord("then")) return Fail("CASE: WHEN ... must be followed by THEN");
      TIDE_TRY(Advance());
      TIDE_ASSIGN(Expr then, ParseLevel(kOr));
      args.push_back(std::move(when));
      args.push_back(std::move(then));
    }
    if (args.empty()) return Fail("CASE must be followed by WHEN");
    if (IsWord("else")) {
      TIDE_TRY(Advance());
      TIDE_ASSIGN(Expr otherwise, ParseLevel(kOr));
      args.push_back(std::move(otherwise));
    } else {
      args.push_back(Constant(Value::Null(), column));
    }
    if (!IsWord("end")) return Fail("CASE must end with END");
    TIDE_TRY(Advance());
    return Call(Func::kCase, std::move(args), column);
  }

  std::string_view text_;
  SourceLocation where_;
  const SlotOf& slot_of_;
  Token tok_;
  int pos_ = 0;  // byte offset of the next character to lex
};

}  // namespace

Result<Expr> ParseExpr(std::string_view text, const SourceLocation& where, const SlotOf& slot_of) {
  return Parser(text, where, slot_of).Run();
}

void ForEachVariable(const Expr& expr, const std::function<void(const Expr&)>& visit) {
  if (expr.kind == Expr::Kind::kVariable) visit(expr);
  for (const Expr& arg : expr.args) ForEachVariable(arg, visit);
}

}  // namespace tide::rehearse
