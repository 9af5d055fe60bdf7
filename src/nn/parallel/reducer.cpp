// DistributedDataParallel's gradient averaging (reducer.h). Each parameter gets a post-accumulate
// grad hook; the first hook of a synchronised backward queues the end-of-backward callback
// (finalize). A hook copies the parameter's final .grad() into its bucket; a bucket whose
// gradients are all in is divided by the world size and all-reduced (sum) asynchronously, in
// bucket order so that every rank issues the same sequence of collectives. finalize waits for
// all of them and writes the averages back into .grad().
#include "reducer.h"

#include <sstream>

#include "../../autograd/function.h"
#include "../../check.h"
#include "../../tensor_impl.h"
#include "ember/autograd.h"
#include "ember/autograd_hooks.h"

namespace ember {
namespace nn {
namespace parallel {
namespace detail {
namespace {

int64_t nbytes_of(const Tensor& t) { return t.numel() * int64_t(element_size(t.dtype())); }

bool same_memory(const Tensor& a, const Tensor& b) {
  return a.defined() && b.defined() && a.data_ptr() == b.data_ptr() && a.sizes().equals(b.sizes()) &&
         a.strides().equals(b.strides());
}

}  // namespace

std::vector<std::vector<size_t>> assign_buckets(const std::vector<Tensor>& params, int64_t first_cap, int64_t cap) {
  struct Open {
    ScalarType dtype;
    Device device;
    std::vector<size_t> members;
    int64_t bytes = 0;
    int64_t limit = 0;
  };
  std::vector<Open> open;
  std::vector<std::vector<size_t>> buckets;
  for (size_t k = params.size(); k-- > 0;) {
    const Tensor& p = params[k];
    auto it = std::find_if(open.begin(), open.end(),
                           [&](const Open& o) { return o.dtype == p.dtype() && o.device == p.device(); });
    if (it == open.end()) {
      open.push_back({p.dtype(), p.device(), {}, 0, first_cap});
      it = open.end() - 1;
    }
    it->members.push_back(k);
    it->bytes += nbytes_of(p);
    if (it->bytes >= it->limit) {
      buckets.push_back(std::move(it->members));
      it->members.clear();
      it->bytes = 0;
      it->limit = cap;
    }
  }
  for (Open& o : open)
    if (!o.members.empty()) buckets.push_back(std::move(o.members));
  return buckets;
}

Reducer::Reducer(std::vector<Tensor> params, std::vector<std::string> names,
                 std::shared_ptr<distributed::ProcessGroup> group, int64_t first_cap, int64_t cap, bool find_unused,
                 bool gradient_as_bucket_view)
    : params_(std::move(params)),
      names_(std::move(names)),
      group_(std::move(group)),
      find_unused_(find_unused),
      as_view_(gradient_as_bucket_view) {
  where_.resize(params_.size());
  ready_.assign(params_.size(), 0);
  for (auto& members : assign_buckets(params_, first_cap, cap)) {
    Bucket b;
    b.params = std::move(members);
    int64_t total = 0;
    for (size_t i : b.params) total += params_[i].numel();
    b.buffer = zeros({total}, params_[b.params.front()].options());
    int64_t offset = 0;
    for (size_t slot = 0; slot < b.params.size(); ++slot) {
      const Tensor& p = params_[b.params[slot]];
      b.views.push_back(b.buffer.narrow(0, offset, p.numel()).view(p.sizes()));
      offset += p.numel();
      where_[b.params[slot]] = {buckets_.size(), slot};
    }
    b.pending = b.params.size();
    buckets_.push_back(std::move(b));
  }
  for (size_t i = 0; i < params_.size(); ++i)
    hook_handles_.push_back(
        autograd::register_post_accumulate_grad_hook(params_[i], [this, i](Tensor&) { autograd_hook(i); }));
}

Reducer::~Reducer() {
  for (size_t i = 0; i < params_.size(); ++i) autograd::remove_post_accumulate_grad_hook(params_[i], hook_handles_[i]);
  try {
    reset();
  } catch (...) {  // a failed all-reduce already reported itself where it was waited for
  }
}

std::vector<int64_t> Reducer::bucket_indices() const {
  std::vector<int64_t> out;
  for (const auto& w : where_) out.push_back(int64_t(w.first));
  return out;
}

void Reducer::prepare_for_backward(const std::vector<Tensor>& outputs) {
  check_previous_iteration();
  armed_ = true;
  unused_.clear();
  if (!find_unused_) return;
  used_.assign(params_.size(), 0);
  // The leaves the outputs' graph reaches: every AccumulateGrad node below them.
  std::unordered_set<const TensorImpl*> reached;
  std::unordered_set<const autograd::Node*> seen;
  std::vector<autograd::Node*> stack;
  for (const Tensor& out : outputs) {
    if (!out.defined() || !out.requires_grad()) continue;
    if (out.is_leaf()) {
      reached.insert(out.unsafeGetTensorImpl());
      continue;
    }
    autograd::Node* fn = out.grad_fn().get();
    if (fn != nullptr && seen.insert(fn).second) stack.push_back(fn);
  }
  while (!stack.empty()) {
    autograd::Node* n = stack.back();
    stack.pop_back();
    if (auto* acc = dynamic_cast<autograd::AccumulateGrad*>(n)) reached.insert(acc->leaf.get());
    for (const autograd::Edge& e : n->next_edges)
      if (e.fn && seen.insert(e.fn.get()).second) stack.push_back(e.fn.get());
  }
  for (size_t i = 0; i < params_.size(); ++i)
    if (reached.count(params_[i].unsafeGetTensorImpl()) == 0) unused_.push_back(i);
}

void Reducer::check_previous_iteration() {
  if (!started_) return;
  const std::string missing = unready_parameters();
  reset();
  EMBER_CHECK(false,
              "DistributedDataParallel: Expected to have finished reduction in the prior iteration before "
              "starting a new one. The previous backward stopped before every gradient was averaged (it "
              "raised an error?); parameters that had not received a gradient on rank ",
              group_->getRank(), ": ", missing);
}

void Reducer::autograd_hook(size_t index) {
  if (!armed_) return;  // no_sync(), or a backward not preceded by this DDP's forward
  if (!started_) {
    started_ = true;
    autograd::queue_callback([this] { finalize(); });
    for (size_t u : unused_) mark_ready(u);
  }
  if (find_unused_) used_[index] = 1;
  EMBER_CHECK(!ready_[index], "DistributedDataParallel: Expected to mark a variable ready only once. Parameter ", index,
              " (", names_[index],
              ") received a gradient twice in one backward (is it unused and find_unused_parameters=true, or "
              "shared by two modules?)");
  mark_ready(index);
}

void Reducer::mark_ready(size_t index) {
  ready_[index] = 1;
  auto [b, slot] = where_[index];
  Bucket& bucket = buckets_[b];
  NoGradGuard no_grad;
  const Tensor& grad = params_[index].grad();
  Tensor& view = bucket.views[slot];
  if (!grad.defined()) {
    view.zero_();
  } else if (!(as_view_ && same_memory(grad, view))) {
    view.copy_(grad);
  }
  if (--bucket.pending == 0) launch_ready_buckets();
}

void Reducer::launch_ready_buckets() {
  while (next_bucket_ < buckets_.size() && buckets_[next_bucket_].pending == 0) {
    Bucket& bucket = buckets_[next_bucket_++];
    // Divided before the sum, as PyTorch's, so the sum cannot overflow a half-precision range.
    bucket.buffer.div_(group_->getSize());
    std::vector<Tensor> tensors{bucket.buffer};
    bucket.work = group_->allreduce(tensors);
  }
}

std::string Reducer::unready_parameters() const {
  std::ostringstream os;
  bool first = true;
  for (size_t i = 0; i < params_.size(); ++i) {
    if (ready_[i]) continue;
    os << (first ? "" : ", ") << i << " (" << names_[i] << ")";
    first = false;
  }
  return os.str();
}

void Reducer::reset() {
  armed_ = false;
  started_ = false;
  next_bucket_ = 0;
  std::fill(ready_.begin(), ready_.end(), 0);
  std::exception_ptr failure;
  for (Bucket& b : buckets_) {
    b.pending = b.params.size();
    if (!b.work) continue;
    try {
      b.work->wait();
    } catch (...) {
      if (!failure) failure = std::current_exception();
    }
    b.work = nullptr;
  }
  if (failure) std::rethrow_exception(failure);
}

void Reducer::finalize() {
  if (next_bucket_ < buckets_.size()) {
    const std::string missing = unready_parameters();
    reset();
    EMBER_CHECK(false,
                "DistributedDataParallel: Expected to have finished reduction in the prior iteration before "
                "starting a new one. This error indicates that your module has parameters that were not used "
                "in producing loss. You can enable unused parameter detection by passing "
                "find_unused_parameters(true) to DistributedDataParallelOptions, and by making sure all "
                "`forward` function outputs participate in calculating loss. Parameters which did not receive "
                "grad for rank ",
                group_->getRank(), ": ", missing);
  }
  for (Bucket& b : buckets_) b.work->wait();
  // find_unused: a parameter no rank used keeps its .grad() as it was (PyTorch's rule).
  std::vector<int32_t> used_anywhere;
  if (find_unused_) {
    Tensor used = from_blob(used_.data(), {int64_t(used_.size())}, TensorOptions().dtype(kInt)).clone();
    std::vector<Tensor> tensors{used};
    group_->allreduce(tensors)->wait();
    used_anywhere.assign(used.data_ptr<int32_t>(), used.data_ptr<int32_t>() + used.numel());
  }
  NoGradGuard no_grad;
  for (Bucket& b : buckets_) {
    for (size_t slot = 0; slot < b.params.size(); ++slot) {
      const size_t i = b.params[slot];
      if (find_unused_ && used_anywhere[i] == 0) continue;
      Tensor& grad = params_[i].mutable_grad();
      const Tensor& view = b.views[slot];
      if (as_view_) {
        if (!same_memory(grad, view)) grad = view;
      } else if (grad.defined()) {
        grad.copy_(view);
      } else {
        grad = view.clone();
      }
    }
  }
  reset();
}

}  // namespace detail
}  // namespace parallel
}  // namespace nn
}  // namespace ember
