// Reductions: the view is split into kept and reduced axes (size-1 axes dropped, contiguous
// neighbours merged). When the reduced axes end in the unit-stride one, a block reduces each
// output row with float4 loads (4 in flight per thread) and warp shuffles; otherwise one thread
// per output walks the reduced axes, so neighbouring threads read neighbouring addresses. Small
// outputs over long reductions are split across blocks, whose partials a second pass combines.
#include <algorithm>
#include <vector>

#include "common.cuh"
#include "reduce.h"

namespace lepton {
namespace {

enum Fold : int { kAdd, kSquare, kAbs, kMul, kMax, kMin, kLse };

int fold_of(int op) {
  switch (op) {
    case kCudaSum: case kCudaMean: case kCudaLogSum: return kAdd;
    case kCudaSumSquare: case kCudaL2: return kSquare;
    case kCudaL1: return kAbs;
    case kCudaProd: return kMul;
    case kCudaMax: return kMax;
    case kCudaMin: return kMin;
    case kCudaLogSumExp: return kLse;
    default: return -1;
  }
}

// Squares accumulate in double: float32 sums of squares overflow (or vanish) long before the
// l2 norm itself leaves float32's range.
template <int F>
struct Acc {
  using V = typename std::conditional<F == kSquare, double, float>::type;
  V v;
  float m;  // logSumExp: the running (NaN-propagating) max that v is scaled by

  __device__ static Acc init() {
    Acc a;
    a.v = F == kMul ? V(1) : F == kMax ? V(-INFINITY) : F == kMin ? V(INFINITY) : V(0);
    a.m = -INFINITY;
    return a;
  }

  __device__ void add(float x) {
    if (F == kAdd) v += x;
    if (F == kSquare) v += static_cast<V>(x) * x;
    if (F == kAbs) v += fabsf(x);
    if (F == kMul) v *= x;
    if (F == kMax && v == v && (x != x || x > v)) v = x;
    if (F == kMin && v == v && (x != x || x < v)) v = x;
    if (F == kLse) {
      if (x != x) m = x;
      else if (m != m) {}
      else if (x > m) { v = v * expf(m - x) + 1.f; m = x; }
      else if (x != -INFINITY) v += expf(x - m);
    }
  }

  __device__ void merge(const Acc& o) {
    if (F == kAdd || F == kSquare || F == kAbs) v += o.v;
    if (F == kMul) v *= o.v;
    if (F == kMax || F == kMin) add(static_cast<float>(o.v));
    if (F == kLse) {
      if (o.m != o.m) m = o.m;
      else if (m != m) {}
      else if (o.m > m) { v = v * expf(m - o.m) + o.v; m = o.m; }
      else if (o.m != -INFINITY) v += o.v * expf(o.m - m);
    }
  }

  __device__ Acc shfl_down(int delta) const {
    Acc o;
    o.v = __shfl_down_sync(0xffffffffu, v, delta);
    o.m = __shfl_down_sync(0xffffffffu, m, delta);
    return o;
  }
};

template <int F>
__device__ float finish(const Acc<F>& a, int op, int64_t count) {
  switch (op) {
    case kCudaMean: return static_cast<float>(a.v) / static_cast<float>(count);
    case kCudaL2: return static_cast<float>(sqrt(static_cast<double>(a.v)));
    case kCudaLogSum: return logf(static_cast<float>(a.v));
    case kCudaLogSumExp: return isfinite(a.m) ? a.m + logf(static_cast<float>(a.v)) : a.m;
    default: return static_cast<float>(a.v);
  }
}

template <int F>
__device__ Acc<F> warp_merge(Acc<F> a) {
  for (int d = 16; d > 0; d >>= 1) a.merge(a.shfl_down(d));
  return a;
}

// Whole-block merge; the result is valid in thread 0.
template <int F>
__device__ Acc<F> block_merge(Acc<F> a) {
  __shared__ Acc<F> warps[32];
  a = warp_merge(a);
  const int lane = threadIdx.x % 32, warp = threadIdx.x / 32;
  if (lane == 0) warps[warp] = a;
  __syncthreads();
  if (warp == 0) {
    a = lane < static_cast<int>(blockDim.x / 32) ? warps[lane] : Acc<F>::init();
    a = warp_merge(a);
  }
  return a;
}

struct Plan {
  CudaStrided kept, red;
  int64_t out_n = 1, red_n = 1, chunk = 0;
  int splits = 1;
  bool rows = false;     // reduced axes end in the unit-stride one: a block per output row
  bool contiguous = false;  // ... and collapse to one contiguous run
  int op = 0;
  const float* x = nullptr;
  float* y = nullptr;
};

void merge_dims(std::vector<std::pair<int64_t, int64_t>>& dims) {  // (size, stride), outermost first
  std::vector<std::pair<int64_t, int64_t>> out;
  for (const auto& d : dims) {
    if (!out.empty() && out.back().second == d.first * d.second) {
      out.back() = {out.back().first * d.first, d.second};
    } else {
      out.push_back(d);
    }
  }
  dims.swap(out);
}

bool make_plan(const CudaReduceArgs& a, Plan& p) {
  if (a.x.rank < 0 || a.x.rank > kCudaMaxRank || fold_of(a.op) < 0) return false;
  std::vector<std::pair<int64_t, int64_t>> kept, red;
  bool empty_red = false;
  for (int d = 0; d < a.x.rank; ++d) {
    const bool reduced = (a.mask >> d) & 1u;
    if (reduced && a.x.shape[d] == 0) empty_red = true;
    if (a.x.shape[d] == 1) continue;
    (reduced ? red : kept).push_back({a.x.shape[d], a.x.strides[d]});
  }
  merge_dims(kept);
  // Reduction order is free: sort by stride so contiguous runs merge.
  std::stable_sort(red.begin(), red.end(), [](const auto& l, const auto& r) { return l.second > r.second; });
  merge_dims(red);
  if (empty_red) red = {{0, 1}};
  auto fill = [](CudaStrided& s, const std::vector<std::pair<int64_t, int64_t>>& dims, int64_t& n) {
    s.rank = static_cast<int>(dims.size());
    n = 1;
    for (int d = 0; d < s.rank; ++d) {
      s.shape[d] = dims[d].first;
      s.strides[d] = dims[d].second;
      n *= dims[d].first;
    }
  };
  fill(p.kept, kept, p.out_n);
  fill(p.red, red, p.red_n);
  p.op = a.op;
  p.x = a.data;
  p.y = a.y;
  p.rows = !red.empty() && red.back().second == 1 && p.red_n > 0;
  p.contiguous = p.rows && red.size() == 1;
  const int64_t sms = cuda_sm_count();
  const int64_t outs = std::max<int64_t>(p.out_n, 1);  // empty outputs launch nothing, but must not divide by 0
  const int64_t want = p.rows ? (8 * sms + outs - 1) / outs : (8 * sms * 256 + outs - 1) / outs;
  const int64_t most = p.rows ? (p.red_n + 4095) / 4096 : (p.red_n + 31) / 32;
  p.splits = static_cast<int>(std::max<int64_t>(1, std::min<int64_t>({want, most, 65535})));
  p.chunk = ((p.red_n + p.splits - 1) / p.splits + 3) / 4 * 4;
  return true;
}

template <int F>
__device__ void emit(const Plan& p, Acc<F>* partial, int64_t o, int s, const Acc<F>& a) {
  if (p.splits == 1) p.y[o] = finish(a, p.op, p.red_n);
  else partial[o * p.splits + s] = a;
}

// Grid: x = outputs, y = splits.
template <int F, bool VEC>
__global__ void __launch_bounds__(256) reduce_rows(__grid_constant__ const Plan p, Acc<F>* partial) {
  const int64_t o = blockIdx.x;
  const int s = blockIdx.y;
  const int64_t base = strided_offset(p.kept, o);
  const int64_t r0 = s * p.chunk, r1 = r0 + p.chunk < p.red_n ? r0 + p.chunk : p.red_n;
  Acc<F> a = Acc<F>::init();
  const int t = threadIdx.x, nt = blockDim.x;
  if (VEC) {
    const float* row = p.x + base;
    const int64_t misalign = static_cast<int64_t>(((16 - (reinterpret_cast<uintptr_t>(row + r0) & 15)) & 15) / 4);
    const int64_t head = r1 - r0 < misalign ? r1 - r0 : misalign;
    const int64_t n4 = (r1 - r0 - head) / 4;
    const float4* v = reinterpret_cast<const float4*>(row + r0 + head);
    if (t < head) a.add(row[r0 + t]);
    int64_t i = t;
    for (; i + 3 * nt < n4; i += 4 * nt) {
      const float4 q0 = __ldg(v + i), q1 = __ldg(v + i + nt), q2 = __ldg(v + i + 2 * nt), q3 = __ldg(v + i + 3 * nt);
      a.add(q0.x); a.add(q0.y); a.add(q0.z); a.add(q0.w);
      a.add(q1.x); a.add(q1.y); a.add(q1.z); a.add(q1.w);
      a.add(q2.x); a.add(q2.y); a.add(q2.z); a.add(q2.w);
      a.add(q3.x); a.add(q3.y); a.add(q3.z); a.add(q3.w);
    }
    for (; i < n4; i += nt) {
      const float4 q = __ldg(v + i);
      a.add(q.x); a.add(q.y); a.add(q.z); a.add(q.w);
    }
    for (int64_t r = r0 + head + 4 * n4 + t; r < r1; r += nt) a.add(row[r]);
  } else {
    for (int64_t r = r0 + t; r < r1; r += nt) a.add(__ldg(p.x + base + strided_offset(p.red, r)));
  }
  a = block_merge(a);
  if (t == 0) emit(p, partial, o, s, a);
}

// Grid: x covers outputs (grid-stride), y = splits.
template <int F>
__global__ void __launch_bounds__(256) reduce_cols(__grid_constant__ const Plan p, Acc<F>* partial) {
  const int s = blockIdx.y;
  const int64_t r0 = s * p.chunk, r1 = r0 + p.chunk < p.red_n ? r0 + p.chunk : p.red_n;
  for (int64_t o = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x; o < p.out_n;
       o += static_cast<int64_t>(gridDim.x) * blockDim.x) {
    const int64_t base = strided_offset(p.kept, o);
    Acc<F> a = Acc<F>::init();
    for (int64_t r = r0; r < r1; ++r) a.add(__ldg(p.x + base + strided_offset(p.red, r)));
    emit(p, partial, o, s, a);
  }
}

// Second pass: a warp per output merges its splits' partials.
template <int F>
__global__ void reduce_finish(__grid_constant__ const Plan p, const Acc<F>* partial) {
  const int lane = threadIdx.x % 32;
  const int64_t warps = static_cast<int64_t>(gridDim.x) * (blockDim.x / 32);
  for (int64_t o = (blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x) / 32; o < p.out_n; o += warps) {
    Acc<F> a = Acc<F>::init();
    for (int s = lane; s < p.splits; s += 32) a.merge(partial[o * p.splits + s]);
    a = warp_merge(a);
    if (lane == 0) p.y[o] = finish(a, p.op, p.red_n);
  }
}

template <int F>
size_t partial_bytes(const Plan& p) {
  return p.splits > 1 ? static_cast<size_t>(p.out_n) * p.splits * sizeof(Acc<F>) : 0;
}

template <int F>
cudaError_t launch(const Plan& p, void* workspace, cudaStream_t stream) {
  auto* partial = static_cast<Acc<F>*>(workspace);
  if (p.splits > 1 && !partial) return cudaErrorInvalidValue;
  if (p.rows) {
    if (p.out_n > 0x7fffffff) return cudaErrorInvalidValue;
    const dim3 grid(static_cast<unsigned>(p.out_n), static_cast<unsigned>(p.splits));
    if (p.contiguous) reduce_rows<F, true><<<grid, 256, 0, stream>>>(p, partial);
    else reduce_rows<F, false><<<grid, 256, 0, stream>>>(p, partial);
  } else {
    reduce_cols<F><<<dim3(grid_for(p.out_n, 256), static_cast<unsigned>(p.splits)), 256, 0, stream>>>(p, partial);
  }
  if (p.splits > 1) reduce_finish<F><<<grid_for(p.out_n * 32, 256), 256, 0, stream>>>(p, partial);
  return cudaGetLastError();
}

template <template <int> class Fn, typename... Args>
auto by_fold(int fold, Args&&... args) {
  switch (fold) {
    case kAdd: return Fn<kAdd>::run(args...);
    case kSquare: return Fn<kSquare>::run(args...);
    case kAbs: return Fn<kAbs>::run(args...);
    case kMul: return Fn<kMul>::run(args...);
    case kMax: return Fn<kMax>::run(args...);
    case kMin: return Fn<kMin>::run(args...);
    default: return Fn<kLse>::run(args...);
  }
}

template <int F>
struct BytesFn {
  static size_t run(const Plan& p) { return partial_bytes<F>(p); }
};
template <int F>
struct LaunchFn {
  static cudaError_t run(const Plan& p, void* ws, cudaStream_t s) { return launch<F>(p, ws, s); }
};

}  // namespace

size_t cuda_reduce_workspace_bytes(const CudaReduceArgs& args) {
  Plan p;
  if (!make_plan(args, p)) return 0;
  return by_fold<BytesFn>(fold_of(args.op), p);
}

cudaError_t cuda_reduce_f32(const CudaReduceArgs& args, void* workspace, cudaStream_t stream) {
  Plan p;
  if (!make_plan(args, p) || !args.data || !args.y) return cudaErrorInvalidValue;
  if (p.out_n == 0) return cudaSuccess;
  return by_fold<LaunchFn>(fold_of(args.op), p, workspace, stream);
}

}  // namespace lepton
