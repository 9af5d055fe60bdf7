// DistributedDataParallel's construction (the ranks' models must agree; rank 0's state is copied
// to all), its forward-time duties (buffers, arming the reducer) and no_sync().
#include "ember/nn/parallel/distributed.h"

#include <algorithm>
#include <cstring>
#include <sstream>

#include "../../check.h"
#include "ember/autograd.h"
#include "reducer.h"

namespace ember {
namespace nn {
namespace parallel {
namespace {

/// One line per parameter: "name dtype [sizes]".
std::vector<std::string> describe_parameters(const OrderedDict<std::string, Tensor>& params) {
  std::vector<std::string> lines;
  for (const auto& item : params) {
    std::ostringstream os;
    os << item.key() << ' ' << item.value().dtype() << ' ' << item.value().sizes();
    lines.push_back(os.str());
  }
  return lines;
}

/// Every rank's `text`, by rank (two all-gathers: the lengths, then the bytes padded to the
/// longest).
std::vector<std::string> allgather_strings(distributed::ProcessGroup& group, const std::string& text) {
  const int world = group.getSize();
  Tensor length = full({1}, int64_t(text.size()), TensorOptions().dtype(kLong));
  std::vector<Tensor> lengths_in{length};
  std::vector<std::vector<Tensor>> lengths_out(1);
  for (int r = 0; r < world; ++r) lengths_out[0].push_back(empty({1}, TensorOptions().dtype(kLong)));
  group.allgather(lengths_out, lengths_in)->wait();
  int64_t longest = 1;
  for (const Tensor& l : lengths_out[0]) longest = std::max(longest, l.item<int64_t>());
  Tensor bytes = zeros({longest}, TensorOptions().dtype(kByte));
  if (!text.empty()) std::memcpy(bytes.data_ptr(), text.data(), text.size());
  std::vector<Tensor> bytes_in{bytes};
  std::vector<std::vector<Tensor>> bytes_out(1);
  for (int r = 0; r < world; ++r) bytes_out[0].push_back(empty({longest}, TensorOptions().dtype(kByte)));
  group.allgather(bytes_out, bytes_in)->wait();
  std::vector<std::string> out;
  for (int r = 0; r < world; ++r)
    out.emplace_back(static_cast<const char*>(bytes_out[0][r].data_ptr()), size_t(lengths_out[0][r].item<int64_t>()));
  return out;
}

std::vector<std::string> split_lines(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream is(text);
  for (std::string line; std::getline(is, line);) lines.push_back(line);
  return lines;
}

/// Throws, on every rank alike, when the ranks' parameter lists differ, naming the first
/// parameter that differs and what each rank has there.
void verify_same_parameters(distributed::ProcessGroup& group, const OrderedDict<std::string, Tensor>& params) {
  std::string mine;
  for (const std::string& line : describe_parameters(params)) mine += line + '\n';
  const std::vector<std::string> all = allgather_strings(group, mine);
  std::vector<std::vector<std::string>> lists;
  size_t longest = 0;
  for (const std::string& text : all) {
    lists.push_back(split_lines(text));
    longest = std::max(longest, lists.back().size());
  }
  for (size_t k = 0; k < longest; ++k) {
    auto at = [&](size_t r) { return k < lists[r].size() ? lists[r][k] : std::string("nothing"); };
    bool same = true;
    for (size_t r = 1; r < lists.size(); ++r) same = same && at(r) == at(0);
    if (same) continue;
    std::ostringstream os;
    for (size_t r = 0; r < lists.size(); ++r)
      os << (r ? "; " : "") << "rank " << r << " has " << at(r) << " (" << lists[r].size() << " parameters)";
    EMBER_CHECK(false, "DistributedDataParallel: the ranks' modules differ at parameter ", k,
                " (name dtype shape): ", os.str(),
                ". Every rank must construct the same model before wrapping it in DistributedDataParallel.");
  }
}

/// Copies rank 0's values of `tensors` into every rank's, in place: one broadcast per dtype and
/// device of all the tensors flattened together (PyTorch's _broadcast_coalesced), since each
/// collective costs a round trip between the ranks (ResNet-20's 19 BatchNorms hold 57 buffers).
void broadcast_from_rank0(distributed::ProcessGroup& group, const std::vector<Tensor>& tensors) {
  NoGradGuard no_grad;
  std::vector<std::vector<Tensor>> groups;  // same dtype and device, in first-seen order
  for (const Tensor& t : tensors) {
    auto it = std::find_if(groups.begin(), groups.end(), [&](const std::vector<Tensor>& g) {
      return g[0].dtype() == t.dtype() && g[0].device() == t.device();
    });
    if (it == groups.end()) {
      groups.push_back({t});
    } else {
      it->push_back(t);
    }
  }
  std::vector<std::pair<std::shared_ptr<distributed::Work>, Tensor>> works;
  for (const std::vector<Tensor>& g : groups) {
    std::vector<Tensor> flat_parts;
    for (const Tensor& t : g) flat_parts.push_back(t.detach().reshape({-1}));
    std::vector<Tensor> one{g.size() == 1 ? flat_parts[0].contiguous() : cat(flat_parts)};
    works.emplace_back(group.broadcast(one), one[0]);
  }
  for (size_t k = 0; k < groups.size(); ++k) {
    works[k].first->wait();
    const Tensor& flat = works[k].second;
    int64_t offset = 0;
    for (const Tensor& t : groups[k]) {
      Tensor target = t.detach();
      Tensor part = flat.narrow(0, offset, t.numel()).view(t.sizes());
      if (part.data_ptr() != target.data_ptr()) target.copy_(part);
      offset += t.numel();
    }
  }
}

}  // namespace

NoSyncGuard::NoSyncGuard(DistributedDataParallelBase& ddp) : ddp_(&ddp), previous_(ddp.require_backward_grad_sync_) {
  ddp.require_backward_grad_sync_ = false;
}
NoSyncGuard::~NoSyncGuard() {
  if (ddp_ != nullptr) ddp_->require_backward_grad_sync_ = previous_;
}
NoSyncGuard::NoSyncGuard(NoSyncGuard&& other) noexcept : ddp_(other.ddp_), previous_(other.previous_) {
  other.ddp_ = nullptr;
}

DistributedDataParallelBase::DistributedDataParallelBase(std::shared_ptr<Module> module,
                                                         DistributedDataParallelOptions options)
    : wrapped_(std::move(module)), options_(std::move(options)) {
  EMBER_CHECK(wrapped_ != nullptr, "DistributedDataParallel: the module to wrap is empty (a null module holder)");
  EMBER_CHECK(options_.bucket_cap_mb() > 0, "DistributedDataParallel: bucket_cap_mb must be positive, got ",
              options_.bucket_cap_mb());
  group_ = options_.process_group() ? options_.process_group() : distributed::default_group();
  register_module("module", wrapped_);

  OrderedDict<std::string, Tensor> named;
  for (const auto& item : wrapped_->named_parameters())
    if (item.value().requires_grad()) named.insert(item.key(), item.value());
  verify_same_parameters(*group_, named);
  std::vector<Tensor> state = wrapped_->parameters();
  for (const Tensor& b : wrapped_->buffers()) state.push_back(b);
  broadcast_from_rank0(*group_, state);

  std::vector<Tensor> params;
  std::vector<std::string> names;
  for (const auto& item : named) {
    params.push_back(item.value());
    names.push_back(item.key());
  }
  const int64_t cap = int64_t(options_.bucket_cap_mb() * 1024 * 1024);
  const int64_t first_cap = std::min<int64_t>(cap, 1024 * 1024);
  reducer_ = std::make_unique<detail::Reducer>(std::move(params), std::move(names), group_, first_cap, cap,
                                               options_.find_unused_parameters(), options_.gradient_as_bucket_view());
}

DistributedDataParallelBase::~DistributedDataParallelBase() = default;

NoSyncGuard DistributedDataParallelBase::no_sync() { return NoSyncGuard(*this); }

std::vector<int64_t> DistributedDataParallelBase::bucket_indices() const { return reducer_->bucket_indices(); }

void DistributedDataParallelBase::pre_forward() {
  reducer_->check_previous_iteration();
  if (options_.broadcast_buffers() && group_->getSize() > 1) {
    const std::vector<Tensor> buffers = wrapped_->buffers();
    if (!buffers.empty()) broadcast_from_rank0(*group_, buffers);
  }
}

void DistributedDataParallelBase::post_forward(const std::vector<Tensor>& outputs) {
  if (GradMode::is_enabled() && require_backward_grad_sync_) {
    reducer_->prepare_for_backward(outputs);
  } else {
    reducer_->disarm();
  }
}

}  // namespace parallel
}  // namespace nn
}  // namespace ember
