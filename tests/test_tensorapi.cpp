// The Tensor conveniences (issue 12 item 2): pointwise, structure, reductions, products and
// factories against PyTorch 1.13 (tests/fixtures/tensorapi.txt, tools/gen_tensorapi_fixtures.py)
// on every test device in float64 and float32, with their gradients, float64 gradchecks, the
// node names LibTorch gives, and the errors in LibTorch's words.
#include <limits>

#include "ember/ember.h"
#include "helpers.h"

using namespace ember;
using ember_test::CaseOptions;
using ember_test::check_case;
using ember_test::fixtures;
using ember_test::node_name;
using ember_test::require_close;
using ember_test::require_equal;
using ember_test::require_throws_with;
using ember_test::rnd;
using ember_test::TensorFn;

namespace {
const char* kFile = "tensorapi";

void check(const std::string& name, const TensorFn& fn, CaseOptions o = {}) {
  INFO("case " << name);
  check_case(kFile, name, fn, o);
}
/// Cases whose output is bool or an integer (no gradient, no float32 rerun needed).
void check_exact(const std::string& name, const TensorFn& fn) {
  CaseOptions o;
  o.grads = false;
  o.gradcheck = false;
  o.float32 = false;
  check(name, fn, o);
}
const Tensor& fx(const std::string& name) { return fixtures(kFile)[name]; }
}  // namespace

TEST_CASE("tensorapi: rounding, reciprocals, logs and trigonometry match PyTorch", "[tensorapi]") {
  check("floor", [](const auto& v) { return v[0].floor(); });
  check("ceil", [](const auto& v) { return ember::ceil(v[0]); });
  check("round", [](const auto& v) { return v[0].round(); });
  check("trunc", [](const auto& v) { return ember::trunc(v[0]); });
  check("frac", [](const auto& v) { return v[0].frac(); });
  check("sin", [](const auto& v) { return ember::sin(v[0]); });
  check("cos", [](const auto& v) { return v[0].cos(); });
  check("exp2", [](const auto& v) { return v[0].exp2(); });
  check("sign", [](const auto& v) { return v[0].sign(); });
  check("square", [](const auto& v) { return ember::square(v[0]); });
  check("rsqrt", [](const auto& v) { return v[0].rsqrt(); });
  check("log2", [](const auto& v) { return ember::log2(v[0]); });
  check("log10", [](const auto& v) { return v[0].log10(); });
  check("reciprocal", [](const auto& v) { return v[0].reciprocal(); });
  CaseOptions no_grad;
  no_grad.gradcheck = false;
  check(
      "round_half", [](const auto& v) { return ember::round(v[0]); }, no_grad);  // half to even
}

TEST_CASE("tensorapi: rounding keeps integers, refuses bool; float ops promote integers", "[tensorapi]") {
  Tensor i = tensor({-3, 0, 5});
  require_equal(i.floor(), i);
  require_equal(ember::round(i), i);
  CHECK(ember::sin(i).dtype() == kFloat);
  CHECK(tensor({true, false}).sign().dtype() == kBool);
  require_throws_with([] { tensor({true}).floor(); }, {"floor", "not implemented for 'Bool'"});
  require_throws_with([] { tensor({1, 2}).frac(); }, {"frac", "not implemented"});
}

TEST_CASE("tensorapi: fmod and remainder (C's and Python's sign rules) match PyTorch", "[tensorapi]") {
  check("fmod", [](const auto& v) { return ember::fmod(v[0], v[1]); });
  check("remainder", [](const auto& v) { return v[0].remainder(v[1]); });
  check("fmod_scalar", [](const auto& v) { return v[0].fmod(-1.5); });
  check("remainder_scalar", [](const auto& v) { return ember::remainder(v[0], -1.5); });
  check_exact("fmod_int", [](const auto& v) { return v[0].fmod(v[1]); });
  check_exact("remainder_int", [](const auto& v) { return ember::remainder(v[0], v[1]); });
  require_throws_with([] { tensor({1, 2}).fmod(tensor({1, 0})); }, {"fmod", "ZeroDivisionError"});
  require_throws_with([] { tensor({1, 2}).remainder(0); }, {"remainder", "ZeroDivisionError"});
}

TEST_CASE("tensorapi: isnan, isinf, isfinite, nan_to_num, isclose match PyTorch", "[tensorapi]") {
  check_exact("isnan", [](const auto& v) { return v[0].isnan(); });
  check_exact("isinf", [](const auto& v) { return ember::isinf(v[0]); });
  check_exact("isfinite", [](const auto& v) { return v[0].isfinite(); });
  CaseOptions o;  // float64 only: the default posinf is the dtype's largest value
  o.grads = false;
  o.gradcheck = false;
  o.float32 = false;
  check(
      "nan_to_num", [](const auto& v) { return v[0].nan_to_num(); }, o);
  check(
      "nan_to_num_args", [](const auto& v) { return ember::nan_to_num(v[0], 1.5, 100.0, -100.0); }, o);
  check_exact("isclose", [](const auto& v) { return v[0].isclose(v[1], 1e-3, 1e-4); });
  CHECK(ember::isinf(tensor({1, 2})).sum().item<int64_t>() == 0);
  CHECK(ember::isfinite(tensor({1, 2})).all().item<bool>());
  // nan_to_num's default posinf is the dtype's largest value.
  CHECK(full({1}, std::numeric_limits<double>::infinity()).nan_to_num().item<float>() ==
        std::numeric_limits<float>::max());
  // Its gradient passes where x was finite.
  Tensor x = tensor({1.0, std::numeric_limits<double>::quiet_NaN(), 2.0}, kDouble).requires_grad_();
  x.nan_to_num().sum().backward();
  require_close(x.grad(), tensor({1.0, 0.0, 1.0}, kDouble), 0, 0);
}

TEST_CASE("tensorapi: lerp and clamp with tensor bounds match PyTorch", "[tensorapi]") {
  check("lerp_scalar", [](const auto& v) { return v[0].lerp(v[1], 0.3); });
  check("lerp_scalar_high", [](const auto& v) { return ember::lerp(v[0], v[1], 0.8); });
  check("lerp_tensor", [](const auto& v) { return v[0].lerp(v[1], v[2]); });
  check("clamp_tensor", [](const auto& v) { return v[0].clamp(v[1], v[2]); });
  check("clamp_tensor_min", [](const auto& v) { return ember::clamp(v[0], v[1], std::nullopt); });
  require_throws_with([] { rnd({2}).clamp(std::optional<Tensor>(), std::optional<Tensor>()); },
                      {"clamp", "At least one of 'min' or 'max' must not be None"});
  require_throws_with([] { rnd({2}).lerp(rnd({2}, kDouble), 0.5); }, {"lerp", "expected dtype"});
}

TEST_CASE("tensorapi: logical and bitwise ops match PyTorch", "[tensorapi]") {
  check_exact("logical_and", [](const auto& v) { return v[0].logical_and(v[1]); });
  check_exact("logical_or", [](const auto& v) { return ember::logical_or(v[0], v[1]); });
  check_exact("logical_xor", [](const auto& v) { return v[0].logical_xor(v[1]); });
  check_exact("logical_not", [](const auto& v) { return v[0].logical_not(); });
  for (const char* op : {"bitwise_and", "bitwise_or", "bitwise_xor"}) {
    const std::string name = op;
    auto fn = [name](const Tensor& a, const Tensor& b) {
      return name == "bitwise_and"  ? a.bitwise_and(b)
             : name == "bitwise_or" ? ember::bitwise_or(a, b)
                                    : a.bitwise_xor(b);
    };
    check_exact(name, [fn](const auto& v) { return fn(v[0], v[1]); });
    check_exact(name + "_bool", [fn](const auto& v) { return fn(v[0], v[1]); });
  }
  check_exact("bitwise_not", [](const auto& v) { return v[0].bitwise_not(); });
  require_equal(tensor({12, 5}).bitwise_and(6), tensor({4, 4}));
  require_equal(tensor({true, false}).bitwise_not(), tensor({false, true}));
  require_throws_with([] { rnd({2}).bitwise_and(rnd({2})); }, {"bitwise_and", "not implemented for 'Float'"});
  require_throws_with([] { tensor({1}).bitwise_or(1.5); }, {"bitwise_or", "not implemented"});
}

TEST_CASE("tensorapi: pointwise nodes carry LibTorch's names", "[tensorapi]") {
  Tensor x = rnd({3}, kDouble).abs().add(0.5).requires_grad_();
  CHECK(node_name(x.floor()) == "FloorBackward0");
  CHECK(node_name(x.round()) == "RoundBackward0");
  CHECK(node_name(x.frac()) == "FracBackward0");
  CHECK(node_name(x.reciprocal()) == "ReciprocalBackward0");
  CHECK(node_name(x.rsqrt()) == "RsqrtBackward0");
  CHECK(node_name(x.log2()) == "Log2Backward0");
  CHECK(node_name(x.sin()) == "SinBackward0");
  CHECK(node_name(x.square()) == "PowBackward0");
  CHECK(node_name(x.fmod(x)) == "FmodBackward1");
  CHECK(node_name(x.fmod(2)) == "FmodBackward0");
  CHECK(node_name(x.remainder(x)) == "RemainderBackward1");
  CHECK(node_name(x.sign()) == "SignBackward0");
}

TEST_CASE("tensorapi: flip, roll, rot90, repeat, tile, repeat_interleave match PyTorch", "[tensorapi]") {
  check("flip", [](const auto& v) { return v[0].flip({0, 2}); });
  check("roll", [](const auto& v) { return v[0].roll({1, -5}, {2, 1}); });
  check("roll_flat", [](const auto& v) { return ember::roll(v[0], {5}); });
  check("rot90", [](const auto& v) { return v[0].rot90(1, {1, 2}); });
  check("rot90_neg", [](const auto& v) { return ember::rot90(v[0], -1, {2, 0}); });
  check("rot90_two", [](const auto& v) { return v[0].rot90(2); });
  check("repeat", [](const auto& v) { return v[0].repeat({2, 1, 3}); });
  check("tile", [](const auto& v) { return ember::tile(v[0], {2}); });
  check("repeat_interleave", [](const auto& v) { return v[0].repeat_interleave(2, 1); });
  check("repeat_interleave_flat", [](const auto& v) { return ember::repeat_interleave(v[0], 3); });
  check("repeat_interleave_tensor", [](const auto& v) { return v[0].repeat_interleave(v[1], 0); });
  require_equal(ember::repeat_interleave(fx("repeat_interleave_index.in0")), fx("repeat_interleave_index.out"));
  Tensor x = rnd({2, 3}, kDouble).requires_grad_();
  CHECK(node_name(x.flip({0})) == "FlipBackward0");
  CHECK(node_name(x.roll({1}, {1})) == "RollBackward0");
  CHECK(node_name(x.repeat({2, 2})) == "RepeatBackward0");
  require_throws_with([] { rnd({2, 3}).flip({0, -2}); }, {"flip", "dims has duplicates"});
  require_throws_with([] { rnd({2, 3}).flip({2}); }, {"flip", "out of range"});
  require_throws_with([] { rnd({2, 3}).roll({1, 2}); }, {"roll", "shifts and dimensions must align"});
  require_throws_with([] { rnd({2, 3}).rot90(1, {0, 0}); }, {"rot90", "expected rotation dims to be different"});
  require_throws_with([] { rnd({2}).rot90(); }, {"rot90", "expected total dims >= 2"});
  require_throws_with(
      [] {
        rnd({2, 3}).repeat({2});
      },
      {"repeat", "Number of dimensions of repeat dims can not be smaller"});
  require_throws_with(
      [] {
        rnd({3}).repeat_interleave(tensor({1, 2}));
      },
      {"repeat_interleave", "repeats must have the same size as input along dim"});
  require_throws_with([] { rnd({3}).repeat_interleave(-1); }, {"repeat_interleave", "repeats can not be negative"});
}

TEST_CASE("tensorapi: chunk, split, unbind and meshgrid match PyTorch", "[tensorapi]") {
  auto joined = [](const std::vector<Tensor>& parts) {
    std::vector<Tensor> scaled;
    for (size_t i = 0; i < parts.size(); ++i) scaled.push_back(parts[i] * double(i + 1));
    return cat(scaled);
  };
  check("chunk", [&](const auto& v) { return joined(v[0].chunk(3)); });
  check("split", [&](const auto& v) { return joined(ember::split(v[0], 3)); });
  check("split_sizes", [&](const auto& v) { return joined(v[0].split({1, 4, 2})); });
  check("unbind", [&](const auto& v) { return joined(v[0].unbind(1)); });
  check("meshgrid_ij", [](const auto& v) { return stack(meshgrid({v[0], v[1]}, "ij")); });
  check("meshgrid_xy", [](const auto& v) { return stack(meshgrid({v[0], v[1], v[2]}, "xy")); });
  CHECK(rnd({7, 2}).chunk(3).size() == 3);
  CHECK(rnd({6}).chunk(4).size() == 3);  // pieces of ceil(6 / 4) = 2, as LibTorch
  CHECK(rnd({0}).chunk(2).size() == 2);
  require_throws_with([] { rnd({3}).chunk(0); }, {"chunk", "expects `chunks` to be greater than 0, got: 0"});
  require_throws_with([] { rnd({3}).split({1, 1}); }, {"split_with_sizes", "to sum exactly to 3"});
  require_throws_with([] { rnd({3}).split(0); }, {"split", "split_size can only be 0 if dimension size is 0"});
  require_throws_with([] { meshgrid({rnd({2, 2})}); }, {"meshgrid", "Expected 0D or 1D tensor"});
  require_throws_with([] { meshgrid({rnd({2})}, "yx"); }, {"meshgrid", "indexing must be one of \"xy\" or \"ij\""});
}

TEST_CASE("tensorapi: tril, triu, diag and outer match PyTorch", "[tensorapi]") {
  check("tril", [](const auto& v) { return v[0].tril(-1); });
  check("triu", [](const auto& v) { return ember::triu(v[0], 1); });
  check("tril_wide", [](const auto& v) { return v[0].tril(2); });
  check("diag_vec", [](const auto& v) { return v[0].diag(); });
  check("diag_vec_up", [](const auto& v) { return ember::diag(v[0], 2); });
  check("diag_vec_down", [](const auto& v) { return v[0].diag(-1); });
  check("diag_mat", [](const auto& v) { return v[0].diag(); });
  check("diag_mat_up", [](const auto& v) { return v[0].diag(1); });
  check("diag_mat_down", [](const auto& v) { return ember::diag(v[0], -2); });
  check("outer", [](const auto& v) { return v[0].outer(v[1]); });
  CHECK(node_name(rnd({2, 2}, kDouble).requires_grad_().tril()) == "TrilBackward0");
  require_equal(tensor({{1, 2}, {3, 4}}).triu(), tensor({{1, 2}, {0, 4}}));
  require_throws_with([] { rnd({3}).tril(); }, {"tril", "must have at least 2 dimensions"});
  require_throws_with([] { rnd({2, 2, 2}).diag(); }, {"diag", "Supports 1D or 2D tensors. Got 3D"});
  require_throws_with([] { rnd({2, 2}).outer(rnd({2})); }, {"outer", "Expected 1-D argument self, but got 2-D"});
}

TEST_CASE("tensorapi: norm, prod, cumsum, cumprod, std, var, logsumexp match PyTorch", "[tensorapi]") {
  check("norm", [](const auto& v) { return v[0].norm(); });
  check("norm_p1", [](const auto& v) { return v[0].norm(1, {1}); });
  check("norm_inf", [](const auto& v) { return ember::norm(v[0], std::numeric_limits<double>::infinity(), {0, 2}); });
  check("norm_neg_inf", [](const auto& v) { return v[0].norm(-std::numeric_limits<double>::infinity(), {2}, true); });
  check("norm_p0", [](const auto& v) { return v[0].norm(0, {1}); });
  check("norm_p3", [](const auto& v) { return v[0].norm(3, {1, 2}, true); });
  check("norm_p1_5", [](const auto& v) { return v[0].norm(1.5, {1}); });
  check("norm_p0_5", [](const auto& v) { return ember::norm(v[0], 0.5, {2}); });
  check("prod", [](const auto& v) { return v[0].prod(); });
  check("prod_dim", [](const auto& v) { return ember::prod(v[0], 1); });
  check("prod_keepdim", [](const auto& v) { return v[0].prod(0, true); });
  check("cumsum", [](const auto& v) { return v[0].cumsum(1); });
  check("cumsum_dim0", [](const auto& v) { return ember::cumsum(v[0], 0); });
  check("cumprod", [](const auto& v) { return v[0].cumprod(1); });
  check("cumprod_dim0", [](const auto& v) { return ember::cumprod(v[0], 0); });
  require_equal(fx("cumsum_int.in0").cumsum(1), fx("cumsum_int.out"));
  require_equal(fx("cumsum_int.in0").prod(0), fx("prod_int.out"));
  CHECK(tensor({true, true}).cumsum(0).dtype() == kLong);
  check("std", [](const auto& v) { return v[0].std(); });
  check("std_dim", [](const auto& v) { return v[0].std({1}, false, true); });
  check("var", [](const auto& v) { return ember::var(v[0]); });
  check("var_dims", [](const auto& v) { return v[0].var({0, 2}); });
  check("var_correction", [](const auto& v) { return v[0].var({2}, std::optional<int64_t>(2)); });
  check("logsumexp", [](const auto& v) { return v[0].logsumexp({1}); });
  check("logsumexp_keepdim", [](const auto& v) { return ember::logsumexp(v[0], {0, 2}, true); });
  Tensor x = rnd({3}, kDouble).requires_grad_();
  CHECK(node_name(x.cumsum(0)) == "CumsumBackward0");
  CHECK(node_name(x.norm()) == "NormBackward0");
  CHECK(node_name(x.norm(2, {0})) == "NormBackward1");
  // The 2-norm of zeros has a zero gradient, not NaN.
  Tensor z = zeros({3}, kDouble).requires_grad_();
  z.norm().backward();
  require_close(z.grad(), zeros({3}, kDouble), 0, 0);
  require_throws_with([] { tensor({1, 2}).std(); }, {"std", "only support floating point"});
  require_throws_with([] { tensor({1, 2}).norm(); }, {"norm", "input dtype should be either floating point"});
  require_throws_with([] { rnd({2}).cumsum(1); }, {"cumsum", "out of range"});
}

TEST_CASE("tensorapi: all and any match PyTorch", "[tensorapi]") {
  check_exact("all", [](const auto& v) { return v[0].all(); });
  check_exact("all_dim", [](const auto& v) { return ember::all(v[0], 1); });
  check_exact("any_dim", [](const auto& v) { return v[0].any(0); });
  check_exact("any_keepdim", [](const auto& v) { return ember::any(v[0], 1, true); });
  CHECK(zeros({0}).all().item<bool>());
  CHECK_FALSE(zeros({0}).any().item<bool>());
}

TEST_CASE("tensorapi: addmm, addmv, baddbmm, bmm, mv, dot match PyTorch", "[tensorapi]") {
  check("addmm", [](const auto& v) { return v[0].addmm(v[1], v[2], 0.5, 2.0); });
  check("addmv", [](const auto& v) { return ember::addmv(v[0], v[1], v[2], -1.0, 0.5); });
  check("baddbmm", [](const auto& v) { return v[0].baddbmm(v[1], v[2], 2.0, -1.0); });
  check("bmm", [](const auto& v) { return v[0].bmm(v[1]); });
  check("mv", [](const auto& v) { return v[0].mv(v[1]); });
  check("dot", [](const auto& v) { return ember::dot(v[0], v[1]); });
  // beta = 0 ignores the input, NaN included.
  Tensor nan = full({2, 2}, std::numeric_limits<double>::quiet_NaN());
  CHECK_FALSE(ember::addmm(nan, ones({2, 3}), ones({3, 2}), 0).isnan().any().item<bool>());
  require_throws_with(
      [] {
        rnd({2}).addmm(rnd({2, 3}), rnd({4, 2}));
      },
      {"addmm", "mat1 and mat2 shapes cannot be multiplied (2x3 and 4x2)"});
  require_throws_with([] { rnd({2, 3}).bmm(rnd({2, 3, 4})); }, {"bmm", "batch1 must be a 3D tensor"});
  require_throws_with(
      [] {
        rnd({2, 3, 4}).bmm(rnd({2, 5, 4}));
      },
      {"bmm", "Expected size for first two dimensions of batch2 tensor to be: [2, 4] but got: [2, 5]"});
  require_throws_with([] { rnd({3}).dot(rnd({4})); }, {"dot", "inconsistent tensor size"});
}

TEST_CASE("tensorapi: einsum matches PyTorch for the common equations", "[tensorapi]") {
  check("einsum_mm", [](const auto& v) { return einsum("ij,jk->ik", {v[0], v[1]}); });
  check("einsum_bmm", [](const auto& v) { return einsum("bij,bjk->bik", {v[0], v[1]}); });
  check("einsum_dot", [](const auto& v) { return einsum("i,i->", {v[0], v[1]}); });
  check("einsum_t", [](const auto& v) { return einsum("ij->ji", {v[0]}); });
  check("einsum_attn", [](const auto& v) { return einsum("bhid,bhjd->bhij", {v[0], v[1]}); });
  check("einsum_implicit", [](const auto& v) { return einsum("ij,jk", {v[0], v[1]}); });
  check("einsum_outer", [](const auto& v) { return einsum("i,j->ij", {v[0], v[1]}); });
  check("einsum_sum", [](const auto& v) { return einsum("ijk->j", {v[0]}); });
  check("einsum_three", [](const auto& v) { return einsum("ij,jk,kl->il", {v[0], v[1], v[2]}); });
  check("einsum_bilinear", [](const auto& v) { return einsum("bn,anm,bm->ba", {v[0], v[1], v[2]}); });
  require_throws_with(
      [] {
        einsum("ij,jk->ik", {rnd({2, 3}), rnd({4, 2})});
      },
      {"einsum", "subscript j has size 4 for operand 1"});
  require_throws_with([] { einsum("ij->ik", {rnd({2, 3})}); }, {"einsum", "output subscript k does not appear"});
  require_throws_with([] { einsum("ij", {rnd({2, 3}), rnd({2})}); }, {"einsum", "more operands were provided"});
}

TEST_CASE("tensorapi: linspace, logspace, arange, new_*, empty_strided and from_blob with a deleter", "[tensorapi]") {
  using ember_test::tol_for;
  // PyTorch's kernel counts whole vectors of lanes from one end (with fused multiply-adds), so a
  // value near the middle may be a rounding apart from ember's.
  require_close(linspace(-1.3, 2.9, 11), fx("linspace_f32"), tol_for(kFloat));
  require_close(linspace(-1.3, 2.9, 11, kDouble), fx("linspace_f64"), tol_for(kDouble));
  require_close(linspace(3.0, 5.0, 1), fx("linspace_one"), 0, 0);
  require_equal(linspace(0, 10, 4, kLong), fx("linspace_int"));
  require_close(logspace(-2.0, 3.0, 6, 10.0, kDouble), fx("logspace"), tol_for(kDouble));
  require_close(logspace(0.0, 4.0, 5, 2.0, kDouble), fx("logspace_base2"), tol_for(kDouble));
  require_equal(arange(2, 11, 3), fx("arange_int"));  // integer arguments give int64
  require_close(arange(0.0, 1.0, 0.3), fx("arange_float"), tol_for(kFloat));
  require_throws_with([] { linspace(0, 1, -1); }, {"linspace", "number of steps must be non-negative"});

  Tensor d = rnd({2}, kDouble);
  Tensor z = d.new_zeros({2, 3});
  CHECK(z.dtype() == kDouble);
  CHECK(z.sizes() == IntArrayRef({2, 3}));
  CHECK(d.new_ones({4}, kFloat).dtype() == kFloat);
  CHECK(d.new_full({2}, 7).sum().item<double>() == 14.0);
  CHECK(d.new_empty({3}).numel() == 3);

  Tensor s = empty_strided({2, 3}, {1, 2});
  CHECK(s.strides() == IntArrayRef({1, 2}));
  CHECK_FALSE(s.is_contiguous());
  CHECK_FALSE(s.is_view());
  s.fill_(2.5);
  CHECK(s.sum().item<float>() == 15.0f);
  require_throws_with([] { empty_strided({2, 3}, {1}); }, {"empty_strided", "mismatch in length of strides and shape"});

  int deleted = 0;
  float* buffer = new float[6]{1, 2, 3, 4, 5, 6};
  {
    Tensor b = from_blob(buffer, {2, 3}, [&deleted](void* p) {
      delete[] static_cast<float*>(p);
      ++deleted;
    });
    Tensor view = b.t();
    b = Tensor();
    CHECK(deleted == 0);  // the view still holds the memory
    CHECK(view.sum().item<float>() == 21.0f);
  }
  CHECK(deleted == 1);
}

TEST_CASE("tensorapi: CUDA matches the CPU for the new pointwise, structure and reduction ops", "[cuda]") {
  EMBER_REQUIRE_CUDA();
  for (ScalarType dt : {kFloat, kDouble}) {
    Tensor x = ember_test::rnd({5, 7}, dt) * 3, y = ember_test::rnd({5, 7}, dt).abs() + 0.5;
    auto same = [&](const std::function<Tensor(const Tensor&, const Tensor&)>& f) {
      Tensor c = f(x, y), g = f(x.cuda(), y.cuda());
      CHECK(g.is_cuda());
      require_close(g.cpu(), c, ember_test::tol_for(dt));
    };
    same([](const Tensor& a, const Tensor&) { return a.floor(); });
    same([](const Tensor& a, const Tensor&) { return a.round(); });
    same([](const Tensor& a, const Tensor&) { return a.frac(); });
    same([](const Tensor& a, const Tensor&) { return a.sin() + a.cos() + a.exp2(); });
    same([](const Tensor&, const Tensor& b) { return b.rsqrt() + b.log2() + b.log10() + b.reciprocal(); });
    same([](const Tensor& a, const Tensor& b) { return a.fmod(b) + a.remainder(-b); });
    same([](const Tensor& a, const Tensor& b) { return a.logical_xor(b.floor()).to(a.dtype()); });
    same([](const Tensor& a, const Tensor&) { return a.flip({0, 1}).roll({2}, {1}).tril(1); });
    same([](const Tensor& a, const Tensor&) { return a.cumsum(1) + a.cumprod(0); });
    same([](const Tensor& a, const Tensor&) { return a.norm(3, {1}) + a.std({1}) + a.logsumexp({1}); });
    same([](const Tensor& a, const Tensor& b) { return einsum("ij,kj->ik", {a, b}); });
  }
  Tensor i = tensor({12, -5, 7}), j = tensor({10, 3, -8});
  require_equal(i.cuda().bitwise_xor(j.cuda()).cpu(), i.bitwise_xor(j));
  require_equal(i.cuda().bitwise_not().cpu(), i.bitwise_not());
}
