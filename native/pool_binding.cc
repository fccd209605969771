// maxPool2d(params[17], x, y, indices|null, sync); avgPool2d(params[17], x, y, sync)
// params: N,C,H,W, OH,OW, KH,KW, strideH,strideW, padTop,padLeft,padBottom,padRight, dilationH,dilationW, countIncludePad
// globalPool(isMax, nc, spatial, x, y, sync)
#include "../kernels/cpu/pool.h"
#include "binding_util.h"

namespace lepton {
namespace {

Pool2dParams read_params(const Napi::CallbackInfo& info) {
  const std::vector<int64_t> q = arg_int_array(info, 0, "params", 17, 0, int64_t(1) << 31);
  LEPTON_THROW_IF(q.size() != 17, "params must have 17 entries");
  Pool2dParams p;
  p.N = q[0]; p.C = q[1]; p.H = q[2]; p.W = q[3];
  p.OH = q[4]; p.OW = q[5]; p.KH = q[6]; p.KW = q[7];
  p.stride_h = q[8]; p.stride_w = q[9];
  p.pad_top = q[10]; p.pad_left = q[11]; p.pad_bottom = q[12]; p.pad_right = q[13];
  p.dilation_h = q[14]; p.dilation_w = q[15];
  p.count_include_pad = q[16] != 0;
  LEPTON_THROW_IF(p.KH < 1 || p.KW < 1 || p.stride_h < 1 || p.stride_w < 1 || p.dilation_h < 1 || p.dilation_w < 1,
                  "kernel, strides and dilations must be >= 1");
  // Every output window must start inside the padded input (ceil_mode may add one more window).
  LEPTON_THROW_IF((p.OH > 0 && (p.OH - 1) * p.stride_h >= p.H + p.pad_top + p.pad_bottom) ||
                      (p.OW > 0 && (p.OW - 1) * p.stride_w >= p.W + p.pad_left + p.pad_right),
                  "output size does not match the geometry");
  return p;
}

void check_io(const Pool2dParams& p, const ArrayArg& x, const ArrayArg& y) {
  check_span(x, "x", 0, checked_product({p.N, p.C, p.H, p.W}, "x"));
  check_span(y, "y", 0, checked_product({p.N, p.C, p.OH, p.OW}, "y"));
}

LEPTON_BINDING(max_pool2d, "maxPool2d") {
  Pool2dParams p = read_params(info);
  ArrayArg x = arg_array(info, 1, "x", napi_float32_array);
  ArrayArg y = arg_array(info, 2, "y", napi_float32_array);
  ArrayArg idx = arg_array(info, 3, "indices", napi_bigint64_array, true);
  const RunMode sync = arg_mode(info, 4);
  check_io(p, x, y);
  if (idx.present) check_span(idx, "indices", 0, checked_product({p.N, p.C, p.OH, p.OW}, "indices"));
  const float* xp = ptr<const float>(x);
  float* yp = ptr<float>(y);
  int64_t* ip = ptr<int64_t>(idx);
  return schedule(info, sync, {1, 2, 3}, [=] { max_pool2d_f32(p, xp, yp, ip); });
}

LEPTON_BINDING(avg_pool2d, "avgPool2d") {
  Pool2dParams p = read_params(info);
  ArrayArg x = arg_array(info, 1, "x", napi_float32_array);
  ArrayArg y = arg_array(info, 2, "y", napi_float32_array);
  const RunMode sync = arg_mode(info, 3);
  check_io(p, x, y);
  const float* xp = ptr<const float>(x);
  float* yp = ptr<float>(y);
  return schedule(info, sync, {1, 2}, [=] { avg_pool2d_f32(p, xp, yp); });
}

LEPTON_BINDING(global_pool, "globalPool") {
  const bool is_max = arg_bool(info, 0, "isMax");
  const int64_t nc = arg_int(info, 1, "nc"), spatial = arg_int(info, 2, "spatial");
  ArrayArg x = arg_array(info, 3, "x", napi_float32_array);
  ArrayArg y = arg_array(info, 4, "y", napi_float32_array);
  const RunMode sync = arg_mode(info, 5);
  check_span(x, "x", 0, checked_mul(nc, spatial, "x"));
  check_span(y, "y", 0, nc);
  const float* xp = ptr<const float>(x);
  float* yp = ptr<float>(y);
  return schedule(info, sync, {3, 4}, [=] {
    if (is_max) global_max_pool_f32(nc, spatial, xp, yp);
    else global_avg_pool_f32(nc, spatial, xp, yp);
  });
}

}  // namespace

void register_pool(Napi::Env env, Napi::Object exports) {
  exports.Set("maxPool2d", Napi::Function::New(env, max_pool2d, "maxPool2d"));
  exports.Set("avgPool2d", Napi::Function::New(env, avg_pool2d, "avgPool2d"));
  exports.Set("globalPool", Napi::Function::New(env, global_pool, "globalPool"));
}

}  // namespace lepton
