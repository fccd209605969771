// reduce(op, shape, strides, offset, x, mask, y, sync)
// argReduce(isMax, selectLast, shape, strides, offset, x, axis, y:BigInt64Array, sync)
#include "../kernels/cpu/reduce.h"
#include "binding_util.h"

namespace lepton {
namespace {

constexpr size_t kMaxRank = 16;

LEPTON_BINDING(reduce, "reduce") {
  const int64_t op = arg_int(info, 0, "op", 0, 9);
  const std::vector<int64_t> shape = arg_int_array(info, 1, "shape", kMaxRank);
  const std::vector<int64_t> strides = arg_int_array(info, 2, "strides", kMaxRank);
  const int64_t offset = arg_int(info, 3, "offset");
  ArrayArg x = arg_array(info, 4, "x", napi_float32_array);
  const int64_t mask = arg_int(info, 5, "mask", 0, (int64_t(1) << kMaxRank) - 1);
  ArrayArg y = arg_array(info, 6, "y", napi_float32_array);
  const RunMode sync = arg_mode(info, 7);
  check_view(x, "x", offset, shape, strides);
  int64_t kept = 1;
  for (size_t d = 0; d < shape.size(); ++d) {
    if (!(mask >> d & 1)) kept = checked_mul(kept, shape[d], "y");
  }
  check_span(y, "y", 0, kept);
  const float* xp = ptr<const float>(x, offset);
  float* yp = ptr<float>(y);
  return schedule(info, sync, {4, 6}, [=] {
    reduce_f32(static_cast<ReduceOp>(op), static_cast<int>(shape.size()), shape.data(), strides.data(), xp,
               static_cast<uint64_t>(mask), yp);
  });
}

LEPTON_BINDING(arg_reduce, "argReduce") {
  const bool is_max = arg_bool(info, 0, "isMax"), select_last = arg_bool(info, 1, "selectLast");
  const std::vector<int64_t> shape = arg_int_array(info, 2, "shape", kMaxRank);
  const std::vector<int64_t> strides = arg_int_array(info, 3, "strides", kMaxRank);
  const int64_t offset = arg_int(info, 4, "offset");
  ArrayArg x = arg_array(info, 5, "x", napi_float32_array);
  const int64_t axis = arg_int(info, 6, "axis", 0, static_cast<int64_t>(kMaxRank) - 1);
  ArrayArg y = arg_array(info, 7, "y", napi_bigint64_array);
  const RunMode sync = arg_mode(info, 8);
  LEPTON_THROW_IF(axis >= static_cast<int64_t>(shape.size()), "axis out of range");
  LEPTON_THROW_IF(shape[axis] == 0, "cannot take argmax/argmin over an empty axis");
  check_view(x, "x", offset, shape, strides);
  int64_t kept = 1;
  for (size_t d = 0; d < shape.size(); ++d) {
    if (static_cast<int64_t>(d) != axis) kept = checked_mul(kept, shape[d], "y");
  }
  check_span(y, "y", 0, kept);
  const float* xp = ptr<const float>(x, offset);
  int64_t* yp = ptr<int64_t>(y);
  return schedule(info, sync, {5, 7}, [=] {
    arg_reduce_f32(is_max, select_last, static_cast<int>(shape.size()), shape.data(), strides.data(), xp,
                   static_cast<int>(axis), yp);
  });
}

}  // namespace

void register_reduce(Napi::Env env, Napi::Object exports) {
  exports.Set("reduce", Napi::Function::New(env, reduce, "reduce"));
  exports.Set("argReduce", Napi::Function::New(env, arg_reduce, "argReduce"));
}

}  // namespace lepton
