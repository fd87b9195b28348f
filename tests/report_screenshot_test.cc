// Renders a sample HTML report in headless Chromium and checks the screenshot shows something:
// the page must render offline, with its charts, as a person would see it.

#include <gtest/gtest.h>
#include <png.h>

#include <cstdio>
#include <filesystem>
#include <memory>
#include <set>

#include "base/subprocess.h"
#include "harness.h"
#include "rehearse/report.h"
#include "report_sample.h"

namespace tide::testing {
namespace {

namespace fs = std::filesystem;

std::string FindChromium() {
  for (const char* path : {"/usr/bin/chromium", "/usr/bin/chromium-browser"}) {
    if (fs::exists(path)) return path;
  }
  return "";
}

struct Image {
  int width = 0;
  int height = 0;
  std::vector<uint32_t> rgb;  // 0xRRGGBB per pixel
};

// Decodes a PNG with libpng's simplified API.
bool ReadPng(const fs::path& path, Image& out) {
  png_image image{};
  image.version = PNG_IMAGE_VERSION;
  if (!png_image_begin_read_from_file(&image, path.c_str())) return false;
  image.format = PNG_FORMAT_RGB;
  std::vector<png_byte> buffer(PNG_IMAGE_SIZE(image));
  if (!png_image_finish_read(&image, nullptr, buffer.data(), 0, nullptr)) {
    png_image_free(&image);
    return false;
  }
  out.width = static_cast<int>(image.width);
  out.height = static_cast<int>(image.height);
  out.rgb.resize(static_cast<size_t>(out.width) * static_cast<size_t>(out.height));
  for (size_t i = 0; i < out.rgb.size(); ++i) {
    out.rgb[i] =
        (uint32_t{buffer[3 * i]} << 16) | (uint32_t{buffer[3 * i + 1]} << 8) | buffer[3 * i + 2];
  }
  return true;
}

TEST(ReportScreenshotTest, SampleReportRendersInHeadlessChromium) {
  std::string chromium = FindChromium();
  if (chromium.empty()) {
    GTEST_SKIP() << "chromium is not installed (scripts/bootstrap.sh installs it)";
  }
  TempDir dir;
  fs::path page = dir.Write("report.html", rehearse::RenderHtml(SampleReport()));
  fs::path shot = dir.path() / "report.png";
  fs::path profile = dir.path() / "profile";
  fs::create_directories(profile);
  RunOptions options;
  options.timeout = std::chrono::seconds(90);
  options.separate_stderr = true;
  auto run = RunCommand(
      {chromium, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
       "--disable-background-networking", "--disable-component-update", "--disable-sync",
       "--user-data-dir=" + profile.string(), "--screenshot=" + shot.string(),
       "--window-size=1200,1600", "file://" + page.string()},
      options);
  ASSERT_TRUE(run.ok()) << run.error().ToString();
  ASSERT_TRUE(fs::exists(shot)) << "exit " << run->exit_code << "\n" << run->error_output;

  Image image;
  ASSERT_TRUE(ReadPng(shot, image)) << "not a PNG: " << shot;
  EXPECT_EQ(image.width, 1200);
  EXPECT_EQ(image.height, 1600);
  std::set<uint32_t> colors;
  size_t inked = 0, red = 0, blue = 0;
  for (uint32_t px : image.rgb) {
    colors.insert(px);
    if (px != 0xffffff) ++inked;
    int r = static_cast<int>(px >> 16), g = static_cast<int>((px >> 8) & 0xff),
        b = static_cast<int>(px & 0xff);
    if (r > 180 && g < 80 && b < 80) ++red;    // failure marks, the verdict
    if (b > 180 && r < 80 && g < 140) ++blue;  // v1's latency line
  }
  double share = static_cast<double>(inked) / static_cast<double>(image.rgb.size());
  EXPECT_GT(colors.size(), 50u) << "too few colours: a blank or broken page";
  EXPECT_GT(share, 0.05) << "almost all white";
  EXPECT_GT(red, 200u) << "no failure marks visible";
  EXPECT_GT(blue, 200u) << "no latency line visible";
}

}  // namespace
}  // namespace tide::testing
