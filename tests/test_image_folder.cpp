// datasets::ImageFolder: torchvision's scan order and labels, get, load_all, a data loader over
// it with workers, and the errors for bad folders and images.
#include <filesystem>
#include <fstream>
#include <set>

#include "catch.h"
#include "ember/data.h"
#include "ember/ember.h"
#include "helpers.h"

using namespace ember;
using ember_test::TempDir;
namespace fs = std::filesystem;

namespace {
const std::string kImages = std::string(EMBER_FIXTURES_DIR) + "/images/";

void copy_fixture(const std::string& fixture, const fs::path& to) {
  fs::create_directories(to.parent_path());
  std::ofstream(to, std::ios::binary) << ember_test::fixture_bytes(kImages + fixture);
}

bool have_png() { return data::image_format_available(data::ImageFormat::kPNG); }
}  // namespace

TEST_CASE("ImageFolder: classes sorted, examples sorted by path, labels by class", "[image]") {
  TempDir d;
  copy_fixture("rgb.png", d.path / "zebra" / "b.png");
  copy_fixture("rgb.png", d.path / "zebra" / "a.PNG");
  copy_fixture("rgb.png", d.path / "ant" / "sub" / "x.png");  // found recursively
  copy_fixture("rgb.jpg", d.path / "ant" / "y.jpeg");
  std::ofstream(d.path / "ant" / "notes.txt") << "not an image";
  fs::create_directories(d.path / "middle");
  copy_fixture("gray.png", d.path / "middle" / "g.png");
  data::datasets::ImageFolder folder(d.path.string());
  CHECK(folder.classes() == std::vector<std::string>{"ant", "middle", "zebra"});
  REQUIRE(folder.size() == std::optional<size_t>(5));
  const auto& s = folder.samples();
  CHECK(fs::path(s[0].first).filename() == "x.png");  // "ant/sub/x.png" < "ant/y.jpeg"
  CHECK(fs::path(s[1].first).filename() == "y.jpeg");
  CHECK(s[2].second == 1);
  CHECK(fs::path(s[3].first).filename() == "a.PNG");
  CHECK(s[4].second == 2);
  if (!have_png()) EMBER_SKIP("this build has no PNG decoder");
  data::Example<> e = folder.get(3);
  CHECK(e.data.dtype() == kFloat);
  CHECK(e.data.sizes().vec() == std::vector<int64_t>{3, 4, 5});
  CHECK(e.data.allclose(data::read_image(kImages + "rgb.png").to(kFloat) / 255));
  CHECK(e.target.item<int64_t>() == 2);
  // Gray files come out as RGB (torchvision converts every image to RGB).
  CHECK(folder.get(2).data.size(0) == 3);
  CHECK_THROWS_WITH(folder.get(5), Catch::Matchers::Contains("index 5 is out of range for 5 images"));
}

TEST_CASE("ImageFolder: load_all decodes every image in parallel; a loader with workers visits each once", "[image]") {
  if (!have_png()) EMBER_SKIP("this build has no PNG decoder");
  TempDir d;
  for (int i = 0; i < 30; ++i)
    copy_fixture("rgb.png", d.path / (i % 3 == 0 ? "a" : "b") / (std::to_string(i) + ".png"));
  data::datasets::ImageFolder folder(d.path.string());
  data::LabeledImages all = folder.load_all();
  CHECK(all.x.dtype() == kByte);
  CHECK(all.x.sizes().vec() == std::vector<int64_t>{30, 3, 4, 5});
  CHECK(all.y.sum().item<int64_t>() == 20);
  CHECK(all.x[17].equal(data::read_image(kImages + "rgb.png")));
  auto loader = data::make_data_loader(data::datasets::ImageFolder(d.path.string()).map(data::transforms::Stack<>()),
                                       data::DataLoaderOptions().batch_size(4).workers(2));
  int64_t seen = 0, labels = 0;
  for (auto& batch : *loader) {
    CHECK(batch.data.dim() == 4);
    seen += batch.data.size(0);
    labels += batch.target.sum().item<int64_t>();
  }
  CHECK(seen == 30);
  CHECK(labels == 20);
  // Images of different sizes cannot share one tensor.
  copy_fixture("gray.png", d.path / "a" / "zz.png");
  CHECK_THROWS_WITH(data::datasets::ImageFolder(d.path.string()).load_all(),
                    Catch::Matchers::Contains("zz.png") && Catch::Matchers::Contains("load_all needs one size"));
}

TEST_CASE("ImageFolder: bad folders and corrupt images are errors naming them", "[image]") {
  TempDir d;
  CHECK_THROWS_WITH(data::datasets::ImageFolder((d.path / "nope").string()),
                    Catch::Matchers::Contains("is not a folder"));
  CHECK_THROWS_WITH(data::datasets::ImageFolder(d.path.string()), Catch::Matchers::Contains("has no class subfolders"));
  fs::create_directories(d.path / "cls");
  CHECK_THROWS_WITH(
      data::datasets::ImageFolder(d.path.string()),
      Catch::Matchers::Contains("class 'cls'") && Catch::Matchers::Contains("has no .jpg, .jpeg or .png"));
  std::ofstream(d.path / "cls" / "bad.png") << "\x89PNG\r\n\x1a\n truncated";
  data::datasets::ImageFolder folder(d.path.string());
  if (!have_png()) EMBER_SKIP("this build has no PNG decoder");
  CHECK_THROWS_WITH(folder.get(0), Catch::Matchers::Contains("bad.png"));
  CHECK_THROWS_WITH(folder.load_all(), Catch::Matchers::Contains("bad.png"));
}
