// The containers (ModuleList, ModuleDict, ParameterList, ParameterDict) and the structural and
// regularising layers (Identity, Unflatten, Embedding, Dropout2d, AlphaDropout). Names are
// checked against PyTorch's (named_parameters of torch.nn.ModuleList([...]) and friends), values
// against PyTorch's where they are deterministic, statistics where they are random.
#include <cmath>
#include <sstream>
#include <string>
#include <vector>

#include "catch.h"
#include "ember/ember.h"
#include "helpers.h"

using namespace ember;
namespace F = ember::nn::functional;
using ember_test::printed;
using ember_test::require_close;
using ember_test::require_throws_with;

namespace {

std::vector<std::string> keys_of(const OrderedDict<std::string, Tensor>& d) { return d.keys(); }

double mean_of(const Tensor& t) { return t.to(kDouble).mean().item<double>(); }
double var_of(const Tensor& t) {
  Tensor d = t.to(kDouble);
  Tensor c = d - d.mean();
  return (c * c).mean().item<double>();
}

}  // namespace

// --- ModuleList ---------------------------------------------------------------------------------------

TEST_CASE("ModuleList: registers entries as \"0\", \"1\", ... with PyTorch's parameter names", "[nn][containers]") {
  // torch.nn.ModuleList([nn.Linear(2, 3), nn.Linear(3, 1, bias=False)]).named_parameters():
  //   ['0.weight', '0.bias', '1.weight']
  nn::ModuleList list(nn::Linear(2, 3), nn::Linear(nn::LinearOptions(3, 1).bias(false)));
  REQUIRE(keys_of(list->named_parameters()) == std::vector<std::string>({"0.weight", "0.bias", "1.weight"}));
  REQUIRE(list->size() == 2);
  REQUIRE_FALSE(list->is_empty());
  REQUIRE(nn::ModuleList()->is_empty());

  // Inside a parent, the names are prefixed as a state_dict's: "layers.0.weight".
  struct NetImpl : nn::Module {
    NetImpl() { layers = register_module("layers", nn::ModuleList(nn::Linear(2, 2), nn::ReLU(), nn::Linear(2, 1))); }
    nn::ModuleList layers{nullptr};
  };
  auto net = std::make_shared<NetImpl>();
  REQUIRE(keys_of(net->named_parameters()) ==
          std::vector<std::string>({"layers.0.weight", "layers.0.bias", "layers.2.weight", "layers.2.bias"}));
}

TEST_CASE("ModuleList: push_back, extend, insert, indexing, iteration", "[nn][containers]") {
  nn::ModuleList list;
  nn::Linear fc(2, 3);
  list->push_back(fc);                                // a holder
  list->push_back(std::make_shared<nn::ReLUImpl>());  // an Impl shared_ptr
  list->push_back(nn::FlattenImpl());                 // an Impl value
  REQUIRE(list->size() == 3);
  // The same object, not a copy: the list and the holder share the module.
  REQUIRE(list[0].get() == fc.ptr().get());
  REQUIRE(list->ptr(0).get() == fc.ptr().get());
  REQUIRE(list->ptr<nn::LinearImpl>(0) == fc.ptr());
  REQUIRE(list->ptr<nn::ReLUImpl>(0) == nullptr);  // another type: nullptr, as LibTorch
  REQUIRE(list->at<nn::LinearImpl>(0).options.out_features() == 3);
  require_throws_with([&] { list->at<nn::ReLUImpl>(0); }, {"ModuleList::at", "index 0", "not the type"});
  require_throws_with([&] { list->ptr(3); }, {"ModuleList", "index 3", "out of range", "3 modules"});

  nn::ModuleList more{nn::Identity(), nn::GELU()};
  list->extend(*more);
  REQUIRE(list->size() == 5);
  std::vector<std::string> kinds;
  for (const std::shared_ptr<nn::Module>& m : *list) kinds.push_back(m->name());
  REQUIRE(kinds.size() == 5);
  REQUIRE(kinds[3] == "ember::nn::IdentityImpl");

  // insert before position 1: the later entries move up one place and keep positional names (as
  // PyTorch's ModuleList.insert).
  nn::Linear inserted(3, 3);
  list->insert(1, inserted);
  REQUIRE(list->size() == 6);
  REQUIRE(list->ptr(1).get() == inserted.ptr().get());
  auto children = list->named_children();
  REQUIRE(children.keys() == std::vector<std::string>({"0", "1", "2", "3", "4", "5"}));
  for (size_t i = 0; i < list->size(); ++i) REQUIRE(children[i].value().get() == list->ptr(i).get());
  REQUIRE(keys_of(list->named_parameters()) == std::vector<std::string>({"0.weight", "0.bias", "1.weight", "1.bias"}));
  list->insert(6, nn::ReLU());  // at the end: push_back
  REQUIRE(list->size() == 7);
  require_throws_with([&] { list->insert(9, nn::ReLU()); }, {"ModuleList::insert", "index 9", "out of range"});
}

TEST_CASE("ModuleList and ParameterList: copying an Impl copies the entries, not the list into itself",
          "[nn][containers]") {
  nn::ModuleListImpl original(nn::Linear(2, 3), nn::ReLU());
  nn::ModuleListImpl copy(original);  // a non-const lvalue: the copy constructor, not the variadic one
  REQUIRE(copy.size() == 2);
  REQUIRE(copy.ptr(0).get() == original.ptr(0).get());
  nn::ParameterListImpl params(ones({2}));
  nn::ParameterListImpl params_copy(params);
  REQUIRE(params_copy.size() == 1);
}

TEST_CASE("ModuleList: prints as LibTorch", "[nn][containers]") {
  nn::ModuleList list(nn::Linear(2, 3), nn::ReLU());
  REQUIRE(printed(*list) ==
          "ember::nn::ModuleList(\n"
          "  (0): ember::nn::Linear(in_features=2, out_features=3, bias=true)\n"
          "  (1): ember::nn::ReLU()\n"
          ")");
}

// --- ModuleDict -----------------------------------------------------------------------------------------

TEST_CASE("ModuleDict: construction, lookup, keys, values, items", "[nn][containers]") {
  nn::Linear fc(4, 2);
  std::vector<std::pair<std::string, std::shared_ptr<nn::Module>>> entries = {{"fc", fc.ptr()},
                                                                              {"act", nn::ReLU().ptr()}};
  nn::ModuleDict dict(entries);
  REQUIRE(dict->size() == 2);
  REQUIRE_FALSE(dict->empty());
  REQUIRE(dict->contains("fc"));
  REQUIRE_FALSE(dict->contains("conv"));
  REQUIRE(dict->keys() == std::vector<std::string>({"fc", "act"}));
  REQUIRE(dict->values()[0].get() == fc.ptr().get());
  REQUIRE(dict->items()[1].first == "act");
  REQUIRE(dict["fc"].get() == fc.ptr().get());
  REQUIRE(dict->at<nn::LinearImpl>("fc").options.in_features() == 4);
  require_throws_with([&] { dict["conv"]; }, {"conv", "not defined"});
  require_throws_with([&] { dict->at<nn::LinearImpl>("act"); }, {"ModuleDict::at", "act", "not the type"});
  // torch.nn.ModuleDict({'fc': nn.Linear(4, 2), 'act': nn.ReLU()}): ['fc.weight', 'fc.bias']
  REQUIRE(keys_of(dict->named_parameters()) == std::vector<std::string>({"fc.weight", "fc.bias"}));

  OrderedDict<std::string, std::shared_ptr<nn::Module>> od;
  od.insert("b", nn::Linear(1, 1).ptr());
  od.insert("a", nn::Identity().ptr());
  nn::ModuleDict from_od(od);
  REQUIRE(from_od->keys() == std::vector<std::string>({"b", "a"}));  // insertion order, not sorted
  std::vector<std::string> iterated;
  for (const auto& item : *from_od) iterated.push_back(item.key());
  REQUIRE(iterated == std::vector<std::string>({"b", "a"}));
  REQUIRE(printed(*from_od) ==
          "ember::nn::ModuleDict(\n"
          "  (b): ember::nn::Linear(in_features=1, out_features=1, bias=true)\n"
          "  (a): ember::nn::Identity()\n"
          ")");
}

TEST_CASE("ModuleDict: update replaces or adds, pop and clear keep registrations", "[nn][containers]") {
  nn::ModuleDict dict;
  nn::Linear first(2, 2), second(2, 5);
  std::vector<std::pair<std::string, std::shared_ptr<nn::Module>>> a = {{"fc", first.ptr()}};
  dict->update(a);
  std::vector<std::pair<std::string, std::shared_ptr<nn::Module>>> b = {{"fc", second.ptr()},
                                                                        {"id", nn::Identity().ptr()}};
  dict->update(b);
  REQUIRE(dict->size() == 2);
  REQUIRE(dict["fc"].get() == second.ptr().get());
  REQUIRE(dict->named_children()["fc"].get() == second.ptr().get());
  // update from another ModuleDict (anything with key()/value() items)
  nn::ModuleDict other;
  std::vector<std::pair<std::string, std::shared_ptr<nn::Module>>> c = {{"gelu", nn::GELU().ptr()}};
  other->update(c);
  dict->update(*other);
  REQUIRE(dict->keys() == std::vector<std::string>({"fc", "id", "gelu"}));

  auto popped = dict->pop("fc");
  REQUIRE(popped.get() == second.ptr().get());
  REQUIRE_FALSE(dict->contains("fc"));
  // As PyTorch's and LibTorch's, a popped module stays registered (its parameters still count).
  REQUIRE(dict->named_children().contains("fc"));
  require_throws_with([&] { dict->pop("fc"); }, {"fc", "not defined"});
  // A popped key can be filled again.
  std::vector<std::pair<std::string, std::shared_ptr<nn::Module>>> d = {{"fc", first.ptr()}};
  dict->update(d);
  REQUIRE(dict["fc"].get() == first.ptr().get());
  dict->clear();
  REQUIRE(dict->empty());
  REQUIRE(dict->named_children().size() == 3);
}

// --- ParameterList / ParameterDict -----------------------------------------------------------------------

TEST_CASE("ParameterList: append, extend, indexing, names and printing", "[nn][containers]") {
  Tensor w = ones({2, 3}).requires_grad_();
  nn::ParameterList list(w, zeros({4}));
  REQUIRE(list->size() == 2);
  REQUIRE(list[0].is_same(w));
  REQUIRE(list[0].requires_grad());
  REQUIRE_FALSE(list[1].requires_grad());  // each keeps its own requires_grad, as LibTorch
  list->append(full({1}, 3.0).requires_grad_());
  std::vector<Tensor> more = {zeros({2}), ones({5})};
  list->extend(more);
  REQUIRE(list->size() == 5);
  REQUIRE(list->at(4).numel() == 5);
  REQUIRE(keys_of(list->named_parameters(false)).size() == 5);
  REQUIRE(list->named_parameters()[2].key() == "2");
  require_throws_with([&] { list->at(5); }, {"ParameterList", "index 5", "out of range"});
  std::vector<std::string> keys;
  for (const auto& item : *list) keys.push_back(item.key());
  REQUIRE(keys == std::vector<std::string>({"0", "1", "2", "3", "4"}));

  nn::ParameterList small(ones({2}, kDouble));
  REQUIRE(printed(*small) == "ember::nn::ParameterList(\n(0): Parameter containing: [Double of size [2]]\n)");
}

TEST_CASE("ParameterDict: insert, contains, get, pop, keys, values, update", "[nn][containers]") {
  nn::ParameterDict dict;
  Tensor a = ones({2}).requires_grad_();
  dict->insert("a", a);
  dict->insert("b", zeros({3}));
  REQUIRE(dict->size() == 2);
  REQUIRE(dict->contains("a"));
  REQUIRE_FALSE(dict->contains("c"));
  REQUIRE(dict->get("a").is_same(a));
  REQUIRE(dict["b"].numel() == 3);
  REQUIRE(dict->keys() == std::vector<std::string>({"a", "b"}));
  REQUIRE(dict->values()[1].numel() == 3);
  require_throws_with([&] { dict->insert("a", ones({1})); }, {"a", "already defined"});
  require_throws_with([&] { dict->get("zz"); }, {"zz", "not defined"});
  REQUIRE(keys_of(dict->named_parameters()) == std::vector<std::string>({"a", "b"}));

  OrderedDict<std::string, Tensor> changes;
  changes.insert("b", full({1}, 7.0));
  changes.insert("c", full({1}, 8.0));
  dict->update(changes);
  REQUIRE(dict["b"].item<float>() == 7.0f);
  REQUIRE(dict["c"].item<float>() == 8.0f);
  Tensor popped = dict->pop("a");
  REQUIRE(popped.is_same(a));
  REQUIRE(dict->keys() == std::vector<std::string>({"b", "c"}));
  dict->clear();
  REQUIRE(dict->empty());

  OrderedDict<std::string, Tensor> initial;
  initial.insert("x", ones({1, 2}).requires_grad_());
  nn::ParameterDict from_od(initial);
  REQUIRE(from_od["x"].requires_grad());
  REQUIRE(printed(*from_od) == "ember::nn::ParameterDict(\n(x): Parameter containing: [Float of size [1, 2]]\n)");
}

// --- Identity, Unflatten ------------------------------------------------------------------------------------

TEST_CASE("Identity and Unflatten", "[nn][containers]") {
  Tensor x = arange(24.).reshape({2, 12});
  nn::Identity id;
  REQUIRE(id(x).is_same(x));

  nn::Unflatten un(nn::UnflattenOptions(1, {3, 4}));
  REQUIRE(un(x).sizes() == IntArrayRef({2, 3, 4}));
  require_close(un(x).reshape({2, 12}), x, 0, 0);
  nn::Unflatten inferred(nn::UnflattenOptions(-1, {2, -1, 3}));
  REQUIRE(inferred(x).sizes() == IntArrayRef({2, 2, 2, 3}));
  std::ostringstream os;
  os << *un;
  REQUIRE(os.str() == "ember::nn::Unflatten(dim=1, unflattened_size={3, 4})");
  require_throws_with(
      [&] {
        nn::Unflatten(nn::UnflattenOptions(1, {5, 2}))(x);
      },
      {"Unflatten", "[5, 2]", "dim 1", "12"});
  require_throws_with([&] { nn::Unflatten(nn::UnflattenOptions(1, {-1, -1}))(x); }, {"Unflatten", "-1"});
  require_throws_with([&] { nn::Unflatten(nn::UnflattenOptions(2, {1, 12}))(x); }, {"Unflatten", "dim 2"});
}

// --- Embedding --------------------------------------------------------------------------------------------------

TEST_CASE("Embedding: lookup, shape, printing and initialisation", "[nn][embedding]") {
  manual_seed(0);
  nn::Embedding emb(nn::EmbeddingOptions(1000, 16).padding_idx(3));
  REQUIRE(emb->weight.sizes() == IntArrayRef({1000, 16}));
  REQUIRE(emb->weight.requires_grad());
  // N(0, 1) with the padding row zeroed.
  REQUIRE(std::abs(mean_of(emb->weight)) < 0.03);
  REQUIRE(std::abs(var_of(emb->weight) - 1.0) < 0.05);
  REQUIRE(emb->weight[3].abs().sum().item<double>() == 0.0);
  REQUIRE(keys_of(emb->named_parameters()) == std::vector<std::string>({"weight"}));
  std::ostringstream os;
  os << *emb;
  REQUIRE(os.str() == "ember::nn::Embedding(num_embeddings=1000, embedding_dim=16, padding_idx=3)");

  Tensor idx = tensor({5, 3, 999, 5}, kLong).reshape({2, 2});
  Tensor out = emb(idx);
  REQUIRE(out.sizes() == IntArrayRef({2, 2, 16}));
  require_close(out[0][0], emb->weight[5], 0, 0);
  require_close(out[1][0], emb->weight[999], 0, 0);
  REQUIRE(emb(tensor(7L)).sizes() == IntArrayRef({16}));  // a 0-dim index gives one row

  // A negative padding_idx counts from the end (LibTorch normalises it in the options).
  nn::Embedding neg(nn::EmbeddingOptions(4, 2).padding_idx(-1));
  REQUIRE(*neg->options.padding_idx() == 3);
  require_throws_with([] { nn::Embedding(nn::EmbeddingOptions(4, 2).padding_idx(4)); },
                      {"Embedding", "padding_idx 4", "num_embeddings"});
  require_throws_with([&] { emb(tensor({1.0, 2.0})); }, {"embedding", "int64"});
  require_throws_with([&] { emb(tensor({1000L})); }, {"index_select"});
  require_throws_with([] { nn::Embedding(nn::EmbeddingOptions(4, 2).sparse(true)); }, {"Embedding", "sparse"});
}

TEST_CASE("Embedding: gradients add up over repeated indices and skip padding_idx", "[nn][embedding]") {
  for (Device d : ember_test::test_devices()) {
    INFO(ember_test::device_name(d));
    // PyTorch: w = arange(10.).reshape(5, 2) (requires grad); e = F.embedding(tensor([[0, 4, 2], [4, 4, 1]]),
    // w, padding_idx=4); (e * arange(1., 13.).reshape(2, 3, 2)).sum().backward()
    //   w.grad = [[1, 2], [11, 12], [5, 6], [0, 0], [0, 0]]
    Tensor w = arange(10., TensorOptions(kDouble).device(d)).reshape({5, 2}).detach().requires_grad_();
    Tensor idx = tensor({0, 4, 2, 4, 4, 1}, kLong).reshape({2, 3}).to(d);
    Tensor e = F::embedding(idx, w, F::EmbeddingFuncOptions().padding_idx(4));
    require_close(e[0][1], w[4].detach(), 0, 0);  // the padding row's values are still looked up
    (e * arange(1., 13., TensorOptions(kDouble).device(d)).reshape({2, 3, 2})).sum().backward();
    require_close(w.grad().cpu(), tensor({1., 2., 11., 12., 5., 6., 0., 0., 0., 0.}, kDouble).reshape({5, 2}), 0, 0);

    // The float64 finite-difference check, with and without padding.
    Tensor table = ember_test::rnd({6, 3}, kDouble);
    Tensor lookups = tensor({1, 5, 1, 0}, kLong);
    ember_test::gradcheck([](const std::vector<Tensor>& in) { return F::embedding(in[0], in[1]); }, {lookups, table},
                          d);
  }
}

TEST_CASE("Embedding: from_pretrained and max_norm", "[nn][embedding]") {
  Tensor table = arange(8.).reshape({4, 2});
  nn::Embedding frozen = nn::Embedding::from_pretrained(table);
  REQUIRE(frozen->weight.is_same(table));  // used as is, as LibTorch
  REQUIRE_FALSE(frozen->weight.requires_grad());
  require_close(frozen(tensor({3L}))[0], tensor({6.f, 7.f}), 0, 0);
  nn::Embedding trainable = nn::Embedding::from_pretrained(
      arange(8.).reshape({4, 2}), nn::EmbeddingFromPretrainedOptions().freeze(false).padding_idx(1));
  REQUIRE(trainable->weight.requires_grad());
  REQUIRE(*trainable->options.padding_idx() == 1);
  require_close(trainable->weight[1], tensor({2.f, 3.f}), 0, 0);  // from_pretrained does not zero the row
  require_throws_with([] { nn::Embedding::from_pretrained(ones({3})); }, {"from_pretrained", "2-dimensional"});

  // PyTorch: t = arange(12.).reshape(4, 3); F.embedding(tensor([1, 3]), t, max_norm=2.0) renormalises rows
  // 1 and 3 in place to norm 2 (scale max_norm / (norm + 1e-7)):
  //   [[0.8485281, 1.1313708, 1.4142134], [1.0357836, 1.1508707, 1.2659577]]
  Tensor t = arange(12.).reshape({4, 3});
  Tensor out = F::embedding(tensor({1, 3}, kLong), t, F::EmbeddingFuncOptions().max_norm(2.0));
  Tensor expected = tensor({0.8485281f, 1.1313708f, 1.4142134f, 1.0357836f, 1.1508707f, 1.2659577f}).reshape({2, 3});
  require_close(out, expected, 1e-6, 1e-6);
  require_close(t[1], expected[0], 1e-6, 1e-6);
  require_close(t[0], tensor({0.f, 1.f, 2.f}), 0, 0);  // rows not looked up are untouched
}

// --- Dropout2d, AlphaDropout -----------------------------------------------------------------------------------------

TEST_CASE("Dropout2d: whole channels, scaled by 1/(1-p), identity in eval mode", "[nn][dropout]") {
  manual_seed(1);
  nn::Dropout2d drop(0.25);
  Tensor x = ones({64, 32, 3, 3});
  Tensor y = drop(x);
  // Each (sample, channel) plane is all zero or all 1/(1-p).
  Tensor plane_max = std::get<0>(y.reshape({64 * 32, 9}).max(1));
  Tensor plane_min = std::get<0>(y.reshape({64 * 32, 9}).min(1));
  require_close(plane_max, plane_min, 0, 0);
  Tensor kept = (plane_max > 0).to(kDouble);
  const double kept_fraction = kept.mean().item<double>();
  REQUIRE(std::abs(kept_fraction - 0.75) < 0.03);
  require_close(std::get<0>(y.max(0)).max(), tensor(1.0f / 0.75f), 1e-6, 0);
  // Unbatched (C, H, W) input: one draw per channel.
  Tensor z = drop(ones({100, 2, 2}));
  REQUIRE(z.sizes() == IntArrayRef({100, 2, 2}));
  drop->eval();
  REQUIRE(drop(x).is_same(x));
  std::ostringstream os;
  os << *drop;
  REQUIRE(os.str() == "ember::nn::Dropout2d(p=0.25, inplace=false)");
  require_throws_with([] { nn::Dropout2d(1.5); }, {"Dropout2d", "between 0 and 1", "1.5"});
  // LibTorch's rule: anything but 4-D is one unbatched sample, channels first.
  Tensor rows = F::dropout2d(ones({200, 3}), F::Dropout2dFuncOptions().p(0.5));
  require_close(std::get<0>(rows.max(1)), std::get<0>(rows.min(1)), 0, 0);
  require_throws_with([] { F::dropout2d(tensor(1.f)); }, {"dropout2d", "at least 2 dimensions"});

  // The gradient is the mask.
  Tensor leaf = ones({4, 8, 2, 2}).requires_grad_();
  Tensor out = F::dropout2d(leaf, F::Dropout2dFuncOptions().p(0.5));
  out.sum().backward();
  require_close(leaf.grad(), out.detach(), 0, 0);
}

TEST_CASE("AlphaDropout: keeps zero mean and unit variance, identity in eval mode", "[nn][dropout]") {
  manual_seed(2);
  nn::AlphaDropout drop(0.2);
  Tensor x = randn({200000});
  Tensor y = drop(x);
  REQUIRE(std::abs(mean_of(y)) < 0.01);
  REQUIRE(std::abs(var_of(y) - 1.0) < 0.02);
  // LibTorch's formula: kept x -> a x + alpha a p, dropped -> -alpha a + alpha a p.
  const double alpha = 1.7580993408473766, p = 0.2;
  const double a = 1. / std::sqrt((alpha * alpha * p + 1) * (1 - p));
  Tensor dropped_value = tensor(-alpha * a + alpha * a * p).to(kFloat);
  Tensor is_dropped = (y - dropped_value).abs() < 1e-6;
  REQUIRE(std::abs(is_dropped.to(kDouble).mean().item<double>() - p) < 0.01);
  Tensor kept_expected = x * a + alpha * a * p;
  Tensor kept_or_dropped = where(is_dropped, dropped_value.expand_as(y), kept_expected);
  require_close(y, kept_or_dropped, 1e-5, 1e-5);
  drop->eval();
  REQUIRE(drop(x).is_same(x));
  // The functional form defaults to training = false, as LibTorch's.
  REQUIRE(F::alpha_dropout(x).is_same(x));
  std::ostringstream os;
  os << *drop;
  REQUIRE(os.str() == "ember::nn::AlphaDropout(p=0.2, inplace=false)");
  require_throws_with([] { F::alpha_dropout(ones({2}), F::AlphaDropoutFuncOptions().p(-0.1)); },
                      {"alpha_dropout", "between 0 and 1"});
}
