// conv2d(params[18 or 19], x, w, bias|null, y, activation, sync)
// params: N,C,H,W, M,OH,OW, KH,KW, strideH,strideW, padTop,padLeft,padBottom,padRight, dilationH,dilationW, groups
// and optionally maxPool2x2 (0/1: y is the activated conv max-pooled 2x2 / stride 2, [N,M,OH/2,OW/2]).
#include "../kernels/cpu/conv2d.h"
#include "binding_util.h"

namespace lepton {
namespace {

LEPTON_BINDING(conv2d, "conv2d") {
  const std::vector<int64_t> q = arg_int_array(info, 0, "params", 19, 0, int64_t(1) << 31);
  LEPTON_THROW_IF(q.size() != 18 && q.size() != 19, "params must have 18 or 19 entries");
  Conv2dParams p;
  p.N = q[0]; p.C = q[1]; p.H = q[2]; p.W = q[3];
  p.M = q[4]; p.OH = q[5]; p.OW = q[6];
  p.KH = q[7]; p.KW = q[8];
  p.stride_h = q[9]; p.stride_w = q[10];
  p.pad_top = q[11]; p.pad_left = q[12];
  const int64_t pad_bottom = q[13], pad_right = q[14];
  p.dilation_h = q[15]; p.dilation_w = q[16];
  p.groups = q[17];
  LEPTON_THROW_IF(q.size() == 19 && q[18] > 1, "params[18] (maxPool2x2) must be 0 or 1");
  p.max_pool_2x2 = q.size() == 19 && q[18] == 1;
  ArrayArg x = arg_array(info, 1, "x", napi_float32_array);
  ArrayArg w = arg_array(info, 2, "w", napi_float32_array);
  ArrayArg bias = arg_array(info, 3, "bias", napi_float32_array, true);
  ArrayArg y = arg_array(info, 4, "y", napi_float32_array);
  p.activation = static_cast<Activation>(arg_int(info, 5, "activation", 0, 1));
  const RunMode sync = arg_mode(info, 6);

  LEPTON_THROW_IF(p.stride_h < 1 || p.stride_w < 1 || p.dilation_h < 1 || p.dilation_w < 1,
                  "strides and dilations must be >= 1");
  LEPTON_THROW_IF(p.groups < 1 || p.C % p.groups || p.M % p.groups, "groups must divide C and M");
  LEPTON_THROW_IF(p.KH < 1 || p.KW < 1, "kernel must be at least 1x1");
  const int64_t span_h = p.dilation_h * (p.KH - 1) + 1, span_w = p.dilation_w * (p.KW - 1) + 1;
  const int64_t padded_h = p.H + p.pad_top + pad_bottom, padded_w = p.W + p.pad_left + pad_right;
  LEPTON_THROW_IF(padded_h < span_h || padded_w < span_w, "kernel is larger than the padded input");
  LEPTON_THROW_IF(p.OH != (padded_h - span_h) / p.stride_h + 1 || p.OW != (padded_w - span_w) / p.stride_w + 1,
                  "output size does not match the geometry");
  check_span(x, "x", 0, checked_product({p.N, p.C, p.H, p.W}, "x"));
  check_span(w, "w", 0, checked_product({p.M, p.C / p.groups, p.KH, p.KW}, "w"));
  if (bias.present) check_span(bias, "bias", 0, p.M);
  if (p.max_pool_2x2) LEPTON_THROW_IF(p.OH < 2 || p.OW < 2, "a fused 2x2 max pool needs a conv output of at least 2x2");
  check_span(y, "y", 0, checked_product({p.N, p.M, p.max_pool_2x2 ? p.OH / 2 : p.OH, p.max_pool_2x2 ? p.OW / 2 : p.OW}, "y"));
  const float* xp = ptr<const float>(x);
  const float* wp = ptr<const float>(w);
  const float* bp = ptr<const float>(bias);
  float* yp = ptr<float>(y);
  return schedule(info, sync, {1, 2, 3, 4}, [=] { conv2d_f32(p, xp, wp, bp, yp); });
}

}  // namespace

void register_conv2d(Napi::Env env, Napi::Object exports) {
  exports.Set("conv2d", Napi::Function::New(env, conv2d, "conv2d"));
}

}  // namespace lepton
