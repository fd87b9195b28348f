#include "rehearse/expr.h"

#include <gtest/gtest.h>

#include <map>

namespace tide::rehearse {
namespace {

// Evaluates text with variables given as values; slots are numbered as names appear.
class ExprTest : public ::testing::Test {
 protected:
  Result<Value> Run(const std::string& text) {
    std::vector<std::string> names;
    SlotOf slot_of = [&](const std::string& name) {
      for (size_t i = 0; i < names.size(); ++i) {
        if (names[i] == name) return static_cast<int>(i);
      }
      names.push_back(name);
      return static_cast<int>(names.size() - 1);
    };
    auto expr = ParseExpr(text, {"t.sql", 3, 10}, slot_of);
    if (!expr.ok()) return expr.error();
    Variables vars;
    for (const std::string& name : names) {
      auto it = given.find(name);
      vars.values.push_back(it == given.end() ? Value::Null() : it->second);
      vars.defined.push_back(it != given.end());
    }
    return Eval(*expr, vars, rng);
  }
  Value Ok(const std::string& text) {
    auto v = Run(text);
    EXPECT_TRUE(v.ok()) << text << ": " << v.error().ToString();
    return v.ok() ? *v : Value::Null();
  }
  std::string Fails(const std::string& text) {
    auto v = Run(text);
    EXPECT_FALSE(v.ok()) << text << " gave " << FormatValue(*v);
    return v.ok() ? "" : v.error().ToString();
  }
  std::map<std::string, Value> given;
  Prng rng{42};
};

TEST_F(ExprTest, IntegerArithmeticAndPrecedence) {
  EXPECT_EQ(Ok("1 + 2 * 3"), Value::Int(7));
  EXPECT_EQ(Ok("(1 + 2) * 3"), Value::Int(9));
  EXPECT_EQ(Ok("7 / 2"), Value::Int(3));
  EXPECT_EQ(Ok("-7 / 2"), Value::Int(-3));  // truncates toward zero, as C
  EXPECT_EQ(Ok("-7 % 3"), Value::Int(-1));
  EXPECT_EQ(Ok("10 - 4 - 3"), Value::Int(3));  // left-associative
  EXPECT_EQ(Ok("- 3 * 2"), Value::Int(-6));
  EXPECT_EQ(Ok("+5"), Value::Int(5));
  EXPECT_EQ(Ok("--5"), Value::Int(5));
  EXPECT_EQ(Ok("-9223372036854775808"), Value::Int(INT64_MIN));
  EXPECT_EQ(Ok("mod(10, 4)"), Value::Int(2));
}

TEST_F(ExprTest, DoubleArithmetic) {
  EXPECT_EQ(Ok("1.5 * 2"), Value::Double(3.0));
  EXPECT_EQ(Ok("7 / 2.0"), Value::Double(3.5));
  EXPECT_EQ(Ok("1e3"), Value::Double(1000.0));
  EXPECT_EQ(Ok(".5 + 1"), Value::Double(1.5));
  EXPECT_EQ(Ok("7.5 % 2"), Value::Int(0));  // % is integer: 7.5 rounds to 8
  EXPECT_EQ(Ok("int(3.7)"), Value::Int(4));
  EXPECT_EQ(Ok("int(-2.5)"), Value::Int(-2));  // rint: half to even
  EXPECT_EQ(Ok("double(3)"), Value::Double(3.0));
  EXPECT_EQ(Ok("sqrt(16)"), Value::Double(4.0));
  EXPECT_EQ(Ok("pow(2, 10)"), Value::Double(1024.0));
  EXPECT_EQ(Ok("power(2, 0.5) * power(2, 0.5) > 1.99"), Value::Bool(true));
  EXPECT_NEAR(Ok("pi()").d, 3.14159265, 1e-8);
  EXPECT_NEAR(Ok("ln(exp(2))").d, 2.0, 1e-12);
}

TEST_F(ExprTest, AbsLeastGreatest) {
  EXPECT_EQ(Ok("abs(-5)"), Value::Int(5));
  EXPECT_EQ(Ok("abs(-2.5)"), Value::Double(2.5));
  EXPECT_EQ(Ok("least(5, 3, 9)"), Value::Int(3));
  EXPECT_EQ(Ok("greatest(5, 3, 9)"), Value::Int(9));
  EXPECT_EQ(Ok("greatest(1, 2.5)"), Value::Double(2.5));
  EXPECT_EQ(Ok("least(7)"), Value::Int(7));
}

TEST_F(ExprTest, ComparisonsAndBooleans) {
  EXPECT_EQ(Ok("1 < 2"), Value::Bool(true));
  EXPECT_EQ(Ok("2 <= 2 AND 3 >= 4"), Value::Bool(false));
  EXPECT_EQ(Ok("1 = 1 OR 1 / 0 = 1"), Value::Bool(true));  // OR is lazy
  EXPECT_EQ(Ok("1 <> 2"), Value::Bool(true));
  EXPECT_EQ(Ok("1 != 1"), Value::Bool(false));
  EXPECT_EQ(Ok("NOT 1 > 2"), Value::Bool(true));  // NOT binds looser than comparison
  EXPECT_EQ(Ok("true and not false"), Value::Bool(true));
  EXPECT_EQ(Ok("1.5 > 1"), Value::Bool(true));
}

TEST_F(ExprTest, NullsAndIs) {
  EXPECT_EQ(Ok("null + 1"), Value::Null());
  EXPECT_EQ(Ok("null IS NULL"), Value::Bool(true));
  EXPECT_EQ(Ok("1 IS NULL"), Value::Bool(false));
  EXPECT_EQ(Ok("1 IS NOT NULL"), Value::Bool(true));
  EXPECT_EQ(Ok("1 ISNULL"), Value::Bool(false));
  EXPECT_EQ(Ok("1 NOTNULL"), Value::Bool(true));
  EXPECT_EQ(Ok("(1 < 2) IS TRUE"), Value::Bool(true));
  EXPECT_EQ(Ok("(1 < 2) IS NOT FALSE"), Value::Bool(true));
  EXPECT_EQ(Ok("null AND true"), Value::Null());
}

TEST_F(ExprTest, BitwiseOperators) {
  EXPECT_EQ(Ok("6 & 3"), Value::Int(2));
  EXPECT_EQ(Ok("6 | 3"), Value::Int(7));
  EXPECT_EQ(Ok("6 # 3"), Value::Int(5));
  EXPECT_EQ(Ok("1 << 4"), Value::Int(16));
  EXPECT_EQ(Ok("256 >> 4"), Value::Int(16));
  EXPECT_EQ(Ok("~0"), Value::Int(-1));
  EXPECT_EQ(Ok("1 + 1 << 2"), Value::Int(8));  // + binds tighter than <<
}

TEST_F(ExprTest, CaseWhen) {
  EXPECT_EQ(Ok("CASE WHEN 1 > 2 THEN 10 WHEN 2 > 1 THEN 20 ELSE 30 END"), Value::Int(20));
  EXPECT_EQ(Ok("case when false then 1 end"), Value::Null());
  EXPECT_EQ(Ok("CASE WHEN 0 THEN 1 ELSE 2 END"), Value::Int(2));  // 0 is false
}

TEST_F(ExprTest, Variables) {
  given["rows"] = Value::Int(1000);
  given["ratio"] = Value::Double(0.5);
  EXPECT_EQ(Ok(":rows * 2"), Value::Int(2000));
  EXPECT_EQ(Ok(":rows * :ratio"), Value::Double(500.0));
  EXPECT_NE(Fails(":missing + 1").find("undefined variable \"missing\""), std::string::npos);
}

TEST_F(ExprTest, RandomFunctionsStayInRange) {
  for (int i = 0; i < 2000; ++i) {
    int64_t u = Ok("random(1, 10)").i;
    EXPECT_GE(u, 1);
    EXPECT_LE(u, 10);
    int64_t e = Ok("random_exponential(1, 100, 5.0)").i;
    EXPECT_GE(e, 1);
    EXPECT_LE(e, 100);
    int64_t g = Ok("random_gaussian(1, 100, 2.5)").i;
    EXPECT_GE(g, 1);
    EXPECT_LE(g, 100);
    int64_t z = Ok("random_zipfian(1, 100, 1.5)").i;
    EXPECT_GE(z, 1);
    EXPECT_LE(z, 100);
  }
  EXPECT_EQ(Ok("random(7, 7)"), Value::Int(7));
}

TEST_F(ExprTest, RandomDistributionsHaveTheirShape) {
  int uniform_low = 0, exponential_low = 0, gaussian_mid = 0, zipf_first = 0;
  const int n = 20000;
  for (int i = 0; i < n; ++i) {
    uniform_low += Ok("random(1, 100)").i <= 10;
    exponential_low += Ok("random_exponential(1, 100, 5)").i <= 10;
    int64_t g = Ok("random_gaussian(1, 100, 3)").i;
    gaussian_mid += g > 40 && g <= 60;
    zipf_first += Ok("random_zipfian(1, 100, 2)").i == 1;
  }
  EXPECT_NEAR(uniform_low / double(n), 0.10, 0.02);
  EXPECT_NEAR(exponential_low / double(n), 0.39, 0.03);  // (1 - e^-0.5) / (1 - e^-5)
  EXPECT_NEAR(gaussian_mid / double(n), 0.45, 0.03);     // |z| < 0.6, given |z| < 3
  EXPECT_NEAR(zipf_first / double(n), 0.61, 0.04);       // 1 / zeta(2) over 1..100
}

TEST_F(ExprTest, HashesMatchPgbench) {
  // What pgbench 15 prints for debug(hash_fnv1a(0, 0)) and debug(hash_murmur2(1, 0)).
  EXPECT_EQ(Ok("hash_fnv1a(0, 0)").i, static_cast<int64_t>(0xa8c7f832281a39c5ULL));
  EXPECT_EQ(Ok("hash_murmur2(1, 0)").i, INT64_C(-8089716718896805586));
  given["default_seed"] = Value::Int(5);
  EXPECT_EQ(Ok("hash(10)"), Value::Int(INT64_C(5862924560876750601)));
  EXPECT_NE(Ok("hash_murmur2(1, 0)"), Ok("hash_murmur2(2, 0)"));
}

TEST_F(ExprTest, RuntimeErrorsUsePgbenchWording) {
  EXPECT_NE(Fails("1 / 0").find("division by zero"), std::string::npos);
  EXPECT_NE(Fails("5 % 0").find("division by zero"), std::string::npos);
  EXPECT_NE(Fails("9223372036854775807 + 1").find("bigint add out of range"), std::string::npos);
  EXPECT_NE(Fails("random(10, 1)").find("empty range"), std::string::npos);
  EXPECT_NE(Fails("random_gaussian(1, 10, 1.0)").find("gaussian parameter"), std::string::npos);
  EXPECT_NE(Fails("random_exponential(1, 10, 0)").find("exponential parameter"), std::string::npos);
  EXPECT_NE(Fails("random_zipfian(1, 10, 0.5)").find("zipfian parameter"), std::string::npos);
  EXPECT_NE(Fails("int(true)").find("cannot coerce boolean to int"), std::string::npos);
  EXPECT_NE(Fails("NOT 1").find("cannot coerce int to boolean"), std::string::npos);
  EXPECT_NE(Fails("1 << 64").find("out of range"), std::string::npos);
}

TEST_F(ExprTest, SyntaxErrorsPointAtTheColumn) {
  std::string e = Fails("1 + ");
  EXPECT_NE(e.find("t.sql:3:"), std::string::npos) << e;
  e = Fails("1 + foo(2)");
  EXPECT_NE(e.find("unknown function \"foo\""), std::string::npos) << e;
  EXPECT_NE(e.find("t.sql:3:14"), std::string::npos) << e;  // column 10 + 4
  EXPECT_NE(Fails("permute(1, 10)").find("permute() is not supported"), std::string::npos);
  EXPECT_NE(Fails("random(1)").find("random() takes 2 arguments, not 1"), std::string::npos);
  EXPECT_NE(Fails("(1 + 2").find("missing \")\""), std::string::npos);
  EXPECT_NE(Fails("1 < 2 < 3").find("comparison"), std::string::npos);
  EXPECT_NE(Fails("1 $ 2").find("unexpected character"), std::string::npos);
  EXPECT_NE(Fails("abc + 1").find("a variable is written :abc"), std::string::npos);
  EXPECT_NE(Fails("99999999999999999999").find("bigint constant overflow"), std::string::npos);
  EXPECT_NE(Fails("CASE 1 END").find("CASE must be followed by WHEN"), std::string::npos);
  EXPECT_NE(Fails("").find("missing expression"), std::string::npos);
  EXPECT_NE(Fails("1 IS 2").find("IS must be followed by"), std::string::npos);
  EXPECT_NE(Fails("least(1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17)").find("at most 16"),
            std::string::npos);
}

}  // namespace
}  // namespace tide::rehearse
