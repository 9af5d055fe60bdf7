// The safetensors format itself: encoding tensors into bytes, the atomic file write, and the
// validating decoder (see include/ember/serialize.h for the layout). Nothing here knows about
// modules or optimizers (checkpoint.cpp builds those on top).
#include <dirent.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <functional>
#include <limits>
#include <new>
#include <optional>
#include <random>
#include <utility>
#include <vector>

#include "../tensor_impl.h"
#include "ember/serialize.h"
#include "file_io.h"
#include "json.h"

#if !defined(__BYTE_ORDER__) || __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "ember's safetensors code copies raw little-endian bytes; port it before building for a big-endian host"
#endif

namespace ember {

namespace {

// As the reference implementation: a header above 100 MB is not a header but an attack or garbage.
constexpr uint64_t kMaxHeaderBytes = 100000000;
// More dimensions than any real tensor has; bounds the work a hostile header can ask for.
constexpr size_t kMaxSafetensorsDims = 64;
const char* const kMetadataKey = "__metadata__";

/// safetensors' dtype names of the dtypes ember stores.
constexpr std::pair<ScalarType, const char*> kDtypeNames[] = {
    {kFloat, "F32"}, {kDouble, "F64"}, {kLong, "I64"}, {kInt, "I32"},
    {kShort, "I16"}, {kChar, "I8"},    {kByte, "U8"},  {kBool, "BOOL"},
};

std::optional<ScalarType> dtype_from_name(const std::string& s) {
  for (const auto& [t, name] : kDtypeNames)
    if (s == name) return t;
  return std::nullopt;
}

const char* dtype_name(ScalarType t) {
  for (const auto& [dt, name] : kDtypeNames)
    if (dt == t) return name;
  return nullptr;
}

std::string shape_str(const std::vector<int64_t>& shape) { return detail::str(IntArrayRef(shape)); }

// --- encoding -----------------------------------------------------------------------------

struct Entry {
  const std::string* name;
  Tensor data;  // contiguous CPU copy (or the tensor itself when already so)
};

void check_text(const std::string& s, const char* what, const char* op) {
  size_t bad = 0;
  EMBER_CHECK(json::valid_utf8(s.data(), s.size(), &bad), op, ": ", what, " ", json::quote(s),
              " is not valid UTF-8 (bad byte at offset ", bad, "); safetensors headers are UTF-8 JSON");
}

// The header (padded) and the tensors in the order their bytes follow it.
std::string encode_header(const TensorMap& tensors, const MetadataMap& metadata, std::vector<Entry>& entries,
                          const char* op) {
  std::string h = "{";
  if (!metadata.empty()) {
    h += json::quote(kMetadataKey);
    h += ":{";
    bool first = true;
    for (const auto& kv : metadata) {
      check_text(kv.first, "metadata key", op);
      check_text(kv.second, "metadata value", op);
      if (!first) h += ',';
      first = false;
      h += json::quote(kv.first) + ":" + json::quote(kv.second);
    }
    h += "}";
  }
  uint64_t offset = 0;
  for (const auto& kv : tensors) {
    const std::string& name = kv.first;
    const Tensor& t = kv.second;
    EMBER_CHECK(name != kMetadataKey, op, ": a tensor may not be named \"", kMetadataKey,
                "\" (safetensors reserves it for the metadata)");
    check_text(name, "tensor name", op);
    EMBER_CHECK(t.defined(), op, ": tensor '", name, "' is undefined");
    const char* dname = dtype_name(t.dtype());
    EMBER_CHECK(dname != nullptr, op, ": tensor '", name, "' has dtype ", t.dtype(),
                ", which ember cannot write (supported: float32, float64, int64, bool)");
    Tensor c = t.detach();
    if (!c.device().is_cpu()) c = c.to(Device(kCPU));
    c = c.contiguous();
    const uint64_t nbytes = c.nbytes();
    if (h.size() > 1) h += ',';
    h += json::quote(name) + ":{\"dtype\":\"" + dname + "\",\"shape\":[";
    for (int64_t d = 0; d < c.dim(); ++d) h += (d ? "," : "") + std::to_string(c.size(d));
    h += "],\"data_offsets\":[" + std::to_string(offset) + "," + std::to_string(offset + nbytes) + "]}";
    offset += nbytes;
    entries.push_back({&name, c});
  }
  h += "}";
  // Pad with spaces so the data starts 8-byte aligned, as the reference writer does.
  h.append((8 - h.size() % 8) % 8, ' ');
  return h;
}

std::string length_prefix(uint64_t n) {
  std::string s(8, '\0');
  for (int i = 0; i < 8; ++i) s[size_t(i)] = char((n >> (8 * i)) & 0xFF);
  return s;
}

// --- decoding -----------------------------------------------------------------------------

struct Decoder {
  const std::string& file;

  [[noreturn]] void fail(const std::string& what) const {
    throw Error(detail::str("load_tensors: '", file, "': ", what));
  }
  [[noreturn]] void out_of_memory(const std::string& what, const char* cause) const {
    throw OutOfMemoryError(detail::str("load_tensors: '", file, "': out of memory ", what, ": ", cause));
  }

  // A JSON integer literal that fits in int64 and is >= 0.
  int64_t count(const json::Value& v, const std::string& what) const {
    if (v.kind != json::Value::Kind::Number)
      fail(detail::str(what, " must be a non-negative integer, got ", json::kind_name(v.kind)));
    const std::string& s = v.text;
    const bool digits_only = !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
    if (!digits_only) fail(detail::str(what, " must be a non-negative integer, got ", s));
    uint64_t n = 0;
    for (const char c : s) {
      const uint64_t d = uint64_t(c - '0');
      if (n > (uint64_t(std::numeric_limits<int64_t>::max()) - d) / 10)
        fail(detail::str(what, " ", s, " is too large"));
      n = n * 10 + d;
    }
    return int64_t(n);
  }

  const json::Value& array(const json::Value& v, const std::string& what) const {
    if (v.kind != json::Value::Kind::Array) fail(detail::str(what, " must be an array, got ", json::kind_name(v.kind)));
    return v;
  }
};

struct Region {
  std::string name;
  ScalarType dtype;
  std::vector<int64_t> shape;
  int64_t begin, end;
};

// Where the decoder's bytes come from: a file read piece by piece, or a buffer in memory. The
// decoder asks only for bytes inside [0, size) that the header checks have vouched for.
struct Source {
  uint64_t size;
  std::function<void(uint64_t offset, void* dst, size_t n)> read;  // exactly n bytes
};

// The header's length, read from the 8-byte field and checked against the limit and the size.
uint64_t header_length(const Source& src, const Decoder& d) {
  if (src.size < 8)
    d.fail(detail::str("the file is ", src.size,
                       " bytes, shorter than the 8-byte header length that starts a safetensors file"));
  unsigned char field[8];
  src.read(0, field, 8);
  uint64_t n = 0;
  for (int i = 7; i >= 0; --i) n = (n << 8) | field[i];
  if (n > kMaxHeaderBytes)
    d.fail(detail::str("the header length field says ", n, " bytes, more than the ", kMaxHeaderBytes,
                       "-byte limit (not a safetensors file, or a corrupt one)"));
  if (n > src.size - 8)
    d.fail(detail::str("the header length field says ", n, " bytes but only ", src.size - 8,
                       " bytes follow it (the file is truncated)"));
  return n;
}

// Checks every rule the header alone can break, against a data section of `payload_size` bytes,
// and returns the tensors' regions in file order (they tile the data section exactly).
std::vector<Region> parse_header(const std::string& header, int64_t payload_size, MetadataMap& metadata,
                                 const Decoder& d) {
  if (header.empty() || header[0] != '{')
    d.fail("the header must be a JSON object starting with '{' right after the length field");
  const json::Value root =
      json::parse(header.data(), header.size(), detail::str("load_tensors: '", d.file, "': header"));
  if (root.kind != json::Value::Kind::Object) d.fail("the header must be a JSON object");

  std::vector<Region> regions;
  for (size_t k = 0; k < root.keys.size(); ++k) {
    const std::string& key = root.keys[k];
    const json::Value& v = root.items[k];
    if (key == kMetadataKey) {
      if (v.kind != json::Value::Kind::Object)
        d.fail(detail::str("\"", kMetadataKey, "\" must be an object of strings, got ", json::kind_name(v.kind)));
      for (size_t m = 0; m < v.keys.size(); ++m) {
        if (v.items[m].kind != json::Value::Kind::String)
          d.fail(detail::str("metadata ", json::quote(v.keys[m]), " must be a string, got ",
                             json::kind_name(v.items[m].kind)));
        metadata[v.keys[m]] = v.items[m].text;
      }
      continue;
    }
    const std::string what = "tensor " + json::quote(key);
    if (v.kind != json::Value::Kind::Object)
      d.fail(detail::str(what, " must be described by an object, got ", json::kind_name(v.kind)));
    const json::Value *dtype = nullptr, *shape = nullptr, *offsets = nullptr;
    for (size_t f = 0; f < v.keys.size(); ++f) {
      if (v.keys[f] == "dtype") dtype = &v.items[f];
      else if (v.keys[f] == "shape") shape = &v.items[f];
      else if (v.keys[f] == "data_offsets") offsets = &v.items[f];
      else
        d.fail(
            detail::str(what, " has unknown field ", json::quote(v.keys[f]), " (expected dtype, shape, data_offsets)"));
    }
    if (!dtype || !shape || !offsets)
      d.fail(detail::str(what, " lacks the field \"", !dtype ? "dtype" : !shape ? "shape" : "data_offsets", "\""));
    if (dtype->kind != json::Value::Kind::String)
      d.fail(detail::str(what, ": dtype must be a string, got ", json::kind_name(dtype->kind)));
    const auto st = dtype_from_name(dtype->text);
    if (!st)
      d.fail(detail::str(what, " has dtype ", json::quote(dtype->text),
                         ", which ember does not support (supported: F32, F64, I64, I32, I16, I8, U8, BOOL)"));

    Region r{key, *st, {}, 0, 0};
    d.array(*shape, what + ": shape");
    if (shape->items.size() > kMaxSafetensorsDims)
      d.fail(detail::str(what, " has ", shape->items.size(), " dimensions, more than the ", kMaxSafetensorsDims, " allowed"));
    for (size_t i = 0; i < shape->items.size(); ++i)
      r.shape.push_back(d.count(shape->items[i], detail::str(what, ": shape[", i, "]")));
    // The shape rule every tensor obeys (tensor.cpp: numel, strides and bytes fit), worded as
    // everywhere else, with this file's name in front.
    int64_t numel = 0;
    const std::string problem = shape_problem(r.shape, &*st, &numel);
    if (!problem.empty()) d.fail(detail::str(what, ": ", problem));
    d.array(*offsets, what + ": data_offsets");
    if (offsets->items.size() != 2)
      d.fail(detail::str(what, ": data_offsets must be [begin, end], got ", offsets->items.size(), " numbers"));
    r.begin = d.count(offsets->items[0], what + ": data_offsets[0]");
    r.end = d.count(offsets->items[1], what + ": data_offsets[1]");
    if (r.begin > r.end) d.fail(detail::str(what, ": data_offsets [", r.begin, ", ", r.end, "] end before they begin"));
    if (r.end > payload_size)
      d.fail(detail::str(what, ": data_offsets [", r.begin, ", ", r.end, "] run past the data section, which holds ",
                         payload_size, " bytes"));
    const int64_t item = int64_t(element_size(*st));  // numel * item fits: shape_problem checked it
    if (r.end - r.begin != numel * item)
      d.fail(detail::str(what, ": shape ", shape_str(r.shape), " of ", dtype->text, " needs ", numel * item,
                         " bytes but data_offsets [", r.begin, ", ", r.end, "] span ", r.end - r.begin));
    regions.push_back(std::move(r));
  }

  // The regions must tile the data section exactly: no overlap, no gap, nothing after.
  std::stable_sort(regions.begin(), regions.end(), [](const Region& a, const Region& b) {
    return a.begin != b.begin ? a.begin < b.begin : a.end < b.end;
  });
  int64_t covered = 0;
  const Region* prev = nullptr;
  for (const Region& r : regions) {
    if (r.begin < covered)
      d.fail(detail::str("tensor ", json::quote(r.name), " (bytes [", r.begin, ", ", r.end, ")) overlaps tensor ",
                         json::quote(prev->name), " (bytes [", prev->begin, ", ", prev->end, "))"));
    if (r.begin > covered)
      d.fail(detail::str("data bytes [", covered, ", ", r.begin, ") belong to no tensor (before tensor ",
                         json::quote(r.name), "); regions must be contiguous"));
    covered = r.end;
    prev = &r;
  }
  if (covered != payload_size)
    d.fail(detail::str(payload_size - covered, " trailing bytes after the last tensor: the data section holds ",
                       payload_size, " bytes but the tensors cover ", covered));
  return regions;
}

// A region's tensor, its bytes read straight into the tensor's storage.
Tensor read_tensor(const Source& src, uint64_t data_start, const Region& r, const Decoder& d) {
  const size_t nbytes = size_t(r.end - r.begin);
  Tensor t;
  try {
    t = empty(r.shape, r.dtype);
  } catch (const OutOfMemoryError& e) {
    d.out_of_memory(detail::str("for tensor ", json::quote(r.name), " (", shape_str(r.shape), " of ",
                                dtype_name(r.dtype), ", ", nbytes, " bytes)"),
                    e.what());
  }
  if (nbytes == 0) return t;
  src.read(data_start + uint64_t(r.begin), t.data_ptr(), nbytes);
  if (r.dtype == kBool) {
    // Any byte but 0 and 1 is not a bool; reading it as one would be undefined behaviour.
    const auto* bytes = static_cast<const unsigned char*>(t.data_ptr());
    for (size_t i = 0; i < nbytes; ++i)
      if (bytes[i] > 1)
        d.fail(detail::str("tensor ", json::quote(r.name), " is BOOL but element ", i, " is byte ", int(bytes[i]),
                           " (must be 0 or 1)"));
  }
  return t;
}

// The whole decode, one definition for files and memory: the length field, then the header
// alone, checked in full against the size, and only then each tensor, allocated and filled.
SafeTensors decode_safetensors(const Source& src, const std::string& name) {
  const Decoder d{name};
  try {
    const uint64_t n = header_length(src, d);
    std::string header(size_t(n), '\0');
    src.read(8, &header[0], size_t(n));
    SafeTensors out;
    const std::vector<Region> regions = parse_header(header, int64_t(src.size - 8 - n), out.metadata, d);
    for (const Region& r : regions) out.tensors.emplace(r.name, read_tensor(src, 8 + n, r, d));
    return out;
  } catch (const std::bad_alloc&) {
    d.out_of_memory("while decoding", "std::bad_alloc");
  }
}

}  // namespace

std::string save_tensors_to_bytes(const TensorMap& tensors, const MetadataMap& metadata) {
  std::vector<Entry> entries;
  const std::string header = encode_header(tensors, metadata, entries, "save_tensors");
  std::string out = length_prefix(header.size()) + header;
  for (const Entry& e : entries)
    if (e.data.nbytes() > 0) out.append(static_cast<const char*>(e.data.data_ptr()), e.data.nbytes());
  return out;
}

void save_tensors(const TensorMap& tensors, const std::string& path, const MetadataMap& metadata) {
  std::vector<Entry> entries;
  // Everything that can fail on bad input fails here, before a file is touched.
  const std::string header = encode_header(tensors, metadata, entries, "save_tensors");
  const std::string prefix = length_prefix(header.size());
  file_io::AtomicOutputFile out(path, "save_tensors");
  out.write(prefix.data(), prefix.size());
  out.write(header.data(), header.size());
  for (const Entry& e : entries)
    if (e.data.nbytes() > 0) out.write(e.data.data_ptr(), e.data.nbytes());
  out.commit();
}
SafeTensors load_tensors_from_bytes(const void* data, size_t size, const std::string& name) {
  const auto* bytes = static_cast<const unsigned char*>(data);
  return decode_safetensors({size, [bytes](uint64_t offset, void* dst, size_t n) { std::memcpy(dst, bytes + offset, n); }}, name);
}

SafeTensors load_tensors(const std::string& path) {
  const file_io::InputFile file(path, "load_tensors");
  return decode_safetensors({file.size(), [&file](uint64_t offset, void* dst, size_t n) { file.read_at(offset, dst, n); }}, path);
}

}  // namespace ember
