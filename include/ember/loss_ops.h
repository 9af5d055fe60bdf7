#pragma once
// The losses as ATen's free functions (torch::nll_loss(input, target), torch::mse_loss, ...),
// which LibTorch programs call beside nn::functional's forms: the same arguments in ATen's
// order, an absent weight as an empty optional or an undefined tensor, and the reduction as
// torch::Reduction::Mean / Sum / None. Each forwards to its nn::functional definition.
#include <optional>

#include "ember/functional.h"
#include "ember/nn/functional/loss.h"

namespace ember {

namespace detail {
inline Tensor loss_weight(const std::optional<Tensor>& w) { return w ? *w : Tensor(); }
}  // namespace detail

inline Tensor nll_loss(const Tensor& self, const Tensor& target, const std::optional<Tensor>& weight = std::nullopt,
                       Reduction reduction = kMean, int64_t ignore_index = -100) {
  return nn::functional::nll_loss(self, target,
                                  nn::functional::NLLLossFuncOptions()
                                      .weight(detail::loss_weight(weight))
                                      .reduction(reduction)
                                      .ignore_index(ignore_index));
}
/// ATen's nll_loss_nd and nll_loss2d: nll_loss accepts (N, C, d1, ...) inputs already.
inline Tensor nll_loss_nd(const Tensor& self, const Tensor& target, const std::optional<Tensor>& weight = std::nullopt,
                          Reduction reduction = kMean, int64_t ignore_index = -100) {
  return nll_loss(self, target, weight, reduction, ignore_index);
}
inline Tensor nll_loss2d(const Tensor& self, const Tensor& target, const std::optional<Tensor>& weight = std::nullopt,
                         Reduction reduction = kMean, int64_t ignore_index = -100) {
  return nll_loss(self, target, weight, reduction, ignore_index);
}
inline Tensor cross_entropy_loss(const Tensor& self, const Tensor& target,
                                 const std::optional<Tensor>& weight = std::nullopt, Reduction reduction = kMean,
                                 int64_t ignore_index = -100, double label_smoothing = 0.0) {
  return nn::functional::cross_entropy(self, target,
                                       nn::functional::CrossEntropyFuncOptions()
                                           .weight(detail::loss_weight(weight))
                                           .reduction(reduction)
                                           .ignore_index(ignore_index)
                                           .label_smoothing(label_smoothing));
}
inline Tensor binary_cross_entropy(const Tensor& self, const Tensor& target,
                                   const std::optional<Tensor>& weight = std::nullopt, Reduction reduction = kMean) {
  return nn::functional::binary_cross_entropy(
      self, target,
      nn::functional::BinaryCrossEntropyFuncOptions().weight(detail::loss_weight(weight)).reduction(reduction));
}
inline Tensor binary_cross_entropy_with_logits(const Tensor& self, const Tensor& target,
                                               const std::optional<Tensor>& weight = std::nullopt,
                                               const std::optional<Tensor>& pos_weight = std::nullopt,
                                               Reduction reduction = kMean) {
  return nn::functional::binary_cross_entropy_with_logits(self, target,
                                                          nn::functional::BinaryCrossEntropyWithLogitsFuncOptions()
                                                              .weight(detail::loss_weight(weight))
                                                              .pos_weight(detail::loss_weight(pos_weight))
                                                              .reduction(reduction));
}
inline Tensor mse_loss(const Tensor& self, const Tensor& target, Reduction reduction = kMean) {
  return nn::functional::mse_loss(self, target, nn::functional::MSELossFuncOptions().reduction(reduction));
}
inline Tensor l1_loss(const Tensor& self, const Tensor& target, Reduction reduction = kMean) {
  return nn::functional::l1_loss(self, target, nn::functional::L1LossFuncOptions().reduction(reduction));
}
inline Tensor smooth_l1_loss(const Tensor& self, const Tensor& target, Reduction reduction = kMean, double beta = 1.0) {
  return nn::functional::smooth_l1_loss(self, target, nn::functional::SmoothL1LossFuncOptions().reduction(reduction),
                                        beta);
}
inline Tensor huber_loss(const Tensor& self, const Tensor& target, Reduction reduction = kMean, double delta = 1.0) {
  return nn::functional::huber_loss(self, target,
                                    nn::functional::HuberLossFuncOptions().reduction(reduction).delta(delta));
}
/// ATen's kl_div: kMean is the elementwise mean (F::kl_div's kBatchMean has no ATen spelling).
inline Tensor kl_div(const Tensor& self, const Tensor& target, Reduction reduction = kMean, bool log_target = false) {
  return nn::functional::kl_div(self, target,
                                nn::functional::KLDivFuncOptions().reduction(reduction).log_target(log_target));
}
inline Tensor margin_ranking_loss(const Tensor& input1, const Tensor& input2, const Tensor& target, double margin = 0.0,
                                  Reduction reduction = kMean) {
  return nn::functional::margin_ranking_loss(
      input1, input2, target, nn::functional::MarginRankingLossFuncOptions().margin(margin).reduction(reduction));
}
inline Tensor cosine_embedding_loss(const Tensor& input1, const Tensor& input2, const Tensor& target,
                                    double margin = 0.0, Reduction reduction = kMean) {
  return nn::functional::cosine_embedding_loss(
      input1, input2, target, nn::functional::CosineEmbeddingLossFuncOptions().margin(margin).reduction(reduction));
}

}  // namespace ember
