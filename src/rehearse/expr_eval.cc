// Evaluation of pgbench expressions with pgbench's rules: AND, OR and CASE are lazy; any other
// function given a NULL returns NULL (except IS and debug); arithmetic is integer unless an
// operand is a double (% is always integer); integer overflow is an error.

#include <fmt/format.h>

#include <cmath>
#include <cstdio>
#include <numbers>

#include "rehearse/expr.h"

namespace tide::rehearse {

namespace {

constexpr int kMaxArgs = 16;

Result<Value> EvalLazy(const Expr& e, const Variables& vars, Prng& rng) {
  if (e.func == Func::kCase) {
    size_t n = e.args.size();
    for (size_t i = 0; i + 1 < n; i += 2) {
      TIDE_ASSIGN(Value when, Eval(e.args[i], vars, rng));
      if (Truth(when)) return Eval(e.args[i + 1], vars, rng);
    }
    return Eval(e.args[n - 1], vars, rng);
  }
  // AND / OR: NULL on either side gives NULL, as pgbench does (not SQL's three-valued logic).
  TIDE_ASSIGN(Value a, Eval(e.args[0], vars, rng));
  if (a.type == ValueType::kNull) return Value::Null();
  TIDE_ASSIGN(bool ba, ToBool(a));
  if (e.func == Func::kAnd && !ba) return Value::Bool(false);
  if (e.func == Func::kOr && ba) return Value::Bool(true);
  TIDE_ASSIGN(Value b, Eval(e.args[1], vars, rng));
  if (b.type == ValueType::kNull) return Value::Null();
  TIDE_ASSIGN(bool bb, ToBool(b));
  return Value::Bool(bb);
}

Result<Value> DoubleArith(Func f, double l, double r) {
  switch (f) {
    case Func::kAdd:
      return Value::Double(l + r);
    case Func::kSub:
      return Value::Double(l - r);
    case Func::kMul:
      return Value::Double(l * r);
    case Func::kDiv:
      return Value::Double(l / r);
    case Func::kEq:
      return Value::Bool(l == r);
    case Func::kNe:
      return Value::Bool(l != r);
    case Func::kLe:
      return Value::Bool(l <= r);
    case Func::kLt:
      return Value::Bool(l < r);
    default:
      return Error::Internal("not a double operator");
  }
}

Result<Value> IntArith(Func f, int64_t l, int64_t r) {
  int64_t out = 0;
  switch (f) {
    case Func::kAdd:
      if (__builtin_add_overflow(l, r, &out)) return Error::Failed("bigint add out of range");
      return Value::Int(out);
    case Func::kSub:
      if (__builtin_sub_overflow(l, r, &out)) return Error::Failed("bigint sub out of range");
      return Value::Int(out);
    case Func::kMul:
      if (__builtin_mul_overflow(l, r, &out)) return Error::Failed("bigint mul out of range");
      return Value::Int(out);
    case Func::kEq:
      return Value::Bool(l == r);
    case Func::kNe:
      return Value::Bool(l != r);
    case Func::kLe:
      return Value::Bool(l <= r);
    case Func::kLt:
      return Value::Bool(l < r);
    case Func::kDiv:
    case Func::kMod:
      if (r == 0) return Error::Failed("division by zero");
      if (r == -1) {
        if (f == Func::kMod) return Value::Int(0);
        if (l == INT64_MIN) return Error::Failed("bigint div out of range");
        return Value::Int(-l);
      }
      return Value::Int(f == Func::kDiv ? l / r : l % r);
    default:
      return Error::Internal("not an integer operator");
  }
}

Result<Value> Arith(Func f, const Value& l, const Value& r) {
  if ((l.type == ValueType::kDouble || r.type == ValueType::kDouble) && f != Func::kMod) {
    TIDE_ASSIGN(double ld, ToDouble(l));
    TIDE_ASSIGN(double rd, ToDouble(r));
    return DoubleArith(f, ld, rd);
  }
  TIDE_ASSIGN(int64_t li, ToInt(l));
  TIDE_ASSIGN(int64_t ri, ToInt(r));
  return IntArith(f, li, ri);
}

Result<Value> Bitwise(Func f, const Value& l, const Value& r) {
  TIDE_ASSIGN(int64_t li, ToInt(l));
  TIDE_ASSIGN(int64_t ri, ToInt(r));
  switch (f) {
    case Func::kBitAnd:
      return Value::Int(li & ri);
    case Func::kBitOr:
      return Value::Int(li | ri);
    case Func::kBitXor:
      return Value::Int(li ^ ri);
    default:
      break;
  }
  // C leaves shifts by 64 or more undefined; pgbench inherits that, tide refuses them.
  if (ri < 0 || ri > 63) return Error::Failed(fmt::format("shift by {} is out of range", ri));
  if (f == Func::kShiftLeft) {
    return Value::Int(static_cast<int64_t>(static_cast<uint64_t>(li) << ri));
  }
  return Value::Int(li >> ri);
}

Result<Value> Extremum(Func f, const Value* args, int n) {
  bool any_double = false;
  for (int i = 0; i < n; ++i) any_double |= args[i].type == ValueType::kDouble;
  if (any_double) {
    TIDE_ASSIGN(double best, ToDouble(args[0]));
    for (int i = 1; i < n; ++i) {
      TIDE_ASSIGN(double v, ToDouble(args[i]));
      best = f == Func::kLeast ? std::min(best, v) : std::max(best, v);
    }
    return Value::Double(best);
  }
  TIDE_ASSIGN(int64_t best, ToInt(args[0]));
  for (int i = 1; i < n; ++i) {
    TIDE_ASSIGN(int64_t v, ToInt(args[i]));
    best = f == Func::kLeast ? std::min(best, v) : std::max(best, v);
  }
  return Value::Int(best);
}

Result<Value> Random(Func f, const Value* args, Prng& rng) {
  TIDE_ASSIGN(int64_t lb, ToInt(args[0]));
  TIDE_ASSIGN(int64_t ub, ToInt(args[1]));
  if (lb > ub) return Error::Failed("empty range given to random");
  int64_t delta = 0;
  if (__builtin_sub_overflow(ub, lb, &delta) || __builtin_add_overflow(delta, 1, &delta)) {
    return Error::Failed("random range is too large");
  }
  if (f == Func::kRandom) return Value::Int(RandomUniform(rng, lb, ub));
  TIDE_ASSIGN(double param, ToDouble(args[2]));
  if (f == Func::kRandomGaussian) {
    if (param < kMinGaussianParameter) {
      return Error::Failed(fmt::format("gaussian parameter must be at least {:f} (not {:f})",
                                       kMinGaussianParameter, param));
    }
    return Value::Int(RandomGaussian(rng, lb, ub, param));
  }
  if (f == Func::kRandomZipfian) {
    if (param < kMinZipfianParameter || param > kMaxZipfianParameter) {
      return Error::Failed(
          fmt::format("zipfian parameter must be in range [{:.3f}, {:.0f}] "
                      "(not {:f})",
                      kMinZipfianParameter, kMaxZipfianParameter, param));
    }
    return Value::Int(RandomZipfian(rng, lb, ub, param));
  }
  if (param <= 0.0) {
    return Error::Failed(
        fmt::format("exponential parameter must be greater than zero (not {:f})", param));
  }
  return Value::Int(RandomExponential(rng, lb, ub, param));
}

Result<Value> Math(Func f, const Value& v) {
  TIDE_ASSIGN(double d, ToDouble(v));
  switch (f) {
    case Func::kSqrt:
      return Value::Double(std::sqrt(d));
    case Func::kLn:
      return Value::Double(std::log(d));
    case Func::kExp:
      return Value::Double(std::exp(d));
    default:
      return Value::Double(d);  // double()
  }
}

// Long by design: one case per built-in function of pgbench's expression language.
Result<Value> Standard(const Expr& e, const Value* args, int n, Prng& rng) {
  switch (e.func) {
    case Func::kAdd:
    case Func::kSub:
    case Func::kMul:
    case Func::kDiv:
    case Func::kMod:
    case Func::kEq:
    case Func::kNe:
    case Func::kLe:
    case Func::kLt:
      return Arith(e.func, args[0], args[1]);
    case Func::kBitAnd:
    case Func::kBitOr:
    case Func::kBitXor:
    case Func::kShiftLeft:
    case Func::kShiftRight:
      return Bitwise(e.func, args[0], args[1]);
    case Func::kNot: {
      TIDE_ASSIGN(bool b, ToBool(args[0]));
      return Value::Bool(!b);
    }
    case Func::kIs:
      return Value::Bool(args[0] == args[1]);
    case Func::kPi:
      return Value::Double(std::numbers::pi);
    case Func::kAbs:
      if (args[0].type == ValueType::kInt) {
        if (args[0].i == INT64_MIN) return Error::Failed("bigint out of range");
        return Value::Int(args[0].i < 0 ? -args[0].i : args[0].i);
      }
      if (args[0].type == ValueType::kDouble) return Value::Double(std::fabs(args[0].d));
      return Error::Failed(fmt::format("cannot apply abs to {}", TypeName(args[0].type)));
    case Func::kDebug:
      std::fprintf(stderr, "debug: %s %s\n", TypeName(args[0].type), FormatValue(args[0]).c_str());
      return args[0];
    case Func::kSqrt:
    case Func::kLn:
    case Func::kExp:
    case Func::kDouble:
      return Math(e.func, args[0]);
    case Func::kInt: {
      TIDE_ASSIGN(int64_t i, ToInt(args[0]));
      return Value::Int(i);
    }
    case Func::kLeast:
    case Func::kGreatest:
      return Extremum(e.func, args, n);
    case Func::kPow: {
      TIDE_ASSIGN(double l, ToDouble(args[0]));
      TIDE_ASSIGN(double r, ToDouble(args[1]));
      return Value::Double(std::pow(l, r));
    }
    case Func::kRandom:
    case Func::kRandomExponential:
    case Func::kRandomGaussian:
    case Func::kRandomZipfian:
      return Random(e.func, args, rng);
    case Func::kHashMurmur2:
    case Func::kHashFnv1a: {
      TIDE_ASSIGN(int64_t v, ToInt(args[0]));
      TIDE_ASSIGN(int64_t seed, ToInt(args[1]));
      uint64_t s = static_cast<uint64_t>(seed);
      return Value::Int(e.func == Func::kHashMurmur2 ? HashMurmur2(v, s) : HashFnv1a(v, s));
    }
    default:
      return Error::Internal("unexpected function in an expression");
  }
}

}  // namespace

Result<Value> Eval(const Expr& e, const Variables& vars, Prng& rng) {
  switch (e.kind) {
    case Expr::Kind::kConstant:
      return e.constant;
    case Expr::Kind::kVariable: {
      size_t slot = static_cast<size_t>(e.slot);
      if (e.slot < 0 || slot >= vars.defined.size() || !vars.defined[slot]) {
        return Error::Failed(fmt::format("undefined variable \"{}\"", e.name));
      }
      return vars.values[slot];
    }
    case Expr::Kind::kCall:
      break;
  }
  if (e.func == Func::kAnd || e.func == Func::kOr || e.func == Func::kCase) {
    return EvalLazy(e, vars, rng);
  }
  int n = static_cast<int>(e.args.size());
  if (n > kMaxArgs) return Error::Failed(fmt::format("more than {} arguments", kMaxArgs));
  Value args[kMaxArgs];
  bool has_null = false;
  for (int i = 0; i < n; ++i) {
    TIDE_ASSIGN(args[i], Eval(e.args[static_cast<size_t>(i)], vars, rng));
    has_null |= args[i].type == ValueType::kNull;
  }
  if (has_null && e.func != Func::kIs && e.func != Func::kDebug) return Value::Null();
  return Standard(e, args, n, rng);
}

}  // namespace tide::rehearse
