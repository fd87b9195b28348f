#include "rehearse/workload.h"

#include <gtest/gtest.h>

#include "rehearse/script_runner.h"

namespace tide::rehearse {
namespace {

// Records what a runner sends; fails statements that contain `fail_on`.
class RecordingHost : public ScriptHost {
 public:
  Status Execute(const std::string& sql) override {
    sent.push_back(sql);
    if (!fail_on.empty() && sql.find(fail_on) != std::string::npos) {
      return Error::Database("column \"contact_info\" does not exist", "42703");
    }
    return Ok();
  }
  bool Sleep(std::chrono::microseconds d) override {
    slept.push_back(d.count());
    return !stop_sleeps;
  }
  std::vector<std::string> sent;
  std::vector<int64_t> slept;
  std::string fail_on;
  bool stop_sleeps = false;
};

std::shared_ptr<const Workload> MustParse(const std::string& text, const VariableMap& vars = {}) {
  auto w = Workload::Parse(text, "w.sql", vars);
  EXPECT_TRUE(w.ok()) << w.error().ToString();
  return w.ok() ? *w : nullptr;
}

std::string ParseError(const std::string& text, const VariableMap& vars = {}) {
  auto w = Workload::Parse(text, "w.sql", vars);
  EXPECT_FALSE(w.ok()) << "accepted: " << text;
  if (w.ok()) return "";
  EXPECT_EQ(w.error().kind(), ErrorKind::kInput);
  return w.error().ToString();
}

std::vector<std::string> RunOnce(const std::string& text, const VariableMap& vars = {}) {
  auto w = MustParse(text, vars);
  if (!w) return {};
  ScriptRunner runner(w, 0, 1, 2);
  RecordingHost host;
  ScriptOutcome out = runner.RunOnce(host);
  EXPECT_EQ(out.end, ScriptOutcome::End::kOk) << (out.error ? out.error->ToString() : "");
  return host.sent;
}

TEST(WorkloadTest, CustomersScriptRunsWithRows) {
  auto w = Workload::Load(std::string(TIDE_SOURCE_DIR) + "/examples/customers/workload/app-v1.sql",
                          {{"rows", "1000"}});
  ASSERT_TRUE(w.ok()) << w.error().ToString();
  EXPECT_EQ((*w)->sql_command_count(), 3);
  ScriptRunner runner(*w, 0, 7, 7);
  RecordingHost host;
  ASSERT_EQ(runner.RunOnce(host).end, ScriptOutcome::End::kOk);
  ASSERT_EQ(host.sent.size(), 3u);
  int64_t id = runner.variables().values[static_cast<size_t>((*w)->SlotOf("id"))].i;
  EXPECT_GE(id, 1);
  EXPECT_LE(id, 1000);
  EXPECT_EQ(host.sent[0],
            "SELECT id, name, contact_info FROM customers WHERE id = " + std::to_string(id));
}

TEST(WorkloadTest, SetAndInterpolateKeepsCasts) {
  auto sent = RunOnce("\\set x 6 * 7\nSELECT :x::bigint, ':x', x::text, :x:::x;\n");
  ASSERT_EQ(sent.size(), 1u);
  EXPECT_EQ(sent[0], "SELECT 42::bigint, '42', x::text, 42:::x");
}

TEST(WorkloadTest, ValuesAreFormattedAsPgbenchDoes) {
  auto sent = RunOnce("\\set d 1.0 / 3\n\\set b 1 < 2\n\\set n null\nSELECT :d, :b, :n");
  ASSERT_EQ(sent.size(), 1u);
  EXPECT_EQ(sent[0], "SELECT 0.333333333333333, true, NULL");
}

TEST(WorkloadTest, GivenVariablesAreSentAsGiven) {
  auto sent = RunOnce("SELECT :code, :name, :undefined_name;", {{"code", "007"}, {"name", "abc"}});
  ASSERT_EQ(sent.size(), 1u);
  EXPECT_EQ(sent[0], "SELECT 007, abc, :undefined_name");  // unknown names stay as written
}

TEST(WorkloadTest, BuiltinVariables) {
  auto w = MustParse("SELECT :client_id, :random_seed, :default_seed;");
  ScriptRunner runner(w, 3, 11, 12);
  RecordingHost host;
  runner.RunOnce(host);
  EXPECT_EQ(host.sent.at(0), "SELECT 3, 11, 12");
}

TEST(WorkloadTest, MultiLineCommandsCommentsAndQuotes) {
  auto sent = RunOnce(
      "-- a comment line\n"
      "SELECT 1, -- trailing comment\n"
      "       'a;b', \"c;d\", $$e;f$$, $tag$g;h$tag$, E'it\\'s;', /* i; */ (SELECT 2; 3)\n"
      "  FROM t;\n"
      "\n"
      "SELECT 2; SELECT 3\n");
  ASSERT_EQ(sent.size(), 3u);
  EXPECT_EQ(sent[0],
            "SELECT 1, \n"
            "       'a;b', \"c;d\", $$e;f$$, $tag$g;h$tag$, E'it\\'s;', /* i; */ (SELECT 2; 3)\n"
            "  FROM t");
  EXPECT_EQ(sent[1], "SELECT 2");
  EXPECT_EQ(sent[2], "SELECT 3");  // the last command may omit its ';'
}

TEST(WorkloadTest, CompoundCommandIsOneRequest) {
  auto sent = RunOnce("SELECT 1\\; SELECT 2;\n");
  ASSERT_EQ(sent.size(), 1u);
  EXPECT_EQ(sent[0], "SELECT 1; SELECT 2");
}

TEST(WorkloadTest, CommandLinesAreRecorded) {
  auto w = MustParse("\n-- c\n\\set a 1\n\nSELECT\n 1;\n\\sleep 1ms\n");
  ASSERT_EQ(w->commands().size(), 3u);
  EXPECT_EQ(w->commands()[0].line, 3);
  EXPECT_EQ(w->commands()[1].line, 5);
  EXPECT_EQ(w->commands()[2].line, 7);
}

TEST(WorkloadTest, SleepUnitsAndVariables) {
  auto w =
      MustParse("\\sleep 2\n\\sleep 3 ms\n\\sleep 4us\n\\sleep 5 S\n\\set t 7\n\\sleep :t ms\n");
  ScriptRunner runner(w, 0, 1, 1);
  RecordingHost host;
  ASSERT_EQ(runner.RunOnce(host).end, ScriptOutcome::End::kOk);
  EXPECT_EQ(host.slept, (std::vector<int64_t>{2'000'000, 3'000, 4, 5'000'000, 7'000}));
}

TEST(WorkloadTest, LineContinuationInSet) {
  auto sent = RunOnce("\\set x 1 + \\\n  2\nSELECT :x;");
  ASSERT_EQ(sent.size(), 1u);
  EXPECT_EQ(sent[0], "SELECT 3");
}

TEST(WorkloadTest, AFailedStatementEndsTheRequestWithItsLine) {
  auto w = MustParse("SELECT 1;\nSELECT contact_info FROM customers;\nSELECT 3;\n");
  ScriptRunner runner(w, 0, 1, 1);
  RecordingHost host;
  host.fail_on = "contact_info";
  ScriptOutcome out = runner.RunOnce(host);
  ASSERT_EQ(out.end, ScriptOutcome::End::kFailed);
  EXPECT_EQ(host.sent.size(), 2u);
  EXPECT_EQ(out.error->sqlstate(), "42703");
  EXPECT_EQ(out.error->location()->line, 2);
}

TEST(WorkloadTest, AScriptErrorFailsTheRequest) {
  auto w = MustParse("\\set z 0\n\\set x 1 / :z\nSELECT :x;\n");
  ScriptRunner runner(w, 0, 1, 1);
  RecordingHost host;
  ScriptOutcome out = runner.RunOnce(host);
  ASSERT_EQ(out.end, ScriptOutcome::End::kFailed);
  EXPECT_NE(out.error->message().find("division by zero"), std::string::npos);
  EXPECT_EQ(out.error->location()->line, 2);
  EXPECT_TRUE(host.sent.empty());
}

TEST(WorkloadTest, AStoppedSleepAbandonsTheRequest) {
  auto w = MustParse("\\sleep 1\nSELECT 1;\n");
  ScriptRunner runner(w, 0, 1, 1);
  RecordingHost host;
  host.stop_sleeps = true;
  EXPECT_EQ(runner.RunOnce(host).end, ScriptOutcome::End::kStopped);
  EXPECT_TRUE(host.sent.empty());
}

TEST(WorkloadTest, RejectsUnsupportedMetaCommands) {
  EXPECT_NE(ParseError("SELECT 1 AS a \\gset\n").find("\\gset is not supported"),
            std::string::npos);
  EXPECT_NE(ParseError("SELECT 1 \\aset\n").find("\\aset is not supported"), std::string::npos);
  EXPECT_NE(ParseError("SELECT 1;\n\\if true\nSELECT 2;\n\\endif\n").find("w.sql:2:1: \\if"),
            std::string::npos);
  EXPECT_NE(ParseError("\\elif 1\n").find("\\elif is not supported"), std::string::npos);
  EXPECT_NE(ParseError("\\else\n").find("\\else is not supported"), std::string::npos);
  EXPECT_NE(ParseError("\\endif\n").find("\\endif is not supported"), std::string::npos);
  EXPECT_NE(ParseError("\\shell echo hi\n").find("\\shell is not supported"), std::string::npos);
  EXPECT_NE(ParseError("\\setshell x echo 1\n").find("\\setshell is not supported"),
            std::string::npos);
  EXPECT_NE(ParseError("\\startpipeline\n").find("\\startpipeline is not supported"),
            std::string::npos);
  EXPECT_NE(ParseError("\\endpipeline\n").find("\\endpipeline is not supported"),
            std::string::npos);
  EXPECT_NE(ParseError("\\syncpipeline\n").find("\\syncpipeline is not supported"),
            std::string::npos);
  EXPECT_NE(ParseError("\\frobnicate\n").find("unknown command \\frobnicate"), std::string::npos);
  EXPECT_NE(ParseError("SELECT 1\n\\sleep 1\n").find("inside an SQL command"), std::string::npos);
}

TEST(WorkloadTest, RejectsMalformedCommandsWithFileAndLine) {
  EXPECT_NE(ParseError("SELECT 1;\n\\set\n").find("w.sql:2:1: \\set: missing variable name"),
            std::string::npos);
  EXPECT_NE(ParseError("\\set x\n").find("missing expression"), std::string::npos);
  EXPECT_NE(ParseError("\\set 1x 2\n").find("invalid variable name"), std::string::npos);
  EXPECT_NE(ParseError("\n\\set x foo(1)\n").find("w.sql:2:8: expression: unknown function"),
            std::string::npos);
  EXPECT_NE(ParseError("\\set x random(1, :rows)\n").find("undefined variable \"rows\""),
            std::string::npos);
  EXPECT_NE(ParseError("\\set x :name + 1\n", {{"name", "abc"}}).find("not a number"),
            std::string::npos);
  EXPECT_NE(ParseError("\\sleep\n").find("\\sleep: missing argument"), std::string::npos);
  EXPECT_NE(ParseError("\\sleep 1 2 3\n").find("too many arguments"), std::string::npos);
  EXPECT_NE(ParseError("\\sleep abc\n").find("must be an integer"), std::string::npos);
  EXPECT_NE(ParseError("\\sleep 10 min\n").find("unrecognized time unit"), std::string::npos);
  EXPECT_NE(ParseError("\\sleep :nothing\n").find("undefined variable"), std::string::npos);
  EXPECT_NE(ParseError("SELECT 'abc;\n").find("w.sql:1:8: unterminated quoted string"),
            std::string::npos);
  EXPECT_NE(ParseError("SELECT \"abc;\n").find("unterminated quoted identifier"),
            std::string::npos);
  EXPECT_NE(ParseError("SELECT $$abc;\n").find("unterminated dollar-quoted"), std::string::npos);
  EXPECT_NE(ParseError("SELECT /* abc;\n").find("unterminated /* comment"), std::string::npos);
  EXPECT_NE(ParseError("-- only a comment\n\n").find("no commands"), std::string::npos);
}

TEST(WorkloadTest, AVariableSetLaterIsSentAsWrittenUntilSet) {
  auto w = MustParse("SELECT :later;\n\\set later 5\n");
  ScriptRunner runner(w, 0, 1, 1);
  RecordingHost host;
  runner.RunOnce(host);
  runner.RunOnce(host);
  EXPECT_EQ(host.sent, (std::vector<std::string>{"SELECT :later", "SELECT 5"}));
}

TEST(WorkloadTest, ParseVariableTextFollowsPgbench) {
  EXPECT_EQ(*ParseVariableText("12"), Value::Int(12));
  EXPECT_EQ(*ParseVariableText(" -3 "), Value::Int(-3));
  EXPECT_EQ(*ParseVariableText("2.5"), Value::Double(2.5));
  EXPECT_EQ(*ParseVariableText("yes"), Value::Bool(true));
  EXPECT_EQ(*ParseVariableText("of"), Value::Bool(false));
  EXPECT_EQ(*ParseVariableText("NULL"), Value::Null());
  EXPECT_FALSE(ParseVariableText("abc").ok());
  EXPECT_FALSE(ParseVariableText("99999999999999999999").ok());
}

}  // namespace
}  // namespace tide::rehearse
