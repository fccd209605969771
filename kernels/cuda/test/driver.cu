// lepton_cuda_check: runs every CUDA kernel on random, awkward shapes against a float64 CPU
// reference and prints one PASS/FAIL line per case, then times sgemm 4096^3 (fp32, TF32, BF16)
// and a 1 GiB sum beside cudaMemcpy device-to-device bandwidth. Needs no Node.
// Exit status: 0 all passed, 1 a case failed, 2 no usable GPU (the reason is printed).
// `lepton_cuda_check --no-bench` skips the timings.
#include <cuda_bf16.h>
#include <cuda_fp16.h>
#include <cuda_runtime.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <functional>
#include <random>
#include <string>
#include <vector>

#include "../argReduce.h"
#include "../batchNorm.h"
#include "../conv2d.h"
#include "../copy.h"
#include "../elementwise.h"
#include "../gemm.h"
#include "../pool2d.h"
#include "../reduce.h"
#include "../softmax.h"

using namespace lepton;

namespace {

int failures = 0, cases = 0;
std::mt19937 rng(1234);

std::vector<float> random_vec(size_t n, float lo = -1.f, float hi = 1.f) {
  std::uniform_real_distribution<float> d(lo, hi);
  std::vector<float> v(n);
  for (auto& x : v) x = d(rng);
  return v;
}

// Device memory holding a host vector; copies back on read().
template <typename T>
struct Dev {
  T* p = nullptr;
  size_t n = 0;
  explicit Dev(const std::vector<T>& h) : n(h.size()) {
    cudaMalloc(&p, std::max<size_t>(n, 1) * sizeof(T));
    cudaMemcpy(p, h.data(), n * sizeof(T), cudaMemcpyHostToDevice);
  }
  explicit Dev(size_t count) : n(count) { cudaMalloc(&p, std::max<size_t>(n, 1) * sizeof(T)); }
  ~Dev() { cudaFree(p); }
  Dev(const Dev&) = delete;
  std::vector<T> read() const {
    std::vector<T> h(n);
    cudaMemcpy(h.data(), p, n * sizeof(T), cudaMemcpyDeviceToHost);
    return h;
  }
};

// Compares with |got - want| <= atol + rtol * |want| (NaN must match NaN, infinities exactly).
void check(const std::string& name, cudaError_t launch, const std::vector<float>& got, const std::vector<double>& want,
           double rtol, double atol) {
  ++cases;
  const cudaError_t sync = cudaDeviceSynchronize();
  std::string why;
  if (launch != cudaSuccess || sync != cudaSuccess) {
    why = std::string("CUDA error ") + cudaGetErrorName(launch != cudaSuccess ? launch : sync);
  } else if (got.size() != want.size()) {
    why = "size " + std::to_string(got.size()) + " != " + std::to_string(want.size());
  } else {
    for (size_t i = 0; i < got.size() && why.empty(); ++i) {
      const double g = got[i], w = want[i];
      const bool ok = (std::isnan(w) && std::isnan(g)) || (std::isinf(w) && g == w) ||
                      (std::isfinite(w) && std::fabs(g - w) <= atol + rtol * std::fabs(w));
      if (!ok) why = "element " + std::to_string(i) + ": got " + std::to_string(g) + ", want " + std::to_string(w);
    }
  }
  if (!why.empty()) ++failures;
  std::printf("%s %s%s%s\n", why.empty() ? "PASS" : "FAIL", name.c_str(), why.empty() ? "" : ": ", why.c_str());
}

template <typename T>
std::vector<double> to_double(const std::vector<T>& v) {
  return std::vector<double>(v.begin(), v.end());
}

// ---- gemm -------------------------------------------------------------------------------------

void test_gemm(int64_t M, int64_t N, int64_t K, bool ta, bool tb, int batch, int dtype, int precision, bool bias) {
  const float alpha = 1.25f, beta = batch == 1 ? 0.5f : 0.f;
  const int64_t a_elems = M * K, b_elems = K * N;
  std::vector<float> a = random_vec(a_elems * batch), b = random_vec(b_elems * (batch > 1 ? 1 : 1)), c = random_vec(M * N * batch);
  std::vector<float> rb = random_vec(M), cb = random_vec(N);
  // fp16 / bf16: round the inputs so the reference sees exactly what the GPU does.
  auto round = [&](std::vector<float>& v) {
    for (auto& x : v) x = dtype == kCudaF16 ? __half2float(__float2half(x)) : dtype == kCudaBF16 ? __bfloat162float(__float2bfloat16(x)) : x;
  };
  round(a); round(b); round(c);
  CudaGemmArgs p;
  p.M = M; p.N = N; p.K = K;
  p.a_rs = ta ? 1 : K; p.a_cs = ta ? M : 1;
  p.b_rs = tb ? 1 : N; p.b_cs = tb ? K : 1;
  p.ldc = N; p.alpha = alpha; p.beta = beta; p.dtype = dtype; p.precision = precision;
  p.activation = bias ? kCudaActRelu : kCudaActNone;
  if (batch > 1) {  // B broadcast over the batch
    p.batch_rank = 1; p.batch[0] = batch; p.a_batch_strides[0] = a_elems; p.b_batch_strides[0] = 0;
  }
  std::vector<double> want(M * N * batch);
  for (int z = 0; z < batch; ++z)
    for (int64_t m = 0; m < M; ++m)
      for (int64_t n = 0; n < N; ++n) {
        double acc = 0;
        for (int64_t k = 0; k < K; ++k) acc += double(a[z * a_elems + m * p.a_rs + k * p.a_cs]) * b[k * p.b_rs + n * p.b_cs];
        double v = alpha * acc + beta * c[z * M * N + m * N + n];
        if (bias) v = std::max(0.0, v + rb[m] + cb[n]);
        want[z * M * N + m * N + n] = v;
      }
  std::vector<float> got;
  cudaError_t e;
  if (dtype == kCudaF32) {
    Dev<float> da(a), db(b), dc(c), drb(rb), dcb(cb);
    p.A = da.p; p.B = db.p; p.C = dc.p;
    if (bias) { p.row_bias = drb.p; p.col_bias = dcb.p; }
    e = cuda_gemm(p, nullptr);
    cudaDeviceSynchronize();
    got = dc.read();
  } else {
    auto conv = [&](const std::vector<float>& v) {
      std::vector<uint16_t> h(v.size());
      for (size_t i = 0; i < v.size(); ++i) {
        if (dtype == kCudaF16) { __half x = __float2half(v[i]); std::memcpy(&h[i], &x, 2); }
        else { __nv_bfloat16 x = __float2bfloat16(v[i]); std::memcpy(&h[i], &x, 2); }
      }
      return h;
    };
    Dev<uint16_t> da(conv(a)), db(conv(b)), dc(conv(c));
    Dev<float> drb(rb), dcb(cb);
    p.A = da.p; p.B = db.p; p.C = dc.p;
    if (bias) { p.row_bias = drb.p; p.col_bias = dcb.p; }
    e = cuda_gemm(p, nullptr);
    cudaDeviceSynchronize();
    for (uint16_t bits : dc.read()) {
      if (dtype == kCudaF16) { __half x; std::memcpy(&x, &bits, 2); got.push_back(__half2float(x)); }
      else { __nv_bfloat16 x; std::memcpy(&x, &bits, 2); got.push_back(__bfloat162float(x)); }
    }
  }
  const char* names[] = {"f32", "f16", "bf16"};
  const std::string name = std::string("gemm ") + names[dtype] + (precision == kCudaTf32 ? " tf32" : "") + " M=" +
                           std::to_string(M) + " N=" + std::to_string(N) + " K=" + std::to_string(K) + (ta ? " tA" : "") +
                           (tb ? " tB" : "") + " batch=" + std::to_string(batch) + (bias ? " bias+relu" : "");
  // Error bounds: fp32 ~ K * 2^-24; TF32 rounds inputs to 2^-11; outputs in fp16/bf16 round once more.
  const double scale = std::sqrt(double(K)) + 1;
  const double tol = dtype == kCudaF16 ? 2e-3 * scale : dtype == kCudaBF16 ? 1.6e-2 * scale : precision == kCudaTf32 ? 2e-3 * scale : 1e-5 * scale;
  check(name, e, got, want, tol, tol);
}

// ---- conv2d -----------------------------------------------------------------------------------

void test_conv(int64_t N, int64_t C, int64_t H, int64_t W, int64_t M, int64_t KH, int64_t KW, int64_t s, int64_t pad,
               int64_t dil, int64_t groups, bool bias) {
  CudaConv2dArgs p;
  p.N = N; p.C = C; p.H = H; p.W = W; p.M = M; p.KH = KH; p.KW = KW;
  p.stride_h = s; p.stride_w = s + (s > 1 ? 0 : 0); p.pad_top = pad; p.pad_left = pad; p.dilation_h = dil; p.dilation_w = dil;
  p.groups = groups;
  p.OH = (H + 2 * pad - dil * (KH - 1) - 1) / s + 1;
  p.OW = (W + 2 * pad - dil * (KW - 1) - 1) / s + 1;
  p.activation = bias ? kCudaActRelu : kCudaActNone;
  const int64_t cg = C / groups, mg = M / groups;
  std::vector<float> x = random_vec(N * C * H * W), w = random_vec(M * cg * KH * KW), b = random_vec(M);
  std::vector<double> want(N * M * p.OH * p.OW);
  for (int64_t n = 0; n < N; ++n)
    for (int64_t m = 0; m < M; ++m)
      for (int64_t oh = 0; oh < p.OH; ++oh)
        for (int64_t ow = 0; ow < p.OW; ++ow) {
          double acc = bias ? b[m] : 0;
          const int64_t g = m / mg;
          for (int64_t c = 0; c < cg; ++c)
            for (int64_t kh = 0; kh < KH; ++kh)
              for (int64_t kw = 0; kw < KW; ++kw) {
                const int64_t ih = oh * s - pad + kh * dil, iw = ow * p.stride_w - pad + kw * dil;
                if (ih < 0 || ih >= H || iw < 0 || iw >= W) continue;
                acc += double(x[((n * C + g * cg + c) * H + ih) * W + iw]) * w[((m * cg + c) * KH + kh) * KW + kw];
              }
          want[((n * M + m) * p.OH + oh) * p.OW + ow] = bias ? std::max(0.0, acc) : acc;
        }
  Dev<float> dx(x), dw(w), db(b), dy(want.size());
  p.x = dx.p; p.w = dw.p; p.bias = bias ? db.p : nullptr; p.y = dy.p;
  const cudaError_t e = cuda_conv2d_f32(p, nullptr);
  cudaDeviceSynchronize();
  const double tol = 1e-5 * (std::sqrt(double(cg * KH * KW)) + 1);
  check("conv2d N=" + std::to_string(N) + " C=" + std::to_string(C) + " " + std::to_string(H) + "x" + std::to_string(W) +
            " M=" + std::to_string(M) + " k=" + std::to_string(KH) + "x" + std::to_string(KW) + " s=" + std::to_string(s) +
            " pad=" + std::to_string(pad) + " dil=" + std::to_string(dil) + " groups=" + std::to_string(groups),
        e, dy.read(), want, tol, tol);
}

// ---- reductions -------------------------------------------------------------------------------

double reduce_ref(int op, const std::vector<double>& v) {
  double s = 0, p = 1, mx = -INFINITY, mn = INFINITY;
  for (double x : v) {
    s += op == kCudaSumSquare || op == kCudaL2 ? x * x : op == kCudaL1 ? std::fabs(x) : x;
    p *= x;
    mx = std::max(mx, x);
    mn = std::min(mn, x);
  }
  switch (op) {
    case kCudaMean: return v.empty() ? NAN : s / double(v.size());
    case kCudaMax: return mx;
    case kCudaMin: return mn;
    case kCudaProd: return p;
    case kCudaL2: return std::sqrt(s);
    case kCudaLogSum: return std::log(s);
    case kCudaLogSumExp: {
      double e = 0;
      for (double x : v) e += std::exp(x - mx);
      return std::isfinite(mx) ? mx + std::log(e) : mx;
    }
    default: return s;
  }
}

// x is a [d0, d1, d2] view with strides `st` into a buffer of `len` floats.
void test_reduce(int op, std::vector<int64_t> shape, std::vector<int64_t> st, uint32_t mask) {
  int64_t len = 1;
  for (size_t d = 0; d < shape.size(); ++d) len += (shape[d] - 1) * st[d];
  std::vector<float> x = random_vec(len, op == kCudaProd ? 0.9f : -2.f, op == kCudaProd ? 1.1f : 2.f);
  if (op == kCudaLogSum) for (auto& v : x) v = std::fabs(v) + 0.1f;
  CudaReduceArgs a;
  a.op = op;
  a.mask = mask;
  a.x.rank = static_cast<int>(shape.size());
  std::vector<int64_t> kept;
  for (int d = 0; d < a.x.rank; ++d) {
    a.x.shape[d] = shape[d];
    a.x.strides[d] = st[d];
    if (!((mask >> d) & 1u)) kept.push_back(d);
  }
  // Reference: walk every element, bucket it by its kept index.
  int64_t outs = 1;
  for (int64_t d : kept) outs *= shape[d];
  std::vector<std::vector<double>> buckets(outs);
  const int64_t total = cuda_strided_size(a.x);
  for (int64_t i = 0; i < total; ++i) {
    int64_t r = i, off = 0, o = 0, ostride = 1;
    std::vector<int64_t> idx(shape.size());
    for (int d = a.x.rank - 1; d >= 0; --d) { idx[d] = r % shape[d]; r /= shape[d]; off += idx[d] * st[d]; }
    for (int k = static_cast<int>(kept.size()) - 1; k >= 0; --k) { o += idx[kept[k]] * ostride; ostride *= shape[kept[k]]; }
    buckets[o].push_back(x[off]);
  }
  std::vector<double> want(outs);
  for (int64_t o = 0; o < outs; ++o) want[o] = reduce_ref(op, buckets[o]);
  Dev<float> dx(x), dy(outs);
  a.data = dx.p;
  a.y = dy.p;
  const size_t ws_bytes = cuda_reduce_workspace_bytes(a);
  void* ws = nullptr;
  if (ws_bytes) cudaMalloc(&ws, ws_bytes);
  const cudaError_t e = cuda_reduce_f32(a, ws, nullptr);
  cudaDeviceSynchronize();
  cudaFree(ws);
  std::string name = "reduce op=" + std::to_string(op) + " shape=[";
  for (auto s : shape) name += std::to_string(s) + ",";
  name += "] mask=" + std::to_string(mask);
  check(name, e, dy.read(), want, op == kCudaProd ? 1e-4 : 2e-5, 2e-4);
}

void test_argreduce(std::vector<int64_t> shape, int axis, bool is_max, bool last) {
  int64_t n = 1;
  for (auto s : shape) n *= s;
  std::vector<float> x = random_vec(n);
  for (auto& v : x) v = std::round(v * 3.f);  // many ties
  if (n > 5) x[n / 2] = NAN;
  CudaArgReduceArgs a;
  a.x.rank = static_cast<int>(shape.size());
  for (int d = a.x.rank - 1, st = 1; d >= 0; --d) { a.x.shape[d] = shape[d]; a.x.strides[d] = st; st *= static_cast<int>(shape[d]); }
  a.axis = axis; a.is_max = is_max; a.select_last = last;
  const int64_t L = shape[axis], inner = a.x.strides[axis], outer = n / (L * inner);
  std::vector<double> want;
  for (int64_t o = 0; o < outer; ++o)
    for (int64_t in = 0; in < inner; ++in) {
      int64_t bi = 0;
      float bv = x[o * L * inner + in];
      for (int64_t i = 1; i < L; ++i) {
        const float v = x[(o * L + i) * inner + in];
        const bool better = std::isnan(v) ? (last || !std::isnan(bv)) : std::isnan(bv) ? false
                            : is_max ? (last ? v >= bv : v > bv) : (last ? v <= bv : v < bv);
        if (better) { bv = v; bi = i; }
      }
      want.push_back(double(bi));
    }
  Dev<float> dx(x);
  Dev<int64_t> dy(want.size());
  a.data = dx.p; a.y = dy.p;
  const cudaError_t e = cuda_arg_reduce_f32(a, nullptr);
  cudaDeviceSynchronize();
  std::vector<float> got;
  for (int64_t v : dy.read()) got.push_back(float(v));
  check(std::string(is_max ? "argmax" : "argmin") + (last ? " last" : "") + " axis=" + std::to_string(axis) + " n=" + std::to_string(n),
        e, got, want, 0, 0);
}

// ---- the rest -----------------------------------------------------------------------------------

void test_elementwise() {
  // [3,1,5] op [4,1] -> [3,4,5] (broadcast both ways)
  std::vector<float> a = random_vec(15), b = random_vec(4, 0.5f, 2.f);
  for (int op = kCudaAdd; op <= kCudaPow; ++op) {
    CudaBinaryArgs p;
    p.op = op;
    p.out.rank = 3; p.out.shape[0] = 3; p.out.shape[1] = 4; p.out.shape[2] = 5;
    p.a_strides[0] = 5; p.a_strides[1] = 0; p.a_strides[2] = 1;
    p.b_strides[0] = 0; p.b_strides[1] = 1; p.b_strides[2] = 0;
    std::vector<double> want;
    for (int i = 0; i < 3; ++i)
      for (int j = 0; j < 4; ++j)
        for (int k = 0; k < 5; ++k) {
          const double x = std::fabs(a[i * 5 + k]) + (op == kCudaPow ? 0.1 : 0), y = b[j];
          const double xa = op == kCudaPow ? x : a[i * 5 + k];
          want.push_back(op == 0 ? xa + y : op == 1 ? xa - y : op == 2 ? xa * y : op == 3 ? xa / y : op == 4 ? std::max(xa, y) : op == 5 ? std::min(xa, y) : std::pow(xa, y));
        }
    std::vector<float> ain = a;
    if (op == kCudaPow) for (auto& v : ain) v = std::fabs(v) + 0.1f;
    Dev<float> da(ain), db(b), dy(60);
    p.a = da.p; p.b = db.p; p.y = dy.p;
    const cudaError_t e = cuda_binary_f32(p, nullptr);
    cudaDeviceSynchronize();
    check("binary op=" + std::to_string(op) + " broadcast", e, dy.read(), want, 1e-6, 1e-6);
  }
  std::vector<float> x = random_vec(1001, -3.f, 3.f);
  for (int op = kCudaRelu; op <= kCudaReciprocal; ++op) {
    std::vector<float> in = x;
    if (op == kCudaLog || op == kCudaSqrt) for (auto& v : in) v = std::fabs(v) + 0.01f;
    std::vector<double> want;
    for (float f : in) {
      const double v = f;
      const double r[] = {std::max(0.0, v), 1 / (1 + std::exp(-v)), std::tanh(v), 0.5 * v * std::erfc(-v / std::sqrt(2.0)),
                          v / (1 + std::exp(-2 * std::sqrt(2 / M_PI) * (v + 0.044715 * v * v * v))), std::exp(v), std::log(v),
                          std::fabs(v), -v, std::sqrt(v), std::erf(v), 1 / v};
      want.push_back(r[op]);
    }
    Dev<float> dx(in), dy(in.size());
    const cudaError_t e = cuda_unary_f32(op, dx.p, dy.p, static_cast<int64_t>(in.size()), nullptr);
    cudaDeviceSynchronize();
    check("unary op=" + std::to_string(op), e, dy.read(), want, 2e-6, 2e-6);
  }
}

void test_softmax(int64_t outer, int64_t len, int64_t inner, bool log) {
  std::vector<float> x = random_vec(outer * len * inner, -5.f, 5.f);
  std::vector<double> want(x.size());
  for (int64_t o = 0; o < outer; ++o)
    for (int64_t in = 0; in < inner; ++in) {
      double m = -INFINITY, s = 0;
      for (int64_t i = 0; i < len; ++i) m = std::max(m, double(x[(o * len + i) * inner + in]));
      for (int64_t i = 0; i < len; ++i) s += std::exp(x[(o * len + i) * inner + in] - m);
      for (int64_t i = 0; i < len; ++i) {
        const double v = x[(o * len + i) * inner + in];
        want[(o * len + i) * inner + in] = log ? v - m - std::log(s) : std::exp(v - m) / s;
      }
    }
  Dev<float> dx(x), dy(x.size());
  const cudaError_t e = cuda_softmax_f32(dx.p, dy.p, outer, len, inner, log, nullptr);
  cudaDeviceSynchronize();
  check(std::string(log ? "logSoftmax" : "softmax") + " [" + std::to_string(outer) + "," + std::to_string(len) + "," +
            std::to_string(inner) + "]", e, dy.read(), want, 1e-5, 1e-6);
}

void test_pool(bool is_max, bool include_pad) {
  CudaPool2dArgs p;
  p.N = 2; p.C = 3; p.H = 11; p.W = 9; p.KH = 3; p.KW = 2; p.stride_h = 2; p.stride_w = 1;
  p.pad_top = 1; p.pad_left = 1; p.pad_bottom = 2; p.pad_right = 0; p.dilation_h = 1; p.dilation_w = 2;
  p.OH = (p.H + p.pad_top + p.pad_bottom - (p.KH - 1) * p.dilation_h - 1) / p.stride_h + 1;
  p.OW = (p.W + p.pad_left + p.pad_right - (p.KW - 1) * p.dilation_w - 1) / p.stride_w + 1;
  p.is_max = is_max; p.count_include_pad = include_pad;
  std::vector<float> x = random_vec(p.N * p.C * p.H * p.W);
  std::vector<double> want, want_idx;
  for (int64_t nc = 0; nc < p.N * p.C; ++nc)
    for (int64_t oh = 0; oh < p.OH; ++oh)
      for (int64_t ow = 0; ow < p.OW; ++ow) {
        double best = -3.4028234663852886e38, sum = 0;
        int64_t at = -1, taps = 0, padded = 0;
        for (int64_t kh = 0; kh < p.KH; ++kh)
          for (int64_t kw = 0; kw < p.KW; ++kw) {
            const int64_t ih = oh * p.stride_h - p.pad_top + kh * p.dilation_h, iw = ow * p.stride_w - p.pad_left + kw * p.dilation_w;
            if (ih >= -p.pad_top && ih < p.H + p.pad_bottom && iw >= -p.pad_left && iw < p.W + p.pad_right) ++padded;
            if (ih < 0 || ih >= p.H || iw < 0 || iw >= p.W) continue;
            const double v = x[(nc * p.H + ih) * p.W + iw];
            if (at < 0 || v > best) { best = v; at = ih * p.W + iw; }
            sum += v;
            ++taps;
          }
        const int64_t count = include_pad ? padded : taps;
        want.push_back(is_max ? best : count ? sum / count : 0);
        want_idx.push_back(at < 0 ? -1 : double(nc * p.H * p.W + at));
      }
  Dev<float> dx(x), dy(want.size());
  Dev<int64_t> di(want.size());
  p.x = dx.p; p.y = dy.p; p.indices = is_max ? di.p : nullptr;
  const cudaError_t e = cuda_pool2d_f32(p, nullptr);
  cudaDeviceSynchronize();
  check(std::string(is_max ? "maxPool2d" : "avgPool2d") + (include_pad ? " countIncludePad" : ""), e, dy.read(), want, 1e-6, 1e-6);
  if (is_max) {
    std::vector<float> idx;
    for (int64_t v : di.read()) idx.push_back(float(v));
    check("maxPool2d indices", cudaSuccess, idx, want_idx, 0, 0);
  }
}

void test_batchnorm_and_copy() {
  const int64_t N = 2, C = 5, S = 7;
  std::vector<float> x = random_vec(N * C * S), sc = random_vec(C), bi = random_vec(C), mu = random_vec(C), var = random_vec(C, 0.1f, 2.f);
  std::vector<double> want;
  for (int64_t i = 0; i < N * C * S; ++i) {
    const int64_t c = (i / S) % C;
    want.push_back((x[i] - double(mu[c])) / std::sqrt(double(var[c]) + 1e-5) * sc[c] + bi[c]);
  }
  Dev<float> dx(x), ds(sc), db(bi), dm(mu), dv(var), dy(x.size());
  cudaError_t e = cuda_batchnorm_f32(dx.p, ds.p, db.p, dm.p, dv.p, 1e-5f, dy.p, N, C, S, nullptr);
  cudaDeviceSynchronize();
  check("batchNorm", e, dy.read(), want, 1e-5, 1e-5);
  // Transpose [2,5,7] -> [7,2,5] as a strided copy.
  CudaStrided src;
  src.rank = 3;
  const int64_t shape[3] = {S, N, C}, sst[3] = {1, C * S, S}, dst[3] = {N * C, C, 1};
  for (int d = 0; d < 3; ++d) { src.shape[d] = shape[d]; src.strides[d] = sst[d]; }
  std::vector<double> tw;
  for (int64_t s = 0; s < S; ++s)
    for (int64_t n = 0; n < N; ++n)
      for (int64_t c = 0; c < C; ++c) tw.push_back(x[(n * C + c) * S + s]);
  Dev<float> dt(x.size());
  e = cuda_copy_strided(src, dst, dx.p, dt.p, 4, nullptr);
  cudaDeviceSynchronize();
  check("copy transpose", e, dt.read(), tw, 0, 0);
}

// ---- timings ------------------------------------------------------------------------------------

double time_ms(const std::function<void()>& fn, int reps) {
  fn();  // warm-up
  cudaEvent_t a, b;
  cudaEventCreate(&a);
  cudaEventCreate(&b);
  cudaEventRecord(a);
  for (int i = 0; i < reps; ++i) fn();
  cudaEventRecord(b);
  cudaEventSynchronize(b);
  float ms = 0;
  cudaEventElapsedTime(&ms, a, b);
  cudaEventDestroy(a);
  cudaEventDestroy(b);
  return ms / reps;
}

void bench() {
  const int64_t n = 4096;
  for (int variant = 0; variant < 3; ++variant) {
    const int es = variant == 2 ? 2 : 4;
    void *a, *b, *c;
    cudaMalloc(&a, n * n * es); cudaMalloc(&b, n * n * es); cudaMalloc(&c, n * n * es);
    cudaMemset(a, 0, n * n * es); cudaMemset(b, 0, n * n * es);
    CudaGemmArgs p;
    p.M = p.N = p.K = n; p.a_rs = n; p.a_cs = 1; p.b_rs = n; p.b_cs = 1; p.ldc = n;
    p.A = a; p.B = b; p.C = c;
    p.dtype = variant == 2 ? kCudaBF16 : kCudaF32;
    p.precision = variant == 1 ? kCudaTf32 : kCudaHighest;
    const double ms = time_ms([&] { cuda_gemm(p, nullptr); }, 10);
    const char* names[] = {"fp32", "tf32", "bf16"};
    std::printf("TIME sgemm 4096^3 %s: %.3f ms, %.1f TFLOP/s\n", names[variant], ms, 2.0 * n * n * n / ms / 1e9);
    cudaFree(a); cudaFree(b); cudaFree(c);
  }
  const size_t bytes = size_t(1) << 30;
  float *x = nullptr, *y = nullptr, *out = nullptr;
  if (cudaMalloc(&x, bytes) != cudaSuccess || cudaMalloc(&y, bytes) != cudaSuccess || cudaMalloc(&out, 4) != cudaSuccess) {
    std::printf("TIME skipped the 1 GiB cases: not enough device memory\n");
    cudaGetLastError();
  } else {
    cudaMemset(x, 0, bytes);
    CudaReduceArgs r;
    r.op = kCudaSum; r.x.rank = 1; r.x.shape[0] = static_cast<int64_t>(bytes / 4); r.x.strides[0] = 1; r.mask = 1; r.data = x; r.y = out;
    void* ws = nullptr;
    cudaMalloc(&ws, std::max<size_t>(cuda_reduce_workspace_bytes(r), 1));
    const double sum_ms = time_ms([&] { cuda_reduce_f32(r, ws, nullptr); }, 10);
    const double copy_ms = time_ms([&] { cudaMemcpyAsync(y, x, bytes, cudaMemcpyDeviceToDevice); }, 10);
    // A copy reads and writes every byte; the sum only reads: compare bytes moved per second.
    const double sum_gbs = bytes / sum_ms / 1e6, copy_gbs = 2.0 * bytes / copy_ms / 1e6;
    std::printf("TIME sum 1 GiB: %.3f ms, %.1f GB/s; cudaMemcpy D2D: %.1f GB/s; ratio %.2f\n", sum_ms, sum_gbs, copy_gbs, sum_gbs / copy_gbs);
    cudaFree(ws);
  }
  cudaFree(x); cudaFree(y); cudaFree(out);
}

}  // namespace

int main(int argc, char** argv) {
  int count = 0;
  const cudaError_t e = cudaGetDeviceCount(&count);
  if (e != cudaSuccess || count == 0) {
    std::printf("SKIP no usable CUDA device: %s\n", e != cudaSuccess ? cudaGetErrorString(e) : "no devices");
    return 2;
  }
  cudaDeviceProp prop{};
  cudaGetDeviceProperties(&prop, 0);
  std::printf("device 0: %s (sm_%d%d)\n", prop.name, prop.major, prop.minor);

  const int64_t shapes[][3] = {{1, 1, 1}, {7, 13, 5}, {65, 33, 129}, {128, 128, 8}, {257, 131, 67}, {3, 1000, 17}, {300, 4, 260}};
  for (const auto& s : shapes)
    for (int t = 0; t < 4; ++t) test_gemm(s[0], s[1], s[2], t & 1, t & 2, 1, kCudaF32, kCudaHighest, t == 3);
  test_gemm(37, 45, 29, false, false, 5, kCudaF32, kCudaHighest, false);
  test_gemm(200, 300, 400, false, false, 1, kCudaF32, kCudaHighest, true);
  for (int dtype = kCudaF32; dtype <= kCudaBF16; ++dtype) {
    const int precision = dtype == kCudaF32 ? kCudaTf32 : kCudaHighest;
    test_gemm(129, 67, 45, false, false, 1, dtype, precision, false);
    test_gemm(70, 150, 33, true, true, 3, dtype, precision, false);
    test_gemm(256, 256, 256, false, true, 1, dtype, precision, true);
  }
  test_conv(2, 3, 9, 11, 4, 3, 3, 1, 1, 1, 1, true);
  test_conv(1, 8, 12, 12, 6, 3, 3, 2, 1, 2, 2, false);
  test_conv(3, 6, 7, 5, 12, 2, 3, 1, 0, 1, 3, true);
  test_conv(2, 16, 10, 10, 16, 3, 3, 1, 1, 1, 16, true);   // depthwise
  test_conv(1, 4, 8, 8, 8, 3, 3, 2, 2, 1, 4, false);       // depthwise, multiplier 2
  test_conv(2, 64, 14, 14, 130, 1, 1, 1, 0, 1, 1, false); // 1x1, 128-wide tiles
  test_conv(1, 3, 33, 31, 200, 5, 5, 3, 2, 1, 1, true);
  for (int op = kCudaSum; op <= kCudaLogSum; ++op) {
    test_reduce(op, {4, 5, 6}, {30, 6, 1}, 0b010);
    test_reduce(op, {4, 5, 6}, {30, 6, 1}, 0b101);
    test_reduce(op, {7, 300001}, {300001, 1}, 0b10);
    test_reduce(op, {1000003}, {1}, 0b1);
    test_reduce(op, {6, 5, 4}, {1, 6, 30}, 0b011);  // transposed view
    test_reduce(op, {3, 50000}, {1, 3}, 0b10);       // strided rows
  }
  for (int last = 0; last < 2; ++last)
    for (int mx = 0; mx < 2; ++mx) {
      test_argreduce({5, 70}, 1, mx, last);
      test_argreduce({6, 7, 3}, 1, mx, last);
      test_argreduce({9}, 0, mx, last);
    }
  test_elementwise();
  for (int log = 0; log < 2; ++log) {
    test_softmax(7, 1000, 1, log);
    test_softmax(3, 5, 17, log);
  }
  for (int mode = 0; mode < 3; ++mode) test_pool(mode == 0, mode == 2);
  test_batchnorm_and_copy();
  std::printf("%d of %d cases passed\n", cases - failures, cases);
  if (argc < 2 || std::strcmp(argv[1], "--no-bench") != 0) bench();
  return failures ? 1 : 0;
}
