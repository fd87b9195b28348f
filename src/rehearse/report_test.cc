#include "rehearse/report.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <regex>

#include "report_sample.h"

namespace tide::rehearse {
namespace {

TEST(ReportTest, FormatMsPicksAReadableUnit) {
  EXPECT_EQ(FormatMs(0), "0 ms");
  EXPECT_EQ(FormatMs(0.4234), "0.42 ms");
  EXPECT_EQ(FormatMs(3.45), "3.5 ms");
  EXPECT_EQ(FormatMs(123.4), "123 ms");
  EXPECT_EQ(FormatMs(9120), "9.12 s");
  EXPECT_EQ(FormatMs(75000), "75.0 s");
}

TEST(ReportTest, JudgeNamesFailuresSlownessAndFailedSteps) {
  Report report = testing::SampleReport();
  Verdict v = Judge(report);
  EXPECT_FALSE(v.zero_downtime);
  std::string all;
  for (const auto& r : v.reasons) all += r + "\n";
  EXPECT_NE(all.find("v1 failed 400 of"), std::string::npos) << all;
  EXPECT_NE(all.find("column \"contact_info\" does not exist"), std::string::npos) << all;
  EXPECT_NE(all.find("over the 500 ms budget"), std::string::npos) << all;
  EXPECT_NE(all.find("migration step failed: V1.2 CREATE INDEX"), std::string::npos) << all;

  Report clean;
  clean.traffic.releases.push_back({});
  EXPECT_TRUE(Judge(clean).zero_downtime);
}

TEST(ReportTest, TextHasTheTablesAndErrors) {
  std::string text = RenderText(testing::SampleReport());
  EXPECT_NE(text.find("NOT zero downtime"), std::string::npos) << text;
  EXPECT_NE(text.find("phase"), std::string::npos);
  EXPECT_NE(text.find("rolling deploy"), std::string::npos);
  EXPECT_NE(text.find("2.10 s"), std::string::npos) << text;  // the expand's p99
  EXPECT_NE(text.find("42703 column \"contact_info\" does not exist  (app-v1.sql:3"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("V1.2 CREATE INDEX idx_customers_email"), std::string::npos);
  EXPECT_NE(text.find("FAILED"), std::string::npos);
}

TEST(ReportTest, JsonCarriesFiguresSeriesAndSteps) {
  nlohmann::json j = ToJson(testing::SampleReport());
  EXPECT_FALSE(j["zero_downtime"].get<bool>());
  EXPECT_EQ(j["phases"].size(), 5u);
  EXPECT_EQ(j["phases"][1]["name"], "expand");
  EXPECT_EQ(j["releases"][0]["name"], "v1");
  EXPECT_EQ(j["releases"][0]["application_name"], "customer-api/1.0");
  EXPECT_EQ(j["releases"][0]["phases"][1]["p99_ms"], 2100.0);
  EXPECT_EQ(j["releases"][0]["errors"][0]["sqlstate"], "42703");
  EXPECT_EQ(j["series"][1]["points"].size(), 300u);
  EXPECT_EQ(j["steps"][2]["attempts"], 2);
  // Round trip through text stays valid JSON.
  EXPECT_EQ(nlohmann::json::parse(j.dump()), j);
}

TEST(ReportTest, HtmlIsSelfContainedAndEscaped) {
  std::string html = RenderHtml(testing::SampleReport());
  EXPECT_EQ(html.rfind("<!DOCTYPE html>", 0), 0u);
  EXPECT_NE(html.find("<svg"), std::string::npos);
  EXPECT_NE(html.find("<polyline"), std::string::npos);
  EXPECT_NE(html.find("Not zero downtime"), std::string::npos);
  EXPECT_NE(html.find("&lt;2,000,000 rows&gt; &amp; &quot;friends&quot;"), std::string::npos);
  EXPECT_EQ(html.find("<2,000,000"), std::string::npos);
  // Nothing to fetch: the only URL is the SVG namespace, which is never loaded.
  std::string without_ns = std::regex_replace(html, std::regex("http://www.w3.org/2000/svg"), "");
  EXPECT_EQ(without_ns.find("http"), std::string::npos);
  EXPECT_EQ(without_ns.find("<script"), std::string::npos);
  EXPECT_EQ(without_ns.find("<link"), std::string::npos);
  for (const char* phase : {"baseline", "expand", "rolling deploy", "contract", "cleanup"}) {
    EXPECT_NE(html.find(std::string("phase-label\" text-anchor=\"middle\">") + phase),
              std::string::npos)
        << phase;
  }
}

// The largest time tick label of each chart ("30 s"), in the order the charts appear.
std::vector<double> LastTimeTicks(const std::string& html) {
  std::vector<double> out;
  std::regex tick("class=\"axis\">([0-9.]+) s</text>");
  size_t at = 0;
  while ((at = html.find("<svg", at)) != std::string::npos) {
    size_t end = html.find("</svg>", at);
    std::string chart = html.substr(at, end - at);
    double last = -1;
    for (std::sregex_iterator it(chart.begin(), chart.end(), tick), stop; it != stop; ++it) {
      last = std::max(last, std::stod((*it)[1]));
    }
    out.push_back(last);
    at = end;
  }
  return out;
}

// Issue 15: tide's run and the plain run were drawn on different time axes, so their charts
// could not be compared by eye. A comparison draws every chart on the widest run's scale.
TEST(ReportTest, ComparedRunsShareOneTimeScale) {
  Report tide_run = testing::SampleReport();
  Report plain = testing::SampleReport();
  plain.title = "plain run";
  plain.traffic.duration_s = 12;
  plain.steps.clear();
  for (auto& series : plain.traffic.series) series.points.resize(120);
  ASSERT_NE(LastTimeTicks(RenderHtml(plain)).front(), LastTimeTicks(RenderHtml(tide_run)).front());
  std::vector<double> ticks =
      LastTimeTicks(RenderComparisonHtml({tide_run, plain}, "tide demo", ""));
  ASSERT_EQ(ticks.size(), 4u);  // latency and throughput, for each run
  for (double t : ticks) EXPECT_EQ(t, ticks.front());
  EXPECT_GE(ticks.front(), 30);
}

TEST(ReportTest, EmptyReportStillRenders) {
  Report empty;
  EXPECT_NE(RenderHtml(empty).find("</html>"), std::string::npos);
  EXPECT_NE(RenderText(empty).find("zero downtime"), std::string::npos);
  EXPECT_TRUE(ToJson(empty)["zero_downtime"].get<bool>());
}

}  // namespace
}  // namespace tide::rehearse
