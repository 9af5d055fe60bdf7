#pragma once
// Sorting, selection, unique and binary search: the free forms of LibTorch 1.13's torch::sort,
// argsort, msort, topk, kthvalue, median, nanmedian, mode, _unique, _unique2, unique_dim,
// unique_consecutive, searchsorted and bucketize (the Tensor methods are in tensor.h).
// Everywhere NaN orders as the largest value, as PyTorch. Indices are int64.
#include <optional>
#include <string>
#include <tuple>

#include "ember/tensor.h"

namespace ember {

/// Sorted values and the positions they came from along `dim`. Equal values keep their input
/// order (a stable sort) with or without `stable`, on both backends.
EMBER_API std::tuple<Tensor, Tensor> sort(const Tensor& x, int64_t dim = -1, bool descending = false);
EMBER_API std::tuple<Tensor, Tensor> sort(const Tensor& x, std::optional<bool> stable, int64_t dim = -1,
                                          bool descending = false);
EMBER_API Tensor argsort(const Tensor& x, int64_t dim = -1, bool descending = false);
EMBER_API Tensor argsort(const Tensor& x, bool stable, int64_t dim = -1, bool descending = false);
/// sort along dim 0, values only.
EMBER_API Tensor msort(const Tensor& x);
/// The k largest (smallest) values along dim; sorted = false leaves them in an unspecified order.
EMBER_API std::tuple<Tensor, Tensor> topk(const Tensor& x, int64_t k, int64_t dim = -1, bool largest = true,
                                          bool sorted = true);
/// The k-th smallest value (k from 1) along dim and its position.
EMBER_API std::tuple<Tensor, Tensor> kthvalue(const Tensor& x, int64_t k, int64_t dim = -1, bool keepdim = false);
/// The lower median (the ((n - 1) / 2)-th smallest); NaN when a NaN is present.
EMBER_API Tensor median(const Tensor& x);
EMBER_API std::tuple<Tensor, Tensor> median(const Tensor& x, int64_t dim, bool keepdim = false);
/// median ignoring NaNs (NaN only where every value is NaN).
EMBER_API Tensor nanmedian(const Tensor& x);
EMBER_API std::tuple<Tensor, Tensor> nanmedian(const Tensor& x, int64_t dim, bool keepdim = false);
/// The most frequent value along dim (the smallest among equally frequent ones) and a position
/// holding it.
EMBER_API std::tuple<Tensor, Tensor> mode(const Tensor& x, int64_t dim = -1, bool keepdim = false);

/// at::_unique2: the distinct values of x (flattened), their inverse indices (x's shape) and
/// counts; the last two are empty tensors unless asked for. Values come out sorted either way.
EMBER_API std::tuple<Tensor, Tensor, Tensor> _unique2(const Tensor& x, bool sorted = true, bool return_inverse = false,
                                                      bool return_counts = false);
/// at::_unique: values and inverse indices.
EMBER_API std::tuple<Tensor, Tensor> _unique(const Tensor& x, bool sorted = true, bool return_inverse = false);
/// The distinct slices of x along dim, sorted lexicographically; inverse (x.size(dim)) and counts.
EMBER_API std::tuple<Tensor, Tensor, Tensor> unique_dim(const Tensor& x, int64_t dim, bool sorted = true,
                                                        bool return_inverse = false, bool return_counts = false);
/// Collapses runs of equal values (flattened, or slices along dim).
EMBER_API std::tuple<Tensor, Tensor, Tensor> unique_consecutive(const Tensor& x, bool return_inverse = false,
                                                                bool return_counts = false,
                                                                std::optional<int64_t> dim = std::nullopt);

/// For each value, the index where it would be inserted into the innermost dim of
/// sorted_sequence to keep it sorted (the first such with right = false, the last with right =
/// true; side "left"/"right" says the same and must agree). sorter: the argsort of an unsorted
/// sequence.
EMBER_API Tensor searchsorted(const Tensor& sorted_sequence, const Tensor& self, bool out_int32 = false,
                              bool right = false, std::optional<std::string> side = std::nullopt,
                              const std::optional<Tensor>& sorter = std::nullopt);
EMBER_API Tensor searchsorted(const Tensor& sorted_sequence, const Scalar& self, bool out_int32 = false,
                              bool right = false, std::optional<std::string> side = std::nullopt,
                              const std::optional<Tensor>& sorter = std::nullopt);
/// searchsorted into a 1-D `boundaries`.
EMBER_API Tensor bucketize(const Tensor& self, const Tensor& boundaries, bool out_int32 = false, bool right = false);
EMBER_API Tensor bucketize(const Scalar& self, const Tensor& boundaries, bool out_int32 = false, bool right = false);

}  // namespace ember
