// conv2d as an implicit GEMM on the SIMT tile of gemm_tile.cuh: per group g,
//   Y_g[m, n] = sum_k W_g[m, k] * X_col[k, n],  m < M/groups, k = (c, kh, kw), n = (image, oh, ow),
// where X_col is never materialised: the B loader computes each tap's input address (zero when
// it falls in the padding). Depthwise convolutions (one input channel per group) have K = KH*KW,
// too short for a GEMM tile, and run a direct kernel instead.
#include "conv2d.h"
#include "gemm_tile.cuh"

namespace lepton {
namespace {

__device__ __forceinline__ float conv_epilogue(const CudaConv2dArgs& p, int64_t channel, float v) {
  if (p.bias) v += p.bias[channel];
  return p.activation == kCudaActRelu && v < 0.f ? 0.f : v;
}

template <class S>
struct ConvOp {
  const CudaConv2dArgs* p;
  int64_t g, mg, cg, kg, m0, n0;
  // This thread's B column is fixed for the whole K loop (BN == its B-load stride): decode it once.
  int64_t my_n;
  bool my_n_ok;
  int64_t x_base, ih0, iw0;

  __device__ ConvOp(const CudaConv2dArgs* p_, int64_t g_, int64_t m0_, int64_t n0_)
      : p(p_), g(g_), mg(p_->M / p_->groups), cg(p_->C / p_->groups), kg(cg * p_->KH * p_->KW), m0(m0_), n0(n0_) {
    const int64_t spatial = p->OH * p->OW;
    my_n = n0 + threadIdx.x % S::BN;
    my_n_ok = my_n < p->N * spatial;
    const int64_t img = my_n_ok ? my_n / spatial : 0, rest = my_n_ok ? my_n % spatial : 0;
    const int64_t oh = rest / p->OW, ow = rest % p->OW;
    x_base = (img * p->C + g * cg) * p->H * p->W;
    ih0 = oh * p->stride_h - p->pad_top;
    iw0 = ow * p->stride_w - p->pad_left;
  }

  __device__ int64_t K() const { return kg; }

  __device__ void load_a(float (*as)[S::LDA], int64_t k0, int tid) const {
    const float* w = p->w + g * mg * kg;
#pragma unroll
    for (int r = 0; r < S::BM * S::BK / S::kThreads; ++r) {
      const int idx = tid + r * S::kThreads;
      const int kk = idx % S::BK, mm = idx / S::BK;  // weights are k-contiguous
      const int64_t m = m0 + mm, k = k0 + kk;
      const bool ok = m < mg && k < kg;
      cp_async_4(&as[kk][mm], ok ? w + m * kg + k : p->w, ok ? 4 : 0);
    }
  }

  __device__ void load_b(float (*bs)[S::LDB], int64_t k0, int tid) const {
    const int nn = tid % S::BN;
    const int64_t khw = p->KH * p->KW;
#pragma unroll
    for (int r = 0; r < S::BN * S::BK / S::kThreads; ++r) {
      const int kk = (tid + r * S::kThreads) / S::BN;
      const int64_t k = k0 + kk;
      bool ok = my_n_ok && k < kg;
      int64_t off = 0;
      if (ok) {
        const int64_t c = k / khw, t = k % khw;
        const int64_t ih = ih0 + (t / p->KW) * p->dilation_h, iw = iw0 + (t % p->KW) * p->dilation_w;
        ok = ih >= 0 && ih < p->H && iw >= 0 && iw < p->W;
        off = x_base + (c * p->H + ih) * p->W + iw;
      }
      cp_async_4(&bs[kk][nn], ok ? p->x + off : p->x, ok ? 4 : 0);
    }
  }

  __device__ void store(int64_t m, int64_t n, float acc) const {
    const int64_t spatial = p->OH * p->OW;
    const int64_t img = n / spatial, rest = n % spatial, channel = g * mg + m;
    p->y[(img * p->M + channel) * spatial + rest] = conv_epilogue(*p, channel, acc);
  }
};

// Grid: x = M/groups tiles, y = (N*OH*OW) tiles, z = group.
template <class S>
__global__ void __launch_bounds__(256) conv2d_f32_igemm(__grid_constant__ const CudaConv2dArgs p) {
  __shared__ __align__(16) TileSmem<S> sm;
  ConvOp<S> op(&p, blockIdx.z, static_cast<int64_t>(blockIdx.x) * S::BM, static_cast<int64_t>(blockIdx.y) * S::BN);
  gemm_tile_run<S>(op, sm, op.m0, op.n0, op.mg, p.N * p.OH * p.OW);
}

// One thread per output element; channel m reads input channel m / (M / C).
__global__ void conv2d_f32_depthwise(__grid_constant__ const CudaConv2dArgs p) {
  const int64_t total = p.N * p.M * p.OH * p.OW;
  const int64_t per_channel = p.M / p.C;
  for (int64_t i = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x; i < total;
       i += static_cast<int64_t>(gridDim.x) * blockDim.x) {
    const int64_t ow = i % p.OW, oh = (i / p.OW) % p.OH, m = (i / (p.OW * p.OH)) % p.M, img = i / (p.OW * p.OH * p.M);
    const float* x = p.x + (img * p.C + m / per_channel) * p.H * p.W;
    const float* w = p.w + m * p.KH * p.KW;
    float acc = 0.f;
    for (int64_t kh = 0; kh < p.KH; ++kh) {
      const int64_t ih = oh * p.stride_h - p.pad_top + kh * p.dilation_h;
      if (ih < 0 || ih >= p.H) continue;
      for (int64_t kw = 0; kw < p.KW; ++kw) {
        const int64_t iw = ow * p.stride_w - p.pad_left + kw * p.dilation_w;
        if (iw >= 0 && iw < p.W) acc = fmaf(__ldg(x + ih * p.W + iw), __ldg(w + kh * p.KW + kw), acc);
      }
    }
    p.y[i] = conv_epilogue(p, m, acc);
  }
}

template <class S>
cudaError_t launch_igemm(const CudaConv2dArgs& p, cudaStream_t stream) {
  const int64_t mt = (p.M / p.groups + S::BM - 1) / S::BM, nt = (p.N * p.OH * p.OW + S::BN - 1) / S::BN;
  if (mt > 0x7fffffff || nt > 65535 || p.groups > 65535) return cudaErrorInvalidValue;
  conv2d_f32_igemm<S><<<dim3(static_cast<unsigned>(mt), static_cast<unsigned>(nt), static_cast<unsigned>(p.groups)), S::kThreads, 0, stream>>>(p);
  return cudaGetLastError();
}

}  // namespace

cudaError_t cuda_conv2d_f32(const CudaConv2dArgs& p, cudaStream_t stream) {
  if (p.groups < 1 || p.C % p.groups != 0 || p.M % p.groups != 0 || p.KH < 1 || p.KW < 1 || p.stride_h < 1 ||
      p.stride_w < 1 || p.dilation_h < 1 || p.dilation_w < 1 || !p.x || !p.w || !p.y) {
    return cudaErrorInvalidValue;
  }
  const int64_t outputs = p.N * p.M * p.OH * p.OW;
  if (outputs == 0) return cudaSuccess;
  if (p.groups == p.C && p.groups > 1) {
    conv2d_f32_depthwise<<<grid_for(outputs, 256), 256, 0, stream>>>(p);
    return cudaGetLastError();
  }
  // Few output channels per group or few tiles: the 64 x 64 tile wastes less.
  const int64_t big_tiles = ((p.M / p.groups + 127) / 128) * ((p.N * p.OH * p.OW + 127) / 128) * p.groups;
  if (p.M / p.groups <= 64 || big_tiles < 2 * cuda_sm_count()) return launch_igemm<TileShape<64, 64, 4, 4>>(p, stream);
  return launch_igemm<TileShape<128, 128, 8, 8>>(p, stream);
}

}  // namespace lepton
