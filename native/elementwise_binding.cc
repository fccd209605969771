// binary(op, outShape, a, aOffset, aStrides, b, bOffset, bStrides, y, sync)
// unary(op, x, xOffset, n, y, sync); clip(x, xOffset, n, lo, hi, y, sync)
// copyStrided(shape, strides, offset, x, y, sync)     any 4- or 8-byte element type
// softmax(outer, axisLen, inner, x, xOffset, y, log, sync)
// batchnorm(N, C, spatial, x, scale, bias, mean, var, eps, y, sync)
#include "../kernels/cpu/elementwise.h"
#include "binding_util.h"

namespace lepton {
namespace {

constexpr size_t kMaxRank = 16;

LEPTON_BINDING(binary, "binary") {
  const int64_t op = arg_int(info, 0, "op", 0, 6);
  const std::vector<int64_t> shape = arg_int_array(info, 1, "outShape", kMaxRank);
  ArrayArg a = arg_array(info, 2, "a", napi_float32_array);
  const int64_t a_off = arg_int(info, 3, "aOffset");
  const std::vector<int64_t> a_strides = arg_int_array(info, 4, "aStrides", kMaxRank);
  ArrayArg b = arg_array(info, 5, "b", napi_float32_array);
  const int64_t b_off = arg_int(info, 6, "bOffset");
  const std::vector<int64_t> b_strides = arg_int_array(info, 7, "bStrides", kMaxRank);
  ArrayArg y = arg_array(info, 8, "y", napi_float32_array);
  const RunMode sync = arg_mode(info, 9);
  check_view(a, "a", a_off, shape, a_strides);
  check_view(b, "b", b_off, shape, b_strides);
  check_span(y, "y", 0, checked_product(shape, "y"));
  const float* ap = ptr<const float>(a, a_off);
  const float* bp = ptr<const float>(b, b_off);
  float* yp = ptr<float>(y);
  return schedule(info, sync, {2, 5, 8}, [=] {
    binary_f32(static_cast<BinaryOp>(op), static_cast<int>(shape.size()), shape.data(), ap, a_strides.data(), bp,
               b_strides.data(), yp);
  });
}

LEPTON_BINDING(unary, "unary") {
  const int64_t op = arg_int(info, 0, "op", 0, 11);
  ArrayArg x = arg_array(info, 1, "x", napi_float32_array);
  const int64_t off = arg_int(info, 2, "xOffset"), n = arg_int(info, 3, "n");
  ArrayArg y = arg_array(info, 4, "y", napi_float32_array);
  const RunMode sync = arg_mode(info, 5);
  check_span(x, "x", off, n);
  check_span(y, "y", 0, n);
  const float* xp = ptr<const float>(x, off);
  float* yp = ptr<float>(y);
  return schedule(info, sync, {1, 4}, [=] { unary_f32(static_cast<UnaryOp>(op), n, xp, yp); });
}

LEPTON_BINDING(clip, "clip") {
  ArrayArg x = arg_array(info, 0, "x", napi_float32_array);
  const int64_t off = arg_int(info, 1, "xOffset"), n = arg_int(info, 2, "n");
  const float lo = static_cast<float>(arg_number(info, 3, "lo")), hi = static_cast<float>(arg_number(info, 4, "hi"));
  ArrayArg y = arg_array(info, 5, "y", napi_float32_array);
  const RunMode sync = arg_mode(info, 6);
  check_span(x, "x", off, n);
  check_span(y, "y", 0, n);
  const float* xp = ptr<const float>(x, off);
  float* yp = ptr<float>(y);
  return schedule(info, sync, {0, 5}, [=] { clip_f32(n, xp, lo, hi, yp); });
}

LEPTON_BINDING(copy_strided, "copyStrided") {
  const std::vector<int64_t> shape = arg_int_array(info, 0, "shape", kMaxRank);
  const std::vector<int64_t> strides = arg_int_array(info, 1, "strides", kMaxRank);
  const int64_t off = arg_int(info, 2, "offset");
  ArrayArg x = arg_array_any(info, 3, "x");
  ArrayArg y = arg_array_any(info, 4, "y");
  const RunMode sync = arg_mode(info, 5);
  LEPTON_THROW_IF(x.element_size != y.element_size, "x and y must have the same element size");
  check_view(x, "x", off, shape, strides);
  check_span(y, "y", 0, checked_product(shape, "y"));
  const int esize = x.element_size;
  const void* xp = static_cast<const uint8_t*>(x.data) + off * esize;
  void* yp = y.data;
  return schedule(info, sync, {3, 4}, [=] {
    if (esize == 4) copy_strided_4(static_cast<int>(shape.size()), shape.data(), strides.data(), xp, yp);
    else copy_strided_8(static_cast<int>(shape.size()), shape.data(), strides.data(), xp, yp);
  });
}

LEPTON_BINDING(softmax, "softmax") {
  const int64_t outer = arg_int(info, 0, "outer"), axis_len = arg_int(info, 1, "axisLen"),
                inner = arg_int(info, 2, "inner");
  ArrayArg x = arg_array(info, 3, "x", napi_float32_array);
  const int64_t off = arg_int(info, 4, "xOffset");
  ArrayArg y = arg_array(info, 5, "y", napi_float32_array);
  const bool log = arg_bool(info, 6, "log");
  const RunMode sync = arg_mode(info, 7);
  const int64_t n = checked_product({outer, axis_len, inner}, "x");
  check_span(x, "x", off, n);
  check_span(y, "y", 0, n);
  const float* xp = ptr<const float>(x, off);
  float* yp = ptr<float>(y);
  return schedule(info, sync, {3, 5}, [=] { softmax_f32(outer, axis_len, inner, xp, yp, log); });
}

LEPTON_BINDING(batchnorm, "batchnorm") {
  const int64_t N = arg_int(info, 0, "N"), C = arg_int(info, 1, "C"), spatial = arg_int(info, 2, "spatial");
  ArrayArg x = arg_array(info, 3, "x", napi_float32_array);
  ArrayArg scale = arg_array(info, 4, "scale", napi_float32_array);
  ArrayArg bias = arg_array(info, 5, "bias", napi_float32_array);
  ArrayArg mean = arg_array(info, 6, "mean", napi_float32_array);
  ArrayArg var = arg_array(info, 7, "var", napi_float32_array);
  const float eps = static_cast<float>(arg_number(info, 8, "epsilon"));
  ArrayArg y = arg_array(info, 9, "y", napi_float32_array);
  const RunMode sync = arg_mode(info, 10);
  const int64_t n = checked_product({N, C, spatial}, "x");
  check_span(x, "x", 0, n);
  check_span(y, "y", 0, n);
  check_span(scale, "scale", 0, C);
  check_span(bias, "bias", 0, C);
  check_span(mean, "mean", 0, C);
  check_span(var, "var", 0, C);
  const float *xp = ptr<const float>(x), *sp = ptr<const float>(scale), *bp = ptr<const float>(bias),
              *mp = ptr<const float>(mean), *vp = ptr<const float>(var);
  float* yp = ptr<float>(y);
  return schedule(info, sync, {3, 4, 5, 6, 7, 9},
                  [=] { batchnorm_f32(N, C, spatial, xp, sp, bp, mp, vp, eps, yp); });
}

}  // namespace

void register_elementwise(Napi::Env env, Napi::Object exports) {
  exports.Set("binary", Napi::Function::New(env, binary, "binary"));
  exports.Set("unary", Napi::Function::New(env, unary, "unary"));
  exports.Set("clip", Napi::Function::New(env, clip, "clip"));
  exports.Set("copyStrided", Napi::Function::New(env, copy_strided, "copyStrided"));
  exports.Set("softmax", Napi::Function::New(env, softmax, "softmax"));
  exports.Set("batchnorm", Napi::Function::New(env, batchnorm, "batchnorm"));
}

}  // namespace lepton
