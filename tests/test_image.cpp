// data::read_image against the pixels PIL decodes from the same files (tests/fixtures/images,
// made by tools/gen_image_fixtures.py), every read mode, and corrupt or truncated files.
#include <fstream>
#include <iterator>
#include <sstream>
#include <string>
#include <vector>

#include "catch.h"
#include "ember/data/image.h"
#include "ember/ember.h"
#include "helpers.h"

using namespace ember;
using data::ImageReadMode;

namespace {

const std::string kDir = std::string(EMBER_FIXTURES_DIR) + "/images/";

struct Record {
  std::string file, mode;
  std::vector<int64_t> shape;
  std::vector<int64_t> pixels;
};

std::vector<Record> records() {
  std::ifstream f(kDir + "pixels.txt");
  std::vector<Record> out;
  std::string line;
  while (std::getline(f, line)) {
    std::istringstream is(line);
    Record r;
    r.shape.resize(3);
    std::string colon;
    is >> r.file >> r.mode >> r.shape[0] >> r.shape[1] >> r.shape[2] >> colon;
    for (int64_t v; is >> v;) r.pixels.push_back(v);
    out.push_back(r);
  }
  return out;
}

ImageReadMode mode_of(const std::string& m) {
  if (m == "kRGB") return ImageReadMode::kRGB;
  if (m == "kGray") return ImageReadMode::kGray;
  return ImageReadMode::kUnchanged;
}

bool available(const std::string& file) {
  const bool jpeg = file.size() > 4 && file.substr(file.size() - 4) == ".jpg";
  return data::image_format_available(jpeg ? data::ImageFormat::kJPEG : data::ImageFormat::kPNG);
}

}  // namespace

TEST_CASE("read_image: JPEG and PNG files decode to PIL's pixels in every mode", "[image]") {
  const std::vector<Record> rs = records();
  REQUIRE(rs.size() == 21);
  int checked = 0;
  for (const Record& r : rs) {
    if (!available(r.file)) continue;
    INFO(r.file << " " << r.mode);
    const std::string b = ember_test::fixture_bytes(kDir + r.file);
    Tensor img = data::decode_image(b.data(), b.size(), mode_of(r.mode), r.file);
    CHECK(img.dtype() == kByte);
    CHECK(img.sizes().vec() == r.shape);
    CHECK(img.to(kLong).reshape({-1}).equal(tensor(r.pixels)));
    ++checked;
  }
  if (checked == 0) EMBER_SKIP("this build has neither a JPEG nor a PNG decoder");
  CHECK(checked == 21);
}

TEST_CASE("read_image: alpha modes of PNG, decode_image from memory", "[image]") {
  if (!data::image_format_available(data::ImageFormat::kPNG)) EMBER_SKIP("this build has no PNG decoder");
  // RGB + added opaque alpha; gray + alpha from a gray file.
  Tensor rgba = data::read_image(kDir + "rgb.png", ImageReadMode::kRGBAlpha);
  CHECK(rgba.sizes().vec() == std::vector<int64_t>{4, 4, 5});
  CHECK(rgba.select(0, 3).to(kLong).min().item<int64_t>() == 255);
  CHECK(rgba.narrow(0, 0, 3).equal(data::read_image(kDir + "rgb.png")));
  Tensor ga = data::read_image(kDir + "gray.png", ImageReadMode::kGrayAlpha);
  CHECK(ga.sizes().vec() == std::vector<int64_t>{2, 6, 3});
  CHECK(ga.select(0, 0).equal(data::read_image(kDir + "gray.png").select(0, 0)));
  const std::string b = ember_test::fixture_bytes(kDir + "la.png");
  CHECK(data::decode_image(b.data(), b.size()).equal(data::read_image(kDir + "la.png")));
}

TEST_CASE("read_image: JPEG has no alpha modes", "[image]") {
  if (!data::image_format_available(data::ImageFormat::kJPEG)) EMBER_SKIP("this build has no JPEG decoder");
  const std::string jpeg = ember_test::fixture_bytes(kDir + "rgb.jpg");
  CHECK_THROWS_WITH(data::decode_image(jpeg.data(), jpeg.size(), ImageReadMode::kRGBAlpha),
                    Catch::Matchers::Contains("no alpha channel"));
}

TEST_CASE("read_image: corrupt, truncated and foreign files are errors naming the file", "[image]") {
  CHECK_THROWS_WITH(data::read_image(kDir + "no_such.png"),
                    Catch::Matchers::Contains("cannot open") && Catch::Matchers::Contains("no_such.png"));
  const std::string text = "hello, not an image";
  CHECK_THROWS_WITH(data::decode_image(text.data(), text.size(), ImageReadMode::kUnchanged, "notes.txt"),
                    Catch::Matchers::Contains("notes.txt") && Catch::Matchers::Contains("neither a JPEG nor a PNG"));
  CHECK_THROWS_WITH(data::decode_image(nullptr, 0), Catch::Matchers::Contains("neither"));
  for (const char* file : {"rgb.jpg", "rgb.png", "palette_trns.png"}) {
    if (!available(file)) continue;
    INFO(file);
    const std::string b = ember_test::fixture_bytes(kDir + file);
    // Every truncation point and a flipped byte in every position: an Error or an image, never a crash.
    for (size_t n = 0; n < b.size(); n += (n < 64 ? 1 : 7)) {
      try {
        Tensor t = data::decode_image(b.data(), n, ImageReadMode::kUnchanged, file);
        CHECK(t.dim() == 3);
      } catch (const Error& e) {
        CHECK(std::string(e.what()).find(file) != std::string::npos);
      }
    }
    for (size_t i = 0; i < b.size(); i += 3) {
      std::string c = b;
      c[i] = char(c[i] ^ 0x5A);
      try {
        Tensor t = data::decode_image(c.data(), c.size(), ImageReadMode::kUnchanged, file);
        CHECK(t.dim() == 3);
      } catch (const Error& e) {
        CHECK(std::string(e.what()).find(file) != std::string::npos);
      }
    }
    // Cut in the middle of the pixel data: a clear message.
    CHECK_THROWS_WITH(data::decode_image(b.data(), b.size() / 2, ImageReadMode::kUnchanged, file),
                      Catch::Matchers::Contains(file));
  }
}
