// Products built on mm / bmm / matmul: mv, dot, addmm, addmv, baddbmm and einsum. einsum
// contracts its operands pairwise, each pair as one batched matrix product after a permute and
// a reshape (batch letters, kept letters, summed letters), so it runs wherever matmul does.
#include <algorithm>
#include <map>

#include "common.h"
#include "ember/tensor_ops.h"

namespace ember {
namespace {

/// beta * self + alpha * product, as LibTorch's addmm family: with beta == 0 self is not read
/// (NaN and inf in it do not propagate); alpha == 1 and beta == 1 skip their multiplies.
Tensor scaled_sum(const Tensor& self, const Tensor& product, const Scalar& beta, const Scalar& alpha) {
  Tensor p = alpha.toDouble() == 1 ? product : product * alpha;
  if (beta.toDouble() == 0) return p;
  return (beta.toDouble() == 1 ? self : self * beta) + p;
}

void check_add_shape(const char* op, const Tensor& self, IntArrayRef shape) {
  std::vector<int64_t> b = broadcast_shapes(self.sizes(), shape, op);
  EMBER_CHECK(IntArrayRef(b).equals(shape), op, ": the input ", describe(self),
              " cannot be broadcast to the product's shape ", shape);
}

}  // namespace

Tensor mv(const Tensor& mat, const Tensor& vec) {
  check_defined("mv", mat);
  check_defined("mv", vec);
  EMBER_CHECK(mat.dim() == 2 && vec.dim() == 1, "mv: vector + matrix @ vector expected, got ", mat.dim(), ", ",
              vec.dim());
  EMBER_CHECK(mat.size(1) == vec.size(0), "mv: size mismatch, got ", mat.size(0), ", ", mat.size(0), "x", mat.size(1),
              ",", vec.size(0));
  return matmul(mat, vec);
}

Tensor dot(const Tensor& a, const Tensor& b) {
  check_defined("dot", a);
  check_defined("dot", b);
  EMBER_CHECK(a.dim() == 1 && b.dim() == 1, "dot: 1D tensors expected, but got ", a.dim(), "D and ", b.dim(),
              "D tensors");
  EMBER_CHECK(a.dtype() == b.dtype(), "dot: dot : expected both vectors to have same dtype, but found ", a.dtype(),
              " and ", b.dtype());
  EMBER_CHECK(a.size(0) == b.size(0), "dot: inconsistent tensor size, expected tensor [", a.size(0), "] and src [",
              b.size(0), "] to have the same number of elements, but got ", a.size(0), " and ", b.size(0),
              " elements respectively");
  return matmul(a, b);
}

Tensor addmm(const Tensor& self, const Tensor& mat1, const Tensor& mat2, const Scalar& beta, const Scalar& alpha) {
  check_defined("addmm", self);
  check_defined("addmm", mat1);
  check_defined("addmm", mat2);
  EMBER_CHECK(mat1.dim() == 2, "addmm: mat1 must be a matrix, got ", mat1.dim(), "-D tensor");
  EMBER_CHECK(mat2.dim() == 2, "addmm: mat2 must be a matrix, got ", mat2.dim(), "-D tensor");
  EMBER_CHECK(mat1.size(1) == mat2.size(0), "addmm: mat1 and mat2 shapes cannot be multiplied (", mat1.size(0), "x",
              mat1.size(1), " and ", mat2.size(0), "x", mat2.size(1), ")");
  check_add_shape("addmm", self, {mat1.size(0), mat2.size(1)});
  return scaled_sum(self, mm(mat1, mat2), beta, alpha);
}

Tensor addmv(const Tensor& self, const Tensor& mat, const Tensor& vec, const Scalar& beta, const Scalar& alpha) {
  check_defined("addmv", self);
  Tensor product = mv(mat, vec);
  check_add_shape("addmv", self, product.sizes());
  return scaled_sum(self, product, beta, alpha);
}

Tensor baddbmm(const Tensor& self, const Tensor& batch1, const Tensor& batch2, const Scalar& beta,
               const Scalar& alpha) {
  check_defined("baddbmm", self);
  Tensor product = bmm(batch1, batch2);
  check_add_shape("baddbmm", self, product.sizes());
  return scaled_sum(self, product, beta, alpha);
}

namespace {

/// One operand of an einsum: its tensor and the letter of each dim.
struct Term {
  Tensor t;
  std::string letters;
};

/// Sums t over the letters not in `keep`.
Term sum_out(Term a, const std::string& keep) {
  std::vector<int64_t> dims;
  std::string left;
  for (size_t i = 0; i < a.letters.size(); ++i) {
    if (keep.find(a.letters[i]) == std::string::npos) dims.push_back(int64_t(i));
    else left += a.letters[i];
  }
  if (dims.empty()) return a;
  return {a.t.sum(dims), left};
}

/// The product of two terms keeping the letters in `keep`: batch letters (in both, kept),
/// free letters (in one, kept) and contracted letters (in both, not kept) become a bmm.
Term contract(const Term& a0, const Term& b0, const std::string& keep) {
  // A letter only one side has and nobody needs is summed away first.
  std::string keep_a = keep + b0.letters, keep_b = keep + a0.letters;
  Term a = sum_out(a0, keep_a), b = sum_out(b0, keep_b);
  std::string batch, free_a, free_b, summed;
  for (char c : a.letters) {
    const bool in_b = b.letters.find(c) != std::string::npos, kept = keep.find(c) != std::string::npos;
    if (in_b) (kept ? batch : summed) += c;
    else free_a += c;
  }
  for (char c : b.letters)
    if (a.letters.find(c) == std::string::npos) free_b += c;
  auto size_of = [](const Term& t, char c) { return t.t.size(int64_t(t.letters.find(c))); };
  auto permuted = [](const Term& t, const std::string& order) {
    std::vector<int64_t> perm;
    for (char c : order) perm.push_back(int64_t(t.letters.find(c)));
    return t.t.permute(perm);
  };
  auto product = [&](const std::string& letters, const Term& t) {
    int64_t n = 1;
    for (char c : letters) n *= size_of(t, c);
    return n;
  };
  const int64_t nb = product(batch, a), na = product(free_a, a), nc = product(summed, a), nf = product(free_b, b);
  Tensor lhs = permuted(a, batch + free_a + summed).reshape({nb, na, nc});
  Tensor rhs = permuted(b, batch + summed + free_b).reshape({nb, nc, nf});
  std::vector<int64_t> shape;
  for (char c : batch) shape.push_back(size_of(a, c));
  for (char c : free_a) shape.push_back(size_of(a, c));
  for (char c : free_b) shape.push_back(size_of(b, c));
  return {matmul(lhs, rhs).reshape(shape), batch + free_a + free_b};
}

}  // namespace

Tensor einsum(const std::string& equation, TensorList tensors) {
  std::string eq;
  for (char c : equation)
    if (c != ' ') eq += c;
  const size_t arrow = eq.find("->");
  const std::string lhs = eq.substr(0, arrow);
  std::vector<std::string> inputs;
  for (size_t start = 0;;) {
    const size_t comma = lhs.find(',', start);
    inputs.push_back(lhs.substr(start, comma == std::string::npos ? std::string::npos : comma - start));
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  EMBER_CHECK(inputs.size() == tensors.size(), "einsum: einsum(): more operands were provided than specified in the ",
              "equation (", inputs.size(), " subscripts for ", tensors.size(), " operands)");
  // The size of each letter, checked across operands; the count of each, for the implicit output.
  std::map<char, int64_t> sizes, counts;
  std::vector<Term> terms;
  for (size_t i = 0; i < inputs.size(); ++i) {
    const std::string& s = inputs[i];
    check_defined("einsum", tensors[i]);
    EMBER_CHECK(s.find('.') == std::string::npos, "einsum: ellipsis (...) is not supported by ember's einsum (",
                equation, ")");
    EMBER_CHECK(int64_t(s.size()) == tensors[i].dim(), "einsum: einsum(): the number of subscripts in the equation (",
                s.size(), ") does not match the number of dimensions (", tensors[i].dim(), ") for operand ", i,
                " and no ellipsis was given");
    for (size_t j = 0; j < s.size(); ++j) {
      const char c = s[j];
      EMBER_CHECK((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'),
                  "einsum: einsum(): invalid subscript given at index ", j,
                  " in the equation string, subscripts must "
                  "be in [a-zA-Z]");
      EMBER_CHECK(s.find(c) == j, "einsum: a subscript repeated within one operand (a diagonal, \"", s,
                  "\") is not supported by ember's einsum");
      const int64_t n = tensors[i].size(int64_t(j));
      auto [it, fresh] = sizes.emplace(c, n);
      EMBER_CHECK(fresh || it->second == n, "einsum: einsum(): operands do not broadcast with remapped shapes ",
                  "(original->remapped): subscript ", c, " has size ", n, " for operand ", i,
                  " which does not match previously seen size ", it->second);
      ++counts[c];
    }
    terms.push_back({tensors[i], s});
  }
  std::string output;
  if (arrow != std::string::npos) {
    output = eq.substr(arrow + 2);
    for (size_t j = 0; j < output.size(); ++j) {
      EMBER_CHECK(sizes.count(output[j]), "einsum: einsum(): output subscript ", output[j],
                  " does not appear in the equation for any input operand");
      EMBER_CHECK(output.find(output[j]) == j, "einsum: einsum(): output subscript ", output[j],
                  " appears more than once in the output");
    }
  } else {
    for (auto& [c, n] : counts)  // std::map: sorted, upper case before lower as in PyTorch
      if (n == 1) output += c;
  }
  // Left to right, each step keeping the letters the output or a later operand still needs.
  Term acc = terms[0];
  for (size_t i = 1; i < terms.size(); ++i) {
    std::string keep = output;
    for (size_t j = i + 1; j < terms.size(); ++j) keep += terms[j].letters;
    acc = contract(acc, terms[i], keep);
  }
  acc = sum_out(acc, output);
  std::vector<int64_t> perm;
  for (char c : output) perm.push_back(int64_t(acc.letters.find(c)));
  Tensor out = perm.empty() ? acc.t : acc.t.permute(perm);
  return out.is_same(tensors[0]) ? out.clone() : out;
}

Tensor Tensor::mv(const Tensor& vec) const { return ember::mv(*this, vec); }
Tensor Tensor::dot(const Tensor& other) const { return ember::dot(*this, other); }
Tensor Tensor::addmm(const Tensor& m1, const Tensor& m2, const Scalar& beta, const Scalar& alpha) const {
  return ember::addmm(*this, m1, m2, beta, alpha);
}
Tensor Tensor::addmv(const Tensor& m, const Tensor& v, const Scalar& beta, const Scalar& alpha) const {
  return ember::addmv(*this, m, v, beta, alpha);
}
Tensor Tensor::baddbmm(const Tensor& b1, const Tensor& b2, const Scalar& beta, const Scalar& alpha) const {
  return ember::baddbmm(*this, b1, b2, beta, alpha);
}

}  // namespace ember
