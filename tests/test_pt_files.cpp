// ember/pt_file.h and the .pt side of ember/serialize.h: PyTorch's files (written by
// tools/gen_pt_fixtures.py with python3-torch 1.13 into tests/fixtures/pt/) load into ember
// modules and tensors with PyTorch's values, hostile and broken files are refused with the
// rule in the message, and ember's own .pt and archive files round-trip.
#include "helpers.h"

#include <filesystem>
#include <fstream>

#include "ember/nn.h"
#include "ember/pt_file.h"
#include "ember/serialize.h"

using namespace ember;
using namespace ember_test;

namespace {

std::string fixture(const std::string& name) { return std::string(EMBER_FIXTURES_DIR) + "/pt/" + name; }

std::string read_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

// tools/gen_pt_fixtures.py's Block and TinyResNet, under the same names.
struct BlockImpl : nn::Module {
  BlockImpl() {
    conv1 = register_module("conv1", nn::Conv2d(nn::Conv2dOptions(4, 4, 3).padding(1).bias(false)));
    bn1 = register_module("bn1", nn::BatchNorm2d(4));
    conv2 = register_module("conv2", nn::Conv2d(nn::Conv2dOptions(4, 4, 3).padding(1).bias(false)));
    bn2 = register_module("bn2", nn::BatchNorm2d(4));
  }
  Tensor forward(const Tensor& x) {
    Tensor y = bn1(conv1(x)).relu();
    return (bn2(conv2(y)) + x).relu();
  }
  nn::Conv2d conv1{nullptr}, conv2{nullptr};
  nn::BatchNorm2d bn1{nullptr}, bn2{nullptr};
};
EMBER_MODULE(Block);

struct TinyResNetImpl : nn::Module {
  TinyResNetImpl() {
    conv1 = register_module("conv1", nn::Conv2d(nn::Conv2dOptions(3, 4, 3).padding(1)));
    bn1 = register_module("bn1", nn::BatchNorm2d(4));
    block = register_module("block", Block());
    fc = register_module("fc", nn::Linear(4, 5));
  }
  Tensor forward(const Tensor& x) {
    Tensor y = block(bn1(conv1(x)).relu());
    return fc(y.mean({2, 3}));
  }
  nn::Conv2d conv1{nullptr};
  nn::BatchNorm2d bn1{nullptr};
  Block block{nullptr};
  nn::Linear fc{nullptr};
};
EMBER_MODULE(TinyResNet);

void require_logits(TinyResNet& net) {
  const PtValue io = load_pt(fixture("resnet_io.pt"));
  const Tensor x = io.find("input")->toTensor();
  const Tensor expected = io.find("logits")->toTensor();
  net->eval();
  const Tensor got = net->forward(x);
  REQUIRE(got.sizes().equals(expected.sizes()));
  const double err = (got - expected).abs().max().item<double>();
  const double scale = expected.abs().max().item<double>();
  INFO("max error " << err << ", max |logit| " << scale);
  REQUIRE(err <= 1e-4 * scale);
}

template <typename F>
void require_error(F&& f, const std::vector<std::string>& parts) {
  try {
    f();
  } catch (const Error& e) {
    const std::string msg = e.what();
    INFO(msg);
    for (const auto& p : parts) REQUIRE(msg.find(p) != std::string::npos);
    return;
  }
  FAIL("no ember::Error was thrown");
}

}  // namespace

TEST_CASE("pt: a PyTorch state_dict with BatchNorm loads into the equivalent module and gives PyTorch's logits",
          "[serialize][pt]") {
  TinyResNet net;
  load(net, fixture("resnet_state_dict.pt"));
  // The int64 buffer came across as int64: three training steps.
  const Tensor n = net->bn1->named_buffers()["num_batches_tracked"];
  REQUIRE(n.dtype() == kLong);
  REQUIRE(n.item<int64_t>() == 3);
  require_logits(net);
}

TEST_CASE("pt: a TorchScript module archive loads by its parameters and buffers", "[serialize][pt]") {
  const PtValue root = load_pt(fixture("resnet_script.pt"));
  REQUIRE(root.isObject());
  REQUIRE(root.class_name() == "__torch__.TinyResNet");
  REQUIRE(root.find("training")->toBool() == false);
  TinyResNet net;
  load(net, fixture("resnet_script.pt"));
  require_logits(net);
  // The same names as the state_dict file.
  const TensorMap a = pt_tensors(root, "script"), b = pt_tensors(load_pt(fixture("resnet_state_dict.pt")), "sd");
  REQUIRE(a.size() == b.size());
  for (const auto& kv : b) REQUIRE(a.count(kv.first) == 1);
}

// tools/libtorch_save_fixture.cpp's Net, under the same names.
struct LtNetImpl : nn::Module {
  LtNetImpl() {
    fc = register_module("fc", nn::Linear(3, 2));
    bn = register_module("bn", nn::BatchNorm1d(2));
  }
  nn::Linear fc{nullptr};
  nn::BatchNorm1d bn{nullptr};
};
EMBER_MODULE(LtNet);

TEST_CASE("pt: what LibTorch's torch::save writes for a module, a tensor and a vector loads", "[serialize][pt]") {
  LtNet net;
  load(net, fixture("libtorch_module.pt"));
  // The values Python's torch.jit.load finds in the same archive.
  const TensorMap want = pt_tensors(load_pt(fixture("libtorch_module_expected.pt")), "expected");
  const TensorMap got = state_dict(*net);
  REQUIRE(got.size() == want.size());
  for (const auto& kv : want) {
    INFO(kv.first);
    require_equal(got.at(kv.first), kv.second);
  }
  REQUIRE(got.at("bn.num_batches_tracked").item<int64_t>() == 1);
  Tensor t;
  load(t, fixture("libtorch_tensor.pt"));
  require_equal(t, arange(6, kFloat).reshape({2, 3}).t());
  std::vector<Tensor> v;
  load(v, fixture("libtorch_vector.pt"));
  REQUIRE(v.size() == 2);
  require_equal(v[0], ones({2}));
  require_equal(v[1], arange(3, kLong));
}

TEST_CASE("pt: float64, transposed, offset and shared-storage tensors keep their values and sharing",
          "[serialize][pt]") {
  Tensor f;
  load(f, fixture("float64.pt"));
  REQUIRE(f.dtype() == kDouble);
  require_equal(f, arange(6, kDouble).reshape({2, 3}) / 4);

  const Tensor base = arange(12, kFloat).reshape({3, 4});
  const Tensor t = load_pt(fixture("transposed.pt")).toTensor();
  REQUIRE(t.strides().vec() == std::vector<int64_t>{1, 4});
  require_equal(t, base.t());
  const Tensor v = load_pt(fixture("offset_view.pt")).toTensor();
  REQUIRE(v.storage_offset() == 5);
  require_equal(v.contiguous(), base.slice(0, 1, 3).slice(1, 1, 4, 2).contiguous());

  std::vector<Tensor> list;
  load(list, fixture("shared_list.pt"));
  REQUIRE(list.size() == 3);
  const Tensor whole = arange(10, kLong);
  require_equal(list[0], whole.slice(0, 0, 4));
  require_equal(list[1], whole.slice(0, 2, 8).view({2, 3}));
  require_equal(list[2], whole);
  // One storage in Python, one in ember: writing through one view shows in the others.
  list[2].fill_(-1);
  REQUIRE(list[0].sum().item<int64_t>() == -4);
  REQUIRE(list[1].sum().item<int64_t>() == -6);
}

TEST_CASE("pt: lists, tuples, dicts, numbers, strings and None", "[serialize][pt]") {
  const PtValue root = load_pt(fixture("containers.pt"));
  REQUIRE(root.isDict());
  REQUIRE(root.entries().size() == 3);
  require_equal(root.find("a")->toTensor(), tensor({1.5f, -2.0f}));
  const auto& b = root.find("b")->elements();
  REQUIRE(root.find("b")->kind() == PtValue::Kind::List);
  REQUIRE(b.size() == 5);
  REQUIRE(b[0].toTensor().item<bool>() == true);
  REQUIRE(b[1].toInt() == 3);
  REQUIRE(b[2].toDouble() == 2.5);
  REQUIRE(b[3].toStringRef() == "text");
  REQUIRE(b[4].isNone());
  const PtValue& c = *root.find("c");
  REQUIRE(c.kind() == PtValue::Kind::Tuple);
  REQUIRE(c.elements()[0].toTensor().sizes().vec() == std::vector<int64_t>{0, 2});
  REQUIRE(c.elements()[1].find("n")->toTensor().item<int64_t>() == 7);
  require_error([&] { (void)b[1].toDouble(); }, {"Expected Double but got Int"});
  // Not a state_dict: loading it into a module names the entry that is not a tensor.
  require_error([&] { (void)pt_tensors(root, "containers.pt"); }, {"containers.pt", "\"b\" is a List, not a tensor"});
}

TEST_CASE("pt: hostile and broken files are refused naming the file and the rule", "[serialize][pt]") {
  require_equal(load_pt(fixture("ok_handmade.pt")).toTensor(), tensor({1.f, 2.f, 3.f, 4.f}).view({2, 2}));
  // The same file in the ZIP64 layout (sizes and offsets in ZIP64 extra fields and end record).
  require_equal(load_pt(fixture("zip64.pt")).toTensor(), tensor({1.f, 2.f, 3.f, 4.f}).view({2, 2}));
  const std::vector<std::pair<std::string, std::vector<std::string>>> cases{
      {"legacy.pt", {"legacy format", "_use_new_zipfile_serialization=True"}},
      {"bad_global.pt", {"bad_global.pt", "global 'os.system' is not allowed"}},
      {"bad_stride.pt", {"reaches element 4 of a storage of 4 elements"}},
      {"bad_offset.pt", {"reaches element 4 of a storage of 4 elements"}},
      {"bad_storage_size.pt", {"should hold 5 elements", "16 bytes"}},
      {"missing_storage.pt", {"has no record 'archive/data/0'"}},
      {"int32_storage.pt", {"torch.IntStorage", "float32, float64, int64 and bool"}},
      {"deep.pt", {"nest deeper than 500 levels"}},
      {"self_list.pt", {"put inside itself"}},
      {"bad_memo.pt", {"memo entry 7 is read before it is written"}},
  };
  for (const auto& c : cases) {
    INFO(c.first);
    require_error([&] { (void)load_pt(fixture(c.first)); }, c.second);
  }
  TinyResNet net;
  require_error([&] { load(net, fixture("legacy.pt")); }, {"legacy"});
}

TEST_CASE("pt: every truncation and every flipped byte of a file is refused or read consistently", "[serialize][pt]") {
  const std::string bytes = read_bytes(fixture("resnet_state_dict.pt"));
  REQUIRE(bytes.size() > 1000);
  for (size_t n = 0; n < bytes.size(); n += 7) {
    INFO("first " << n << " bytes");
    require_error([&] { (void)load_pt_from_bytes(bytes.data(), n, "cut.pt"); }, {"cut.pt"});
  }
  // A flipped byte is refused (entry data and the pickle are CRC-checked, names and offsets
  // cross-checked) or lies where no reader looks (padding, timestamps): then the same tensors
  // load. Never different data without an error.
  const size_t refused = flip_sweep_pt(bytes);
  REQUIRE(refused > bytes.size() / 3 / 2);
}

TEST_CASE("pt: save_pt writes what load_pt reads; floating dtypes convert to the parameter's", "[serialize][pt]") {
  TempDir dir;
  manual_seed(3);
  const TensorMap in{{"w", randn({3, 4}, kDouble).t()},
                     {"i", tensor({int64_t(1) << 40, int64_t(-2)})},
                     {"b", tensor({true, false})},
                     {"s", tensor(2.5f)},
                     {"e", empty({0, 3})}};
  save_pt(in, dir.file("x.pt"));
  const TensorMap out = pt_tensors(load_pt(dir.file("x.pt")), "x.pt");
  REQUIRE(out.size() == in.size());
  for (const auto& kv : in) require_equal(out.at(kv.first), kv.second.contiguous());
  REQUIRE(read_bytes(dir.file("x.pt")) == save_pt_to_bytes(in));

  nn::Linear lin(2, 3);
  save_pt({{"weight", ones({3, 2}, kDouble)}, {"bias", zeros({3}, kDouble)}}, dir.file("lin64.pt"));
  load(lin, dir.file("lin64.pt"));
  REQUIRE(lin->weight.dtype() == kFloat);
  REQUIRE(lin->weight.sum().item<float>() == 6.f);
  save_pt({{"weight", ones({3, 2}, kLong)}, {"bias", zeros({3})}}, dir.file("lin_int.pt"));
  require_error([&] { load(lin, dir.file("lin_int.pt")); }, {"lin_int.pt", "weight: dtype int64 in the file"});
  save_pt({{"weight", ones({2, 2})}, {"bias", zeros({3})}}, dir.file("lin_shape.pt"));
  require_error([&] { load(lin, dir.file("lin_shape.pt")); }, {"weight: shape [2, 2] in the file"});
}

TEST_CASE("torch::save / load of tensors and vectors; OutputArchive and InputArchive", "[serialize][pt]") {
  TempDir dir;
  const Tensor a = arange(6, kFloat).view({2, 3});
  save(a, dir.file("t.st"));
  Tensor back;
  load(back, dir.file("t.st"));
  require_equal(back, a);
  save(std::vector<Tensor>{a, tensor({int64_t(4)})}, dir.file("v.st"));
  std::vector<Tensor> vec;
  load(vec, dir.file("v.st"));
  REQUIRE(vec.size() == 2);
  require_equal(vec[1], tensor({int64_t(4)}));
  require_error([&] { load(back, dir.file("v.st")); }, {"holds 2 tensors"});

  serialize::OutputArchive sub, top;
  sub.write("w", a);
  sub.write("lr", IValue(0.1));
  top.write("sub", sub);
  top.write("steps", IValue(int64_t(7)));
  top.write("name", IValue("net"));
  top.write("flag", IValue(true));
  top.save_to(dir.file("arch.st"));
  serialize::InputArchive in;
  in.load_from(dir.file("arch.st"));
  REQUIRE(in.keys() == std::vector<std::string>{"flag", "name", "steps", "sub.lr", "sub.w"});
  IValue v;
  in.read("steps", v);
  REQUIRE(v.toInt() == 7);
  in.read("name", v);
  REQUIRE(v.toStringRef() == "net");
  serialize::InputArchive nested;
  in.read("sub", nested);
  nested.read("lr", v);
  REQUIRE(v.toDouble() == 0.1);
  Tensor w = zeros({2, 3});
  const Tensor same = w;
  nested.read("w", w);
  REQUIRE(w.data_ptr() == same.data_ptr());  // read into the tensor given, as into a parameter
  require_equal(w, a);
  Tensor wrong = zeros({3});
  require_error([&] { nested.read("w", wrong); }, {"\"w\" has shape [2, 3]"});
  require_error([&] { in.read("nope", w); }, {"has no tensor \"nope\"", "sub.w"});
  REQUIRE_FALSE(in.try_read("nope", v));
  // The TorchScript archive through an InputArchive: tensors and plain attributes by dotted name.
  serialize::InputArchive script;
  script.load_from(fixture("resnet_script.pt"));
  Tensor rm;
  script.read("block.bn2.running_mean", rm);
  REQUIRE(rm.sizes().vec() == std::vector<int64_t>{4});
  script.read("block.bn2.training", v);
  REQUIRE(v.toBool() == false);
  // A torch.save'd dict: its tensors (and plain values) by key; lists and tuples are not read.
  serialize::InputArchive dict;
  dict.load_from(fixture("containers.pt"));
  REQUIRE(dict.keys() == std::vector<std::string>{"a"});
  Tensor a2;
  dict.read("a", a2);
  require_equal(a2, tensor({1.5f, -2.0f}));
}
