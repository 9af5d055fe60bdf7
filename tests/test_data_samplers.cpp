// torch::data::samplers: the index sequences of the sequential, random, distributed and stream
// samplers, their resets, and their use by make_data_loader.
#include <algorithm>
#include <map>
#include <numeric>
#include <set>

#include "ember/data.h"
#include "ember/serialize.h"
#include "helpers.h"

using namespace ember;
using data::samplers::DistributedRandomSampler;
using data::samplers::DistributedSequentialSampler;
using data::samplers::RandomSampler;
using data::samplers::SequentialSampler;
using data::samplers::StreamSampler;
using ember_test::require_throws_with;

namespace {

using Indices = std::vector<size_t>;

// Every batch of one epoch.
template <typename S>
std::vector<Indices> drain(S& sampler, size_t batch_size) {
  std::vector<Indices> batches;
  while (auto batch = sampler.next(batch_size)) batches.push_back(*batch);
  return batches;
}

template <typename S>
Indices all_of(S& sampler, size_t batch_size = 3) {
  Indices all;
  for (const auto& b : drain(sampler, batch_size)) all.insert(all.end(), b.begin(), b.end());
  return all;
}

Indices range(size_t begin, size_t end) {
  Indices v(end - begin);
  std::iota(v.begin(), v.end(), begin);
  return v;
}

Indices sorted(Indices v) {
  std::sort(v.begin(), v.end());
  return v;
}

}  // namespace

TEST_CASE("samplers: SequentialSampler counts up in batches and resets, to a new size when given", "[data][samplers]") {
  SequentialSampler s(7);
  CHECK(drain(s, 3) == std::vector<Indices>{{0, 1, 2}, {3, 4, 5}, {6}});
  CHECK(s.index() == 7);
  CHECK_FALSE(s.next(3).has_value());
  s.reset();
  CHECK(s.index() == 0);
  CHECK(*s.next(10) == range(0, 7));
  s.reset(3);
  CHECK(drain(s, 2) == std::vector<Indices>{{0, 1}, {2}});
  SequentialSampler empty(0);
  CHECK_FALSE(empty.next(1).has_value());
}

TEST_CASE("samplers: RandomSampler draws a permutation per epoch from the seeded default generator",
          "[data][samplers]") {
  manual_seed(11);
  RandomSampler a(50);
  const Indices first = all_of(a, 7);
  CHECK(sorted(first) == range(0, 50));
  CHECK(a.index() == 50);
  a.reset();
  const Indices second = all_of(a, 50);
  CHECK(sorted(second) == range(0, 50));
  CHECK(first != second);
  CHECK(first != range(0, 50));

  manual_seed(11);  // the same seed, the same epochs
  RandomSampler b(50);
  CHECK(all_of(b, 4) == first);
  b.reset();
  CHECK(all_of(b, 50) == second);

  // The permutation is randperm's: the sampler's first epoch after manual_seed(s) is randperm(n).
  manual_seed(5);
  const Tensor expected = randperm(9);
  manual_seed(5);
  RandomSampler c(9);
  Indices from_randperm;
  for (int64_t i = 0; i < 9; ++i) from_randperm.push_back(size_t(expected[i].item<int64_t>()));
  CHECK(all_of(c, 2) == from_randperm);

  c.reset(4);  // a new size
  CHECK(sorted(all_of(c, 3)) == range(0, 4));
  require_throws_with([] { RandomSampler(-1); }, {"RandomSampler", "-1"});
}

TEST_CASE("samplers: DistributedSequentialSampler gives each rank its contiguous share", "[data][samplers]") {
  SECTION("with duplicates: ceil(10 / 3) = 4 each, the last share wrapping to the start") {
    std::vector<Indices> shares;
    for (size_t rank = 0; rank < 3; ++rank) {
      DistributedSequentialSampler s(10, 3, rank);
      shares.push_back(all_of(s, 3));
    }
    CHECK(shares == std::vector<Indices>{{0, 1, 2, 3}, {4, 5, 6, 7}, {8, 9, 0, 1}});
  }
  SECTION("without duplicates: floor(10 / 3) = 3 each, example 9 unused") {
    std::vector<Indices> shares;
    for (size_t rank = 0; rank < 3; ++rank) {
      DistributedSequentialSampler s(10, 3, rank, /*allow_duplicates=*/false);
      shares.push_back(all_of(s, 2));
    }
    CHECK(shares == std::vector<Indices>{{0, 1, 2}, {3, 4, 5}, {6, 7, 8}});
  }
  SECTION("reset repeats the share, or recomputes it for a new size") {
    DistributedSequentialSampler s(10, 2, 1);
    CHECK(all_of(s) == range(5, 10));
    s.reset();
    CHECK(s.index() == 5);
    CHECK(all_of(s) == range(5, 10));
    s.reset(4);
    CHECK(all_of(s) == range(2, 4));
  }
  require_throws_with([] { DistributedSequentialSampler(10, 2, 2); }, {"rank 2", "num_replicas (2)"});
  require_throws_with([] { DistributedSequentialSampler(10, 0, 0); }, {"num_replicas must be positive"});
}

TEST_CASE("samplers: DistributedRandomSampler ranks partition one shuffle that set_epoch changes", "[data][samplers]") {
  auto shares = [](size_t size, size_t replicas, bool duplicates, size_t epoch) {
    std::vector<Indices> out;
    for (size_t rank = 0; rank < replicas; ++rank) {
      DistributedRandomSampler s(size, replicas, rank, duplicates);
      s.set_epoch(epoch);
      s.reset();
      out.push_back(all_of(s, 3));
    }
    return out;
  };
  // Without duplicates: disjoint shares of floor(11 / 3) = 3 distinct examples.
  const auto e0 = shares(11, 3, false, 0);
  std::set<size_t> seen;
  for (const auto& share : e0) {
    CHECK(share.size() == 3);
    seen.insert(share.begin(), share.end());
  }
  CHECK(seen.size() == 9);
  CHECK(*seen.rbegin() <= 10);
  // With duplicates: 3 shares of 4 cover all 11 examples, one of them twice.
  std::map<size_t, int> counts;
  for (const auto& share : shares(11, 3, true, 0)) {
    CHECK(share.size() == 4);
    for (size_t i : share) ++counts[i];
  }
  CHECK(counts.size() == 11);
  int twice = 0;
  for (const auto& [index, n] : counts) twice += n == 2;
  CHECK(twice == 1);
  // The same epoch gives every process the same shuffle; another epoch another.
  CHECK(shares(11, 3, false, 0) == e0);
  CHECK(shares(11, 3, false, 1) != e0);
  // One replica: a permutation of everything.
  DistributedRandomSampler whole(20);
  CHECK(sorted(all_of(whole, 6)) == range(0, 20));
  CHECK(whole.epoch() == 0);
}

TEST_CASE("samplers: StreamSampler hands out batch sizes until the epoch size", "[data][samplers]") {
  StreamSampler s(10);
  std::vector<size_t> sizes;
  while (auto request = s.next(4)) sizes.push_back(request->size());
  CHECK(sizes == std::vector<size_t>{4, 4, 2});
  s.reset(5);
  CHECK(size_t(*s.next(8)) == 5);
  CHECK_FALSE(s.next(8).has_value());
}

TEST_CASE("samplers: make_data_loader takes a sampler instance, and a distributed one shards the data",
          "[data][samplers][pipeline]") {
  // Rows i of a TensorDataset hold i, so a batch shows its indices.
  const Tensor rows = arange(10, kFloat).unsqueeze(1);
  std::vector<float> seen;
  for (size_t rank = 0; rank < 2; ++rank) {
    auto loader =
        data::make_data_loader(data::datasets::TensorDataset(rows).map(data::transforms::Stack<data::TensorExample>()),
                               DistributedSequentialSampler(10, 2, rank), data::DataLoaderOptions(3).workers(1));
    for (auto& batch : *loader)
      for (int64_t i = 0; i < batch.data.size(0); ++i) seen.push_back(batch.data[i][0].item<float>());
  }
  CHECK(seen == std::vector<float>{0, 1, 2, 3, 4, 5, 6, 7, 8, 9});
}

namespace {
/// `saved`'s state written to a file and read into `fresh` (which must then continue alike).
template <typename S>
void archive_into(const S& saved, S& fresh, const std::string& name) {
  serialize::OutputArchive out;
  saved.save(out);
  ember_test::TempDir dir;
  out.save_to(dir.file(name));
  serialize::InputArchive in;
  in.load_from(dir.file(name));
  fresh.load(in);
}
}  // namespace

TEST_CASE("samplers: save and load resume each sampler mid-epoch, as LibTorch's", "[data][samplers]") {
  manual_seed(5);
  RandomSampler r(10);
  r.next(3);
  RandomSampler r2(4);  // another size and order: load replaces both
  archive_into(r, r2, "random.st");
  CHECK(r2.index() == 3);
  CHECK(*r2.next(7) == *r.next(7));
  SequentialSampler s(5), s2(5);
  s.next(2);
  archive_into(s, s2, "sequential.st");
  CHECK(*s2.next(10) == std::vector<size_t>{2, 3, 4});
  DistributedRandomSampler d(11, 2, 1), d2(11, 2, 1);
  d.set_epoch(3);
  d.reset();
  d.next(2);
  archive_into(d, d2, "distributed.st");
  CHECK(d2.epoch() == 3);
  CHECK(*d2.next(100) == *d.next(100));
  DistributedSequentialSampler q(9, 3, 2), q2(9, 3, 2);
  q.next(1);
  archive_into(q, q2, "distseq.st");
  CHECK(*q2.next(100) == *q.next(100));
  StreamSampler t(10), t2(10);
  t.next(4);
  archive_into(t, t2, "stream.st");
  CHECK(t2.next(100)->size() == 6);
  // A position past the sampler's range is refused, naming the key.
  SequentialSampler big(20), small(4);
  big.next(9);
  require_throws_with([&] { archive_into(big, small, "big.st"); },
                      {"SequentialSampler::load: 'index' is 9, outside this sampler's [0, 4]"});
}
