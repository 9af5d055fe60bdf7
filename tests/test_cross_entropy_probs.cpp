// F::cross_entropy with class-probability targets (a target of the input's shape), against
// PyTorch 1.13 in float64:
//   x = [[0.5,-1,2],[1.5,0.25,-0.75]]; t = [[0.2,0.3,0.5],[0.6,0.1,0.3]]; w = [1,2,0.5]
//   F.cross_entropy(x, t, reduction=r, weight=..., label_smoothing=...) and its gradient of l.sum()
#include <vector>

#include "ember/functional.h"
#include "helpers.h"

using namespace ember;
namespace F = ember::nn::functional;
using ember_test::require_close;
using ember_test::require_throws_with;
using ember_test::test_devices;

namespace {
Tensor dmat(std::vector<double> v, std::vector<int64_t> shape) { return tensor(v, kDouble).reshape(shape); }

struct Case {
  bool weighted;
  double smoothing;
  Reduction reduction;
  std::vector<double> loss;
  std::vector<double> grad;
};
}  // namespace

TEST_CASE("cross_entropy with class probabilities matches PyTorch", "[loss][cross_entropy]") {
  const std::vector<double> g_sum = {-0.024709607859963317, -0.26088742672931253, 0.2855970345892759,
                                     0.11844034115106494,   0.10583660399765155,  -0.2242769451487165};
  const std::vector<double> g_w = {-0.015945088252961474, -0.5589317980657782,   0.5748768863187397,
                                   0.08251832409351174,   -0.004455226202231023, -0.07806309789128064};
  const std::vector<double> g_wls = {-0.03852164576969398, -0.5713525046894621, 0.609874150459156,
                                     0.16698407221005782,  -0.0888689733623328, -0.07811509884772504};
  auto halve = [](std::vector<double> v) {
    for (double& x : v) x /= 2;
    return v;
  };
  const std::vector<Case> cases = {
      {false, 0.0, kMean, {1.2859919530321906}, halve(g_sum)},
      {false, 0.0, kSum, {2.571983906064381}, g_sum},
      {false, 0.0, kNone, {1.441311296657157, 1.1306726094072241}, g_sum},
      {true, 0.0, kMean, {1.6275079202134388}, halve(g_w)},
      {true, 0.0, kNone, {2.353376861490015, 0.901638978936863}, g_w},
      {false,
       0.1,
       kMean,
       {1.319325286365524},
       {-0.019021470596648327, -0.13211038003132294, 0.15113185062797127, 0.07255350390886578, 0.0412516353321591,
        -0.11380513924102492}},
      {true, 0.2, kSum, {3.479142250423191}, g_wls},
      {true, 0.2, kNone, {2.439007458412015, 1.0401347920111759}, g_wls},
  };
  const Tensor w = tensor(std::vector<double>{1.0, 2.0, 0.5}, kDouble);
  for (Device d : test_devices()) {
    for (ScalarType dt : {kDouble, kFloat}) {
      for (const Case& c : cases) {
        Tensor x = dmat({0.5, -1.0, 2.0, 1.5, 0.25, -0.75}, {2, 3}).to(dt).to(d).requires_grad_();
        Tensor t = dmat({0.2, 0.3, 0.5, 0.6, 0.1, 0.3}, {2, 3}).to(dt).to(d);
        auto options = F::CrossEntropyFuncOptions().reduction(c.reduction).label_smoothing(c.smoothing);
        if (c.weighted) options.weight(w.to(dt).to(d));
        Tensor loss = F::cross_entropy(x, t, options);
        const std::vector<int64_t> loss_shape =
            c.loss.size() == 1 ? std::vector<int64_t>{} : std::vector<int64_t>{int64_t(c.loss.size())};
        require_close(loss.cpu(), dmat(c.loss, loss_shape), ember_test::tol_for(dt));
        loss.sum().backward();
        require_close(x.grad().cpu(), dmat(c.grad, {2, 3}), ember_test::tol_for(dt));
        CHECK(loss.grad_fn()->name() == (c.reduction == kMean ? "DivBackward1" : "NegBackward0"));
      }
    }
  }
}

TEST_CASE("cross_entropy with class probabilities: spatial and 1-D inputs, gradcheck", "[loss][cross_entropy]") {
  // x3 = (arange(12).reshape(2,3,2)*0.3-1.5).tanh(); t3 = softmax((arange(12).reshape(2,3,2)*-0.2).exp(), 1)
  Tensor x3 = (arange(12, kDouble).reshape({2, 3, 2}) * 0.3 - 1.5).tanh().requires_grad_();
  Tensor t3 = softmax((arange(12, kDouble).reshape({2, 3, 2}) * -0.2).exp(), 1);
  const Tensor w = tensor(std::vector<double>{1.0, 2.0, 0.5}, kDouble);
  Tensor l3 = F::cross_entropy(x3, t3, F::CrossEntropyFuncOptions().weight(w));
  require_close(l3, tensor(1.418227052484276, kDouble), 1e-12, 1e-12);
  l3.backward();
  require_close(x3.grad(),
                dmat({-0.03568152330238058, -0.04037503659253452, -0.06819366926356159, -0.07322825688602788,
                      0.1038751925659422, 0.11360329347856238, -0.02370716469561211, -0.013269063809664722,
                      -0.06181704569622862, -0.06244495757549171, 0.08552421039184073, 0.07571402138515641},
                     {2, 3, 2}),
                1e-12, 1e-12);
  // F.cross_entropy([0.5,-1,2], [0.2,0.3,0.5]) = 1.441311296657157
  Tensor x1 = tensor(std::vector<double>{0.5, -1.0, 2.0}, kDouble);
  require_close(F::cross_entropy(x1, tensor(std::vector<double>{0.2, 0.3, 0.5}, kDouble)),
                tensor(1.441311296657157, kDouble), 1e-12, 1e-12);
  for (Device d : test_devices()) {
    ember_test::gradcheck(
        [&](const std::vector<Tensor>& in) {
          return F::cross_entropy(in[0], in[1],
                                  F::CrossEntropyFuncOptions().weight(w.to(in[0].device())).label_smoothing(0.1));
        },
        {x3.detach(), t3}, d);
  }
}

TEST_CASE("cross_entropy with class probabilities: errors in PyTorch's words", "[loss][cross_entropy][errors]") {
  Tensor x = ember::randn({2, 3}, kDouble);
  Tensor probs = softmax(ember::randn({2, 3}, kDouble), 1);
  require_throws_with([&] { F::cross_entropy(x, probs, F::CrossEntropyFuncOptions().ignore_index(1)); },
                      {"cross_entropy", "ignore_index is not supported for floating point target"});
  require_throws_with(
      [&] {
        F::cross_entropy(x, zeros({2, 3}, kLong));
      },
      {"cross_entropy", "Expected floating point type for target with class probabilities", "int64"});
}
