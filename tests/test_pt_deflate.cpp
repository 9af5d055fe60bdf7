// .pt files whose zip entries are deflate-compressed (a file re-compressed by a zip tool; the
// fixtures are written by tools/gen_pt_deflate_fixtures.py): they load as the stored original
// does, and a broken deflated entry is an error naming the file, the entry and what is wrong.
#include <fstream>
#include <iterator>

#include "ember/pt_file.h"
#include "ember/serialize.h"
#include "helpers.h"

using namespace ember;
using ember_test::flip_sweep_pt;
using ember_test::require_equal;
using ember_test::require_throws_with;

namespace {

std::string fixture(const std::string& name) { return std::string(EMBER_FIXTURES_DIR) + "/pt/" + name; }

std::string read_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

}  // namespace

#ifdef EMBER_TEST_HAVE_ZLIB

TEST_CASE("pt: a state_dict re-compressed with deflate loads as the stored original", "[serialize][pt]") {
  const TensorMap stored = pt_tensors(load_pt(fixture("resnet_state_dict.pt")), "stored");
  const TensorMap deflated = pt_tensors(load_pt(fixture("resnet_state_dict_deflated.pt")), "deflated");
  REQUIRE(deflated.size() == stored.size());
  for (const auto& kv : stored) {
    INFO(kv.first);
    require_equal(deflated.at(kv.first), kv.second);
  }
  // Python's zipfile and a hand-made deflater, on a four-float tensor.
  for (const char* name : {"deflated.pt", "deflate_ok.pt"})
    require_equal(load_pt(fixture(name)).toTensor().reshape({4}), tensor({1.f, 2.f, 3.f, 4.f}));
}

TEST_CASE("pt: broken deflated entries are refused naming the file, the entry and the rule", "[serialize][pt]") {
  const std::vector<std::pair<std::string, std::vector<std::string>>> cases{
      {"deflate_bad_crc.pt", {"deflate_bad_crc.pt", "'archive/data/0' is corrupt: its CRC-32 is"}},
      {"deflate_corrupt.pt", {"deflate_corrupt.pt", "'archive/data/0' (deflate, ", "is corrupt: zlib says"}},
      {"deflate_cut.pt", {"deflate_cut.pt", "'archive/data/0'", "deflate stream is cut short"}},
      {"deflate_trailing.pt", {"deflate_trailing.pt", "'archive/data/0'", "4 bytes after the end of its deflate"}},
      {"deflate_too_long.pt", {"deflate_too_long.pt", "'archive/data.pkl'", "inflates to more than the", "zip bomb"}},
      {"deflate_too_short.pt", {"deflate_too_short.pt", "'archive/data.pkl'", "inflates to only"}},
      {"deflate_bomb.pt", {"deflate_bomb.pt", "'archive/data.pkl' declares", "more than deflate can produce"}},
  };
  for (const auto& c : cases) {
    INFO(c.first);
    const std::string msg = ember_test::error_message([&] { (void)load_pt(fixture(c.first)); });
    INFO(msg);
    REQUIRE(!msg.empty());
    for (const std::string& part : c.second) CHECK(ember_test::contains(msg, part));
  }
}

TEST_CASE("pt: every flipped byte of a deflated file is refused or read consistently", "[serialize][pt]") {
  const std::string bytes = read_bytes(fixture("resnet_state_dict_deflated.pt"));
  REQUIRE(bytes.size() > 1000);
  const size_t refused = flip_sweep_pt(bytes);
  // Nearly all of a deflated file is compressed data, covered by the CRC-32.
  REQUIRE(refused > bytes.size() / 3 / 2);
}

#else

TEST_CASE("pt: without zlib a deflated entry is refused, naming it", "[serialize][pt]") {
  require_throws_with([] { (void)load_pt(fixture("deflated.pt")); },
                      {"deflated.pt", "entry 'archive/", "' is deflate-compressed; this ember was built without zlib"});
}

#endif
