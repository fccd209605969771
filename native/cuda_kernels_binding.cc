// Kernel launches from JS: each checks its arguments (device buffers by id + element offset,
// every view inside its buffer), enqueues on the device's compute stream and returns a Promise
// settled when the kernel has run. Shapes and attributes come resolved from src/ops/*.ts.
#ifdef LEPTON_WITH_CUDA
#include "../kernels/cuda/argReduce.h"
#include "../kernels/cuda/batchNorm.h"
#include "../kernels/cuda/conv2d.h"
#include "../kernels/cuda/copy.h"
#include "../kernels/cuda/elementwise.h"
#include "../kernels/cuda/gemm.h"
#include "../kernels/cuda/pool2d.h"
#include "../kernels/cuda/reduce.h"
#include "../kernels/cuda/softmax.h"
#include "cuda_async.h"

namespace lepton {
namespace {

CudaDevice& arg_device(const Napi::CallbackInfo& info) {
  return cuda_device(static_cast<int>(arg_int(info, 0, "device", 0, 1023)));
}

CudaStrided to_strided(const std::vector<int64_t>& shape, const std::vector<int64_t>& strides) {
  CudaStrided s;
  s.rank = static_cast<int>(shape.size());
  for (size_t d = 0; d < shape.size(); ++d) {
    s.shape[d] = shape[d];
    s.strides[d] = d < strides.size() ? strides[d] : 0;
  }
  return s;
}

int64_t product(const std::vector<int64_t>& v) { return checked_product(v, "shape"); }

// (device, ints[24], alpha, beta, A, aOff, B, bOff, C, cOff, rowBias, rbOff, colBias, cbOff); ints:
// M N K aRs aCs bRs bCs ldc activation dtype precision batchRank batch[4] aBatchStrides[4] bBatchStrides[4].
LEPTON_CUDA_BINDING(cuda_gemm_fn, "cudaGemm") {
  CudaDevice& dev = arg_device(info);
  const std::vector<int64_t> v = arg_int_array(info, 1, "ints", 24);
  LEPTON_THROW_IF(v.size() != 24, "ints must have 24 entries");
  CudaGemmArgs p;
  p.M = v[0]; p.N = v[1]; p.K = v[2];
  p.a_rs = v[3]; p.a_cs = v[4]; p.b_rs = v[5]; p.b_cs = v[6]; p.ldc = v[7];
  p.activation = static_cast<int>(v[8]);
  p.dtype = static_cast<int>(v[9]);
  p.precision = static_cast<int>(v[10]);
  p.batch_rank = static_cast<int>(v[11]);
  LEPTON_THROW_IF(p.activation > 1 || p.dtype > 2 || p.precision > 1 || p.batch_rank > 4, "ints has a bad code");
  LEPTON_THROW_IF(p.ldc < p.N, "ldc must be at least N");
  std::vector<int64_t> batch, abs, bbs;
  for (int d = 0; d < p.batch_rank; ++d) {
    p.batch[d] = v[12 + d];
    p.a_batch_strides[d] = v[16 + d];
    p.b_batch_strides[d] = v[20 + d];
    batch.push_back(v[12 + d]);
    abs.push_back(v[16 + d]);
    bbs.push_back(v[20 + d]);
  }
  p.alpha = static_cast<float>(arg_number(info, 2, "alpha"));
  p.beta = static_cast<float>(arg_number(info, 3, "beta"));
  const int es = p.dtype == kCudaF32 ? 4 : 2;
  auto with = [](std::vector<int64_t> a, std::initializer_list<int64_t> tail) {
    a.insert(a.end(), tail);
    return a;
  };
  const int64_t a_ext = view_extent(with(batch, {p.M, p.K}), with(abs, {p.a_rs, p.a_cs}), "A");
  const int64_t b_ext = view_extent(with(batch, {p.K, p.N}), with(bbs, {p.b_rs, p.b_cs}), "B");
  const int64_t c_ext = checked_mul(product(batch), checked_mul(p.M, p.ldc, "C"), "C");
  p.A = arg_device_ptr(info, 4, "A", dev.index, es, a_ext);
  p.B = arg_device_ptr(info, 6, "B", dev.index, es, b_ext);
  p.C = arg_device_ptr(info, 8, "C", dev.index, es, c_ext);
  p.row_bias = static_cast<const float*>(arg_device_ptr_optional(info, 10, "rowBias", dev.index, 4, p.M));
  p.col_bias = static_cast<const float*>(arg_device_ptr_optional(info, 12, "colBias", dev.index, 4, p.N));
  return cuda_launch(info, dev, "cudaGemm", [&](cudaStream_t s) { return cuda_gemm(p, s); });
}

// (device, params[18], activation, x, xOff, w, wOff, bias, bOff, y, yOff); params as the CPU conv2d.
LEPTON_CUDA_BINDING(cuda_conv2d_fn, "cudaConv2d") {
  CudaDevice& dev = arg_device(info);
  const std::vector<int64_t> q = arg_int_array(info, 1, "params", 18, 0, int64_t(1) << 31);
  LEPTON_THROW_IF(q.size() != 18, "params must have 18 entries");
  CudaConv2dArgs p;
  p.N = q[0]; p.C = q[1]; p.H = q[2]; p.W = q[3]; p.M = q[4]; p.OH = q[5]; p.OW = q[6]; p.KH = q[7]; p.KW = q[8];
  p.stride_h = q[9]; p.stride_w = q[10]; p.pad_top = q[11]; p.pad_left = q[12];
  p.dilation_h = q[15]; p.dilation_w = q[16]; p.groups = q[17];
  LEPTON_THROW_IF(p.groups < 1 || p.C % p.groups != 0 || p.M % p.groups != 0, "groups must divide C and M");
  LEPTON_THROW_IF(p.KH < 1 || p.KW < 1 || p.stride_h < 1 || p.stride_w < 1 || p.dilation_h < 1 || p.dilation_w < 1,
                  "kernel, strides and dilations must be >= 1");
  p.activation = static_cast<int>(arg_int(info, 2, "activation", 0, 1));
  p.x = static_cast<const float*>(arg_device_ptr(info, 3, "x", dev.index, 4, product({p.N, p.C, p.H, p.W})));
  p.w = static_cast<const float*>(arg_device_ptr(info, 5, "w", dev.index, 4, product({p.M, p.C / p.groups, p.KH, p.KW})));
  p.bias = static_cast<const float*>(arg_device_ptr_optional(info, 7, "bias", dev.index, 4, p.M));
  p.y = static_cast<float*>(arg_device_ptr(info, 9, "y", dev.index, 4, product({p.N, p.M, p.OH, p.OW})));
  return cuda_launch(info, dev, "cudaConv2d", [&](cudaStream_t s) { return cuda_conv2d_f32(p, s); });
}

// (device, op, shape, strides, mask, x, xOff, y, yOff)
LEPTON_CUDA_BINDING(cuda_reduce_fn, "cudaReduce") {
  CudaDevice& dev = arg_device(info);
  CudaReduceArgs p;
  p.op = static_cast<int>(arg_int(info, 1, "op", 0, 9));
  const std::vector<int64_t> shape = arg_int_array(info, 2, "shape", kCudaMaxRank);
  const std::vector<int64_t> strides = arg_int_array(info, 3, "strides", kCudaMaxRank);
  p.mask = static_cast<uint32_t>(arg_int(info, 4, "mask", 0, (1 << kCudaMaxRank) - 1));
  p.x = to_strided(shape, strides);
  std::vector<int64_t> kept;
  for (size_t d = 0; d < shape.size(); ++d) {
    if (!((p.mask >> d) & 1u)) kept.push_back(shape[d]);
  }
  p.data = static_cast<const float*>(arg_device_ptr(info, 5, "x", dev.index, 4, view_extent(shape, strides, "x")));
  p.y = static_cast<float*>(arg_device_ptr(info, 7, "y", dev.index, 4, product(kept)));
  return cuda_launch(info, dev, "cudaReduce", [&](cudaStream_t s) {
    const size_t ws_bytes = cuda_reduce_workspace_bytes(p);
    void* ws = ws_bytes ? dev.allocator->allocate(ws_bytes) : nullptr;
    const cudaError_t e = cuda_reduce_f32(p, ws, s);
    if (ws) dev.allocator->release(ws, ws_bytes, s);  // reusable once the reduction has run
    return e;
  });
}

// (device, isMax, selectLast, shape, strides, axis, x, xOff, y, yOff)
LEPTON_CUDA_BINDING(cuda_arg_reduce_fn, "cudaArgReduce") {
  CudaDevice& dev = arg_device(info);
  CudaArgReduceArgs p;
  p.is_max = arg_bool(info, 1, "isMax");
  p.select_last = arg_bool(info, 2, "selectLast");
  const std::vector<int64_t> shape = arg_int_array(info, 3, "shape", kCudaMaxRank);
  const std::vector<int64_t> strides = arg_int_array(info, 4, "strides", kCudaMaxRank);
  LEPTON_THROW_IF(shape.empty(), "shape must have at least 1 dim");
  p.axis = static_cast<int>(arg_int(info, 5, "axis", 0, static_cast<int64_t>(shape.size()) - 1));
  LEPTON_THROW_IF(shape[p.axis] < 1, "the axis must not be empty");
  p.x = to_strided(shape, strides);
  std::vector<int64_t> rest = shape;
  rest.erase(rest.begin() + p.axis);
  p.data = static_cast<const float*>(arg_device_ptr(info, 6, "x", dev.index, 4, view_extent(shape, strides, "x")));
  p.y = static_cast<int64_t*>(arg_device_ptr(info, 8, "y", dev.index, 8, product(rest)));
  return cuda_launch(info, dev, "cudaArgReduce", [&](cudaStream_t s) { return cuda_arg_reduce_f32(p, s); });
}

// (device, op, outShape, a, aOff, aStrides, b, bOff, bStrides, y, yOff)
LEPTON_CUDA_BINDING(cuda_binary_fn, "cudaBinary") {
  CudaDevice& dev = arg_device(info);
  CudaBinaryArgs p;
  p.op = static_cast<int>(arg_int(info, 1, "op", 0, 6));
  const std::vector<int64_t> shape = arg_int_array(info, 2, "outShape", kCudaMaxRank);
  const std::vector<int64_t> as = arg_int_array(info, 5, "aStrides", kCudaMaxRank);
  const std::vector<int64_t> bs = arg_int_array(info, 8, "bStrides", kCudaMaxRank);
  p.out = to_strided(shape, {});
  for (size_t d = 0; d < shape.size(); ++d) {
    p.a_strides[d] = d < as.size() ? as[d] : 0;
    p.b_strides[d] = d < bs.size() ? bs[d] : 0;
  }
  p.a = static_cast<const float*>(arg_device_ptr(info, 3, "a", dev.index, 4, view_extent(shape, as, "a")));
  p.b = static_cast<const float*>(arg_device_ptr(info, 6, "b", dev.index, 4, view_extent(shape, bs, "b")));
  p.y = static_cast<float*>(arg_device_ptr(info, 9, "y", dev.index, 4, product(shape)));
  return cuda_launch(info, dev, "cudaBinary", [&](cudaStream_t s) { return cuda_binary_f32(p, s); });
}

// (device, op, x, xOff, n, y, yOff)
LEPTON_CUDA_BINDING(cuda_unary_fn, "cudaUnary") {
  CudaDevice& dev = arg_device(info);
  const int op = static_cast<int>(arg_int(info, 1, "op", 0, 11));
  const int64_t n = arg_int(info, 4, "n");
  const float* x = static_cast<const float*>(arg_device_ptr(info, 2, "x", dev.index, 4, n));
  float* y = static_cast<float*>(arg_device_ptr(info, 5, "y", dev.index, 4, n));
  return cuda_launch(info, dev, "cudaUnary", [&](cudaStream_t s) { return cuda_unary_f32(op, x, y, n, s); });
}

// (device, x, xOff, n, lo, hi, y, yOff)
LEPTON_CUDA_BINDING(cuda_clip_fn, "cudaClip") {
  CudaDevice& dev = arg_device(info);
  const int64_t n = arg_int(info, 3, "n");
  const float lo = static_cast<float>(arg_number(info, 4, "lo")), hi = static_cast<float>(arg_number(info, 5, "hi"));
  const float* x = static_cast<const float*>(arg_device_ptr(info, 1, "x", dev.index, 4, n));
  float* y = static_cast<float*>(arg_device_ptr(info, 6, "y", dev.index, 4, n));
  return cuda_launch(info, dev, "cudaClip", [&](cudaStream_t s) { return cuda_clip_f32(x, y, n, lo, hi, s); });
}

// (device, outer, len, inner, log, x, xOff, y, yOff)
LEPTON_CUDA_BINDING(cuda_softmax_fn, "cudaSoftmax") {
  CudaDevice& dev = arg_device(info);
  const int64_t outer = arg_int(info, 1, "outer"), len = arg_int(info, 2, "len"), inner = arg_int(info, 3, "inner");
  const bool log = arg_bool(info, 4, "log");
  const int64_t n = product({outer, len, inner});
  const float* x = static_cast<const float*>(arg_device_ptr(info, 5, "x", dev.index, 4, n));
  float* y = static_cast<float*>(arg_device_ptr(info, 7, "y", dev.index, 4, n));
  return cuda_launch(info, dev, "cudaSoftmax", [&](cudaStream_t s) { return cuda_softmax_f32(x, y, outer, len, inner, log, s); });
}

// (device, params[17], isMax, x, xOff, y, yOff, indices, iOff); params as the CPU pool kernels.
LEPTON_CUDA_BINDING(cuda_pool2d_fn, "cudaPool2d") {
  CudaDevice& dev = arg_device(info);
  const std::vector<int64_t> q = arg_int_array(info, 1, "params", 17, 0, int64_t(1) << 31);
  LEPTON_THROW_IF(q.size() != 17, "params must have 17 entries");
  CudaPool2dArgs p;
  p.N = q[0]; p.C = q[1]; p.H = q[2]; p.W = q[3]; p.OH = q[4]; p.OW = q[5]; p.KH = q[6]; p.KW = q[7];
  p.stride_h = q[8]; p.stride_w = q[9]; p.pad_top = q[10]; p.pad_left = q[11]; p.pad_bottom = q[12]; p.pad_right = q[13];
  p.dilation_h = q[14]; p.dilation_w = q[15]; p.count_include_pad = q[16] != 0;
  LEPTON_THROW_IF(p.KH < 1 || p.KW < 1 || p.stride_h < 1 || p.stride_w < 1 || p.dilation_h < 1 || p.dilation_w < 1,
                  "kernel, strides and dilations must be >= 1");
  p.is_max = arg_bool(info, 2, "isMax");
  const int64_t out = product({p.N, p.C, p.OH, p.OW});
  p.x = static_cast<const float*>(arg_device_ptr(info, 3, "x", dev.index, 4, product({p.N, p.C, p.H, p.W})));
  p.y = static_cast<float*>(arg_device_ptr(info, 5, "y", dev.index, 4, out));
  p.indices = static_cast<int64_t*>(arg_device_ptr_optional(info, 7, "indices", dev.index, 8, out));
  return cuda_launch(info, dev, "cudaPool2d", [&](cudaStream_t s) { return cuda_pool2d_f32(p, s); });
}

// (device, N, C, spatial, epsilon, x, xOff, scale, sOff, bias, bOff, mean, mOff, variance, vOff, y, yOff)
LEPTON_CUDA_BINDING(cuda_batchnorm_fn, "cudaBatchnorm") {
  CudaDevice& dev = arg_device(info);
  const int64_t N = arg_int(info, 1, "N"), C = arg_int(info, 2, "C"), spatial = arg_int(info, 3, "spatial");
  const float eps = static_cast<float>(arg_number(info, 4, "epsilon"));
  const int64_t n = product({N, C, spatial});
  auto param = [&](size_t i, const char* name) { return static_cast<const float*>(arg_device_ptr(info, i, name, dev.index, 4, C)); };
  const float* x = static_cast<const float*>(arg_device_ptr(info, 5, "x", dev.index, 4, n));
  const float *scale = param(7, "scale"), *bias = param(9, "bias"), *mean = param(11, "mean"), *var = param(13, "variance");
  float* y = static_cast<float*>(arg_device_ptr(info, 15, "y", dev.index, 4, n));
  return cuda_launch(info, dev, "cudaBatchnorm",
                     [&](cudaStream_t s) { return cuda_batchnorm_f32(x, scale, bias, mean, var, eps, y, N, C, spatial, s); });
}

// (device, elementSize, shape, srcStrides, src, srcOff, dstStrides, dst, dstOff)
LEPTON_CUDA_BINDING(cuda_copy_fn, "cudaCopy") {
  CudaDevice& dev = arg_device(info);
  const int es = static_cast<int>(arg_int(info, 1, "elementSize", 1, 8));
  LEPTON_THROW_IF(es != 1 && es != 2 && es != 4 && es != 8, "elementSize must be 1, 2, 4 or 8");
  const std::vector<int64_t> shape = arg_int_array(info, 2, "shape", kCudaMaxRank);
  const std::vector<int64_t> ss = arg_int_array(info, 3, "srcStrides", kCudaMaxRank);
  const std::vector<int64_t> ds = arg_int_array(info, 6, "dstStrides", kCudaMaxRank);
  const CudaStrided src = to_strided(shape, ss);
  int64_t dst_strides[kCudaMaxRank] = {};
  for (size_t d = 0; d < ds.size(); ++d) dst_strides[d] = ds[d];
  const void* sp = arg_device_ptr(info, 4, "src", dev.index, es, view_extent(shape, ss, "src"));
  void* dp = arg_device_ptr(info, 7, "dst", dev.index, es, view_extent(shape, ds, "dst"));
  return cuda_launch(info, dev, "cudaCopy", [&](cudaStream_t s) { return cuda_copy_strided(src, dst_strides, sp, dp, es, s); });
}

}  // namespace

void register_cuda_kernels(Napi::Env env, Napi::Object exports) {
  exports.Set("cudaGemm", Napi::Function::New(env, cuda_gemm_fn, "cudaGemm"));
  exports.Set("cudaConv2d", Napi::Function::New(env, cuda_conv2d_fn, "cudaConv2d"));
  exports.Set("cudaReduce", Napi::Function::New(env, cuda_reduce_fn, "cudaReduce"));
  exports.Set("cudaArgReduce", Napi::Function::New(env, cuda_arg_reduce_fn, "cudaArgReduce"));
  exports.Set("cudaBinary", Napi::Function::New(env, cuda_binary_fn, "cudaBinary"));
  exports.Set("cudaUnary", Napi::Function::New(env, cuda_unary_fn, "cudaUnary"));
  exports.Set("cudaClip", Napi::Function::New(env, cuda_clip_fn, "cudaClip"));
  exports.Set("cudaSoftmax", Napi::Function::New(env, cuda_softmax_fn, "cudaSoftmax"));
  exports.Set("cudaPool2d", Napi::Function::New(env, cuda_pool2d_fn, "cudaPool2d"));
  exports.Set("cudaBatchnorm", Napi::Function::New(env, cuda_batchnorm_fn, "cudaBatchnorm"));
  exports.Set("cudaCopy", Napi::Function::New(env, cuda_copy_fn, "cudaCopy"));
}

}  // namespace lepton
#endif  // LEPTON_WITH_CUDA
