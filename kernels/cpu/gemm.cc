// SGEMM driver: cache blocking, packing through arbitrary strides, threading over the
// shared pool, run-time dispatch between the AVX-512 kernels (gemm_avx512.cc, 14x32 tiles),
// the AVX2+FMA kernels (gemm_avx2.cc, 6x16 tiles) and a portable blocked kernel compiled for the baseline ISA.
//
// Blocking (BLIS-style): for jc (NC cols of C) / pc (KC of K: pack B panel kc x nc) /
// ic (MC rows: pack A block mc x kc) / jr (NR) / ir (MR): micro-kernel on an MR x NR tile.
// The packed A block lives in L2, one packed B micro-panel (kc x NR) in L1, the packed
// B block in L3. Packed panels are zero-padded to MR / NR so the micro-kernel always runs
// on a full tile; edge tiles go through a small temporary tile.
#include "gemm.h"

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <thread>
#include <vector>

#include "cpu_features.h"
#include "gemm_internal.h"
#include "parallel.h"

namespace lepton {
namespace {

using gemm_detail::MicroKernel;

constexpr int kMaxMR = 16;
constexpr int kMaxNR = 32;

struct GemmConfig {
  int mr, nr;
  int64_t mc, kc, nc;
  MicroKernel kernel;
  bool avx2;    // AVX2 packers and GEMV kernels (also on AVX-512 CPUs)
  bool avx512;  // AVX-512 micro-kernel and packers
};

// ---------------------------------------------------------------------------------------
// Portable micro-kernel (baseline ISA; the compiler vectorises the NR loop with SSE2).
constexpr int kPortMR = 4;
constexpr int kPortNR = 8;

void portable_kernel_4x8(int64_t k, const float* __restrict a, const float* __restrict b,
                         float* c, int64_t ldc, float alpha, float beta) {
  float acc[kPortMR][kPortNR] = {};
  for (int64_t p = 0; p < k; ++p) {
    for (int i = 0; i < kPortMR; ++i) {
      const float av = a[i];
      for (int j = 0; j < kPortNR; ++j) acc[i][j] += av * b[j];
    }
    a += kPortMR;
    b += kPortNR;
  }
  if (beta == 0.0f) {
    for (int i = 0; i < kPortMR; ++i)
      for (int j = 0; j < kPortNR; ++j) c[i * ldc + j] = alpha * acc[i][j];
  } else {
    for (int i = 0; i < kPortMR; ++i)
      for (int j = 0; j < kPortNR; ++j) c[i * ldc + j] = alpha * acc[i][j] + beta * c[i * ldc + j];
  }
}

void portable_gemv_axpy(int64_t n, int64_t K, const float* x, int64_t xs, const float* P,
                        int64_t ps, float* y) {
  for (int64_t j = 0; j < n; ++j) y[j] = 0.0f;
  int64_t k = 0;
  for (; k + 4 <= K; k += 4) {
    const float s0 = x[k * xs], s1 = x[(k + 1) * xs], s2 = x[(k + 2) * xs], s3 = x[(k + 3) * xs];
    const float* __restrict p0 = P + k * ps;
    const float* __restrict p1 = p0 + ps;
    const float* __restrict p2 = p1 + ps;
    const float* __restrict p3 = p2 + ps;
    float* __restrict yy = y;
    for (int64_t j = 0; j < n; ++j) yy[j] += s0 * p0[j] + s1 * p1[j] + s2 * p2[j] + s3 * p3[j];
  }
  for (; k < K; ++k) {
    const float s = x[k * xs];
    const float* __restrict p0 = P + k * ps;
    float* __restrict yy = y;
    for (int64_t j = 0; j < n; ++j) yy[j] += s * p0[j];
  }
}

void portable_gemv_dot(int64_t n, int64_t K, const float* X, int64_t xs, const float* v,
                       float* y) {
  for (int64_t i = 0; i < n; ++i) {
    const float* r = X + i * xs;
    float s[8] = {};
    int64_t k = 0;
    for (; k + 8 <= K; k += 8)
      for (int u = 0; u < 8; ++u) s[u] += r[k + u] * v[k + u];
    float t = ((s[0] + s[4]) + (s[1] + s[5])) + ((s[2] + s[6]) + (s[3] + s[7]));
    for (; k < K; ++k) t += r[k] * v[k];
    y[i] = t;
  }
}

const GemmConfig& config() {
  static const GemmConfig cfg = [] {
    GemmConfig c;
    c.avx512 = false;
    if (cpu_has_avx512()) {
      // A block (mc x kc) in the 1 MiB L2, one B micro-panel (kc x 32, 32 KiB) in the 48 KiB L1.
      c.mr = gemm_detail::kAvx512MR;
      c.nr = gemm_detail::kAvx512NR;
      c.mc = 168;
      c.kc = 256;
      c.nc = 4096;
      c.kernel = gemm_detail::avx512_kernel_14x32;
      c.avx2 = true;
      c.avx512 = true;
    } else if (cpu_has_avx2()) {
      c.mr = gemm_detail::kAvx2MR;
      c.nr = gemm_detail::kAvx2NR;
      c.mc = 144;
      c.kc = 256;
      c.nc = 4080;
      c.kernel = gemm_detail::avx2_kernel_6x16;
      c.avx2 = true;
    } else {
      c.mr = kPortMR;
      c.nr = kPortNR;
      c.mc = 128;
      c.kc = 256;
      c.nc = 2048;
      c.kernel = portable_kernel_4x8;
      c.avx2 = false;
    }
    // Block-size overrides for tuning experiments (benchmarking only; sanitised).
    if (const char* s = std::getenv("LEPTON_GEMM_MC")) c.mc = std::max<int64_t>(c.mr, (std::atoll(s) / c.mr) * c.mr);
    if (const char* s = std::getenv("LEPTON_GEMM_KC")) c.kc = std::max<int64_t>(1, std::atoll(s));
    if (const char* s = std::getenv("LEPTON_GEMM_NC")) c.nc = std::max<int64_t>(c.nr, (std::atoll(s) / c.nr) * c.nr);
    return c;
  }();
  return cfg;
}

// ---------------------------------------------------------------------------------------
// Per-thread packing buffers, sized by the block sizes (never by M, N or K).
struct PackBuffers {
  std::vector<float> a_store, b_store;
  static float* ensure(std::vector<float>& store, size_t n) {
    // 64 floats of slack: alignment plus the few floats an AVX2 packer may write past the end.
    if (store.size() < n + 64) store.assign(n + 64, 0.0f);
    auto p = reinterpret_cast<uintptr_t>(store.data());
    return reinterpret_cast<float*>((p + 63) & ~uintptr_t(63));
  }
};

PackBuffers& pack_buffers() {
  static thread_local PackBuffers buffers;
  return buffers;
}

// Packs rows [0, mc) x k [0, kc) of A (already offset) into MR-row panels: panel-major,
// then k, then MR rows. Rows past mc are zero.
template <int MR>
void pack_a(int64_t mc, int64_t kc, const float* A, int64_t rs, int64_t cs, float* dst) {
  for (int64_t i = 0; i < mc; i += MR) {
    const int64_t rows = std::min<int64_t>(MR, mc - i);
    const float* src = A + i * rs;
    if (rows == MR) {
      if (rs == 1) {
        for (int64_t k = 0; k < kc; ++k)
          for (int r = 0; r < MR; ++r) dst[k * MR + r] = src[k * cs + r];
      } else if (cs == 1) {
        const float* rp[MR];
        for (int r = 0; r < MR; ++r) rp[r] = src + r * rs;
        for (int64_t k = 0; k < kc; ++k)
          for (int r = 0; r < MR; ++r) dst[k * MR + r] = rp[r][k];
      } else {
        for (int64_t k = 0; k < kc; ++k)
          for (int r = 0; r < MR; ++r) dst[k * MR + r] = src[r * rs + k * cs];
      }
    } else {
      for (int64_t k = 0; k < kc; ++k) {
        int64_t r = 0;
        for (; r < rows; ++r) dst[k * MR + r] = src[r * rs + k * cs];
        for (; r < MR; ++r) dst[k * MR + r] = 0.0f;
      }
    }
    dst += MR * kc;
  }
}

// Packs k [0, kc) x cols [0, nc) of B (already offset) into NR-col panels: panel-major,
// then k, then NR cols. Cols past nc are zero.
template <int NR>
void pack_b(int64_t kc, int64_t nc, const float* B, int64_t rs, int64_t cs, float* dst) {
  for (int64_t j = 0; j < nc; j += NR) {
    const int64_t cols = std::min<int64_t>(NR, nc - j);
    const float* src = B + j * cs;
    if (cols == NR && cs == 1) {
      for (int64_t k = 0; k < kc; ++k) std::memcpy(dst + k * NR, src + k * rs, NR * sizeof(float));
    } else if (cols == NR && rs == 1) {
      for (int c = 0; c < NR; ++c) {
        const float* col = src + c * cs;
        for (int64_t k = 0; k < kc; ++k) dst[k * NR + c] = col[k];
      }
    } else if (cols == NR) {
      for (int64_t k = 0; k < kc; ++k)
        for (int c = 0; c < NR; ++c) dst[k * NR + c] = src[k * rs + c * cs];
    } else {
      for (int64_t k = 0; k < kc; ++k) {
        int64_t c = 0;
        for (; c < cols; ++c) dst[k * NR + c] = src[k * rs + c * cs];
        for (; c < NR; ++c) dst[k * NR + c] = 0.0f;
      }
    }
    dst += NR * kc;
  }
}

void pack_a_any(const GemmConfig& cfg, int64_t mc, int64_t kc, const float* A, int64_t rs,
                int64_t cs, float* dst) {
  if (cfg.avx512) {
    if (cs == 1 && rs != 1) {
      const int64_t full = mc / 14 * 14;
      for (int64_t i = 0; i < full; i += 14) gemm_detail::avx512_pack_a14_rows(kc, A + i * rs, rs, dst + i * kc);
      if (full < mc) pack_a<14>(mc - full, kc, A + full * rs, rs, cs, dst + full * kc);
    } else {
      pack_a<14>(mc, kc, A, rs, cs, dst);
    }
    return;
  }
  if (cfg.avx2 && cs == 1 && rs != 1) {
    // Row-major A: full panels through AVX2 transposes, the ragged last panel generically.
    const int64_t full = mc / 6 * 6;
    for (int64_t i = 0; i < full; i += 6) gemm_detail::avx2_pack_a6_rows(kc, A + i * rs, rs, dst + i * kc);
    if (full < mc) pack_a<6>(mc - full, kc, A + full * rs, rs, cs, dst + full * kc);
    return;
  }
  if (cfg.mr == 6) pack_a<6>(mc, kc, A, rs, cs, dst);
  else pack_a<kPortMR>(mc, kc, A, rs, cs, dst);
}

void pack_b_any(const GemmConfig& cfg, int64_t kc, int64_t nc, const float* B, int64_t rs,
                int64_t cs, float* dst) {
  if (cfg.avx512) {
    if (rs == 1 && cs != 1) {
      const int64_t full = nc / 32 * 32;
      for (int64_t j = 0; j < full; j += 32) gemm_detail::avx512_pack_b32_cols(kc, B + j * cs, cs, dst + j * kc);
      if (full < nc) pack_b<32>(kc, nc - full, B + full * cs, rs, cs, dst + full * kc);
    } else {
      pack_b<32>(kc, nc, B, rs, cs, dst);
    }
    return;
  }
  if (cfg.avx2 && rs == 1 && cs != 1) {
    // B stored transposed (k contiguous per column): full panels through AVX2 transposes.
    const int64_t full = nc / 16 * 16;
    for (int64_t j = 0; j < full; j += 16) gemm_detail::avx2_pack_b16_cols(kc, B + j * cs, cs, dst + j * kc);
    if (full < nc) pack_b<16>(kc, nc - full, B + full * cs, rs, cs, dst + full * kc);
    return;
  }
  if (cfg.nr == 16) pack_b<16>(kc, nc, B, rs, cs, dst);
  else pack_b<kPortNR>(kc, nc, B, rs, cs, dst);
}

bool has_epilogue(const GemmEpilogue& e) {
  return e.row_bias || e.col_bias || e.activation != Activation::none;
}

// Epilogue on an m x n tile of C; row_bias / col_bias already offset to the tile (or null).
void apply_epilogue(float* c, int64_t ldc, int64_t m, int64_t n, const float* row_bias,
                    const float* col_bias, Activation act) {
  for (int64_t i = 0; i < m; ++i) {
    float* __restrict row = c + i * ldc;
    const float rb = row_bias ? row_bias[i] : 0.0f;
    if (col_bias) {
      for (int64_t j = 0; j < n; ++j) row[j] += rb + col_bias[j];
    } else if (row_bias) {
      for (int64_t j = 0; j < n; ++j) row[j] += rb;
    }
    if (act == Activation::relu)
      for (int64_t j = 0; j < n; ++j) row[j] = row[j] < 0.0f ? 0.0f : row[j];
  }
}

// C = beta * C (beta == 0: C = 0), then the epilogue. For K == 0 or alpha == 0.
void scale_only(int64_t M, int64_t N, float beta, float* C, int64_t ldc, const GemmEpilogue& e) {
  for (int64_t i = 0; i < M; ++i) {
    float* row = C + i * ldc;
    if (beta == 0.0f) {
      for (int64_t j = 0; j < N; ++j) row[j] = 0.0f;
    } else if (beta != 1.0f) {
      for (int64_t j = 0; j < N; ++j) row[j] *= beta;
    }
  }
  if (has_epilogue(e)) apply_epilogue(C, ldc, M, N, e.row_bias, e.col_bias, e.activation);
}

// Macro-kernel: C[0:mc, jr0:jr1) of the current (ic, jc) block from a packed A block and
// the packed B block. C, biases already offset to the (ic, jc) corner.
void macro_kernel(const GemmConfig& cfg, int64_t mc, int64_t jr0, int64_t jr1, int64_t kc,
                  const float* apack, const float* bpack, float alpha, float beta, float* C,
                  int64_t ldc, bool epi_on, const float* row_bias, const float* col_bias,
                  Activation act) {
  const int mr = cfg.mr, nr = cfg.nr;
  alignas(64) float tmp[kMaxMR * kMaxNR];
  for (int64_t jr = jr0; jr < jr1; jr += nr) {
    const int64_t nn = std::min<int64_t>(nr, jr1 - jr);
    const float* bp = bpack + jr * kc;
    for (int64_t ir = 0; ir < mc; ir += mr) {
      const int64_t mm = std::min<int64_t>(mr, mc - ir);
      const float* ap = apack + ir * kc;
      float* cp = C + ir * ldc + jr;
      if (mm == mr && nn == nr) {
        cfg.kernel(kc, ap, bp, cp, ldc, alpha, beta);
      } else {
        cfg.kernel(kc, ap, bp, tmp, nr, alpha, 0.0f);
        for (int64_t i = 0; i < mm; ++i) {
          float* crow = cp + i * ldc;
          const float* trow = tmp + i * nr;
          if (beta == 0.0f) {
            for (int64_t j = 0; j < nn; ++j) crow[j] = trow[j];
          } else {
            for (int64_t j = 0; j < nn; ++j) crow[j] = trow[j] + beta * crow[j];
          }
        }
      }
      if (epi_on)
        apply_epilogue(cp, ldc, mm, nn, row_bias ? row_bias + ir : nullptr,
                       col_bias ? col_bias + jr : nullptr, act);
    }
  }
}

// Items (panels, K blocks) packed cooperatively at the start of a parallel region: each task
// claims groups of `step` items until none are left, packing each group at once, then waits for
// the groups the others claimed. A claimed group is packed at once by its claimer, so the wait
// always ends, also when the region runs on one thread.
class CooperativePack {
 public:
  explicit CooperativePack(int64_t count, int64_t step = 1) : count_(count), step_(step) {}
  // pack(i0, i1) packs items [i0, i1).
  template <class Pack>
  void claim(const Pack& pack) {
    for (int64_t i = next_.fetch_add(step_, std::memory_order_relaxed); i < count_;
         i = next_.fetch_add(step_, std::memory_order_relaxed)) {
      const int64_t e = std::min(count_, i + step_);
      pack(i, e);
      done_.fetch_add(e - i, std::memory_order_release);
    }
  }
  void wait() const {
    while (done_.load(std::memory_order_acquire) < count_) std::this_thread::yield();
  }

 private:
  const int64_t count_, step_;
  std::atomic<int64_t> next_{0}, done_{0};
};

// At most this many floats of A are packed whole (every K block) by gemm_one_row_block.
constexpr int64_t kWholeAFloats = 256 * 1024;

// One block of rows (M <= MC, mc_blk = M rounded up to MR) and one of columns (N <= NC), A small
// enough to pack whole: a single parallel region. Its tasks (column ranges, two per thread) first
// pack A's K blocks cooperatively, claimed one at a time, then each runs its columns through every
// K block, packing its own B panels. A is packed once, not once per task and K block, and the
// threads meet once instead of once per K block (a 64x784x128 product, an MNIST dense layer,
// took 4 regions, each packing all of A for each of its 4 tasks).
void gemm_one_row_block(const GemmConfig& cfg, int64_t M, int64_t N, int64_t K, float alpha,
                        const float* A, int64_t a_rs, int64_t a_cs, const float* B, int64_t b_rs,
                        int64_t b_cs, float beta, float* C, int64_t ldc, const GemmEpilogue& epi,
                        int threads, int64_t mc_blk) {
  const int nr = cfg.nr;
  const int64_t KC = cfg.kc, kblocks = (K + KC - 1) / KC, npanels = (N + nr - 1) / nr;
  const int64_t panels_per = (npanels + 2 * threads - 1) / (2 * threads);
  const int64_t tasks = (npanels + panels_per - 1) / panels_per;
  const bool epi_on = has_epilogue(epi);
  // The caller's B buffer holds the whole packed A (this path packs no shared B); each task packs
  // its B panels into the A buffer of the thread running it.
  float* apack = PackBuffers::ensure(pack_buffers().b_store, static_cast<size_t>(mc_blk * K));
  CooperativePack a_blocks(kblocks);
  parallel_for(tasks, [&](int64_t t) {
    a_blocks.claim([&](int64_t b, int64_t) {
      const int64_t pc = b * KC;
      pack_a_any(cfg, M, std::min(KC, K - pc), A + pc * a_cs, a_rs, a_cs, apack + mc_blk * pc);
    });
    const int64_t j0 = t * panels_per * nr, j1 = std::min(N, j0 + panels_per * nr);
    float* bpack = PackBuffers::ensure(pack_buffers().a_store, static_cast<size_t>(panels_per * nr * std::min(KC, K)));
    a_blocks.wait();
    for (int64_t pc = 0; pc < K; pc += KC) {
      const int64_t kc = std::min(KC, K - pc);
      pack_b_any(cfg, kc, j1 - j0, B + pc * b_rs + j0 * b_cs, b_rs, b_cs, bpack);
      macro_kernel(cfg, M, 0, j1 - j0, kc, apack + mc_blk * pc, bpack, alpha, pc == 0 ? beta : 1.0f, C + j0, ldc,
                   epi_on && pc + kc == K, epi.row_bias, epi.col_bias ? epi.col_bias + j0 : nullptr, epi.activation);
    }
  });
}

// Blocked GEMM. One parallel region per (jc, pc) step: its tasks (an MC block of rows x a
// range of NR panels) are claimed dynamically from the pool, so a core that is slowed down
// (shared machine) simply takes fewer tasks. The packed B block (kc x nc, L3) is shared by
// all tasks and packed cooperatively at the start of the region; each task packs its own A
// block (L2) into a thread-local buffer.
void gemm_blocked(const GemmConfig& cfg, int64_t M, int64_t N, int64_t K, float alpha,
                  const float* A, int64_t a_rs, int64_t a_cs, const float* B, int64_t b_rs,
                  int64_t b_cs, float beta, float* C, int64_t ldc, const GemmEpilogue& epi,
                  int threads) {
  const int mr = cfg.mr, nr = cfg.nr;
  const int64_t KC = cfg.kc, NC = cfg.nc;
  const bool epi_on = has_epilogue(epi);
  // Balanced row blocks of at most MC rows (multiples of MR); with threads, a multiple of the
  // thread count of them when there are several, so no thread is left with one block more.
  int64_t n_m = (M + cfg.mc - 1) / cfg.mc;
  if (threads > 1 && n_m > threads && M >= n_m * mr) {
    const int64_t rounded = (n_m + threads - 1) / threads * threads;
    if (M >= rounded * mr) n_m = rounded;
  }
  // The MR-row panels are dealt out evenly (512 rows: 9, 9, 9, 10 panels of 14, not 140, 140, 140
  // and 92 rows); mc_blk is the largest block.
  const int64_t m_panels = (M + mr - 1) / mr;
  n_m = std::min(n_m, m_panels);
  const int64_t mc_blk = (m_panels + n_m - 1) / n_m * mr;
  const int64_t m_tasks = n_m;
  if (threads > 1 && m_tasks == 1 && N <= NC && N > nr && mc_blk * K <= kWholeAFloats) {
    gemm_one_row_block(cfg, M, N, K, alpha, A, a_rs, a_cs, B, b_rs, b_cs, beta, C, ldc, epi, threads, mc_blk);
    return;
  }
  const int64_t kc_max = std::min(KC, K);
  const int64_t nc_max = (std::min(NC, N) + nr - 1) / nr * nr;
  float* bpack = PackBuffers::ensure(pack_buffers().b_store, static_cast<size_t>(nc_max * kc_max));

  for (int64_t jc = 0; jc < N; jc += NC) {
    const int64_t nc = std::min(NC, N - jc);
    const int64_t npanels = (nc + nr - 1) / nr;
    // Column split of the B block: enough tasks to keep every thread busy (at least two per
    // thread when the row blocks alone do not provide them).
    int64_t n_split = 1;
    if (threads > 1 && m_tasks < 2 * threads)
      n_split = std::min<int64_t>(npanels, (2 * threads + m_tasks - 1) / m_tasks);
    const int64_t panels_per = (npanels + n_split - 1) / n_split;
    n_split = (npanels + panels_per - 1) / panels_per;
    const int64_t ntasks = m_tasks * n_split;

    for (int64_t pc = 0; pc < K; pc += KC) {
      const int64_t kc = std::min(KC, K - pc);
      const float beta_eff = pc == 0 ? beta : 1.0f;
      const bool last_epi = epi_on && pc + kc == K;
      const float* Bblk = B + pc * b_rs + jc * b_cs;
      // With a single row block the tasks own disjoint column ranges and pack their own B.
      // Otherwise the shared B block is packed cooperatively (groups of 4 panels) at the start of
      // the region: every task claims groups, packs its A block, then waits for the rest.
      const bool pack_in_task = m_tasks == 1;
      const bool shared_pack = !pack_in_task && threads > 1 && ntasks > 1;
      CooperativePack b_panels(npanels, 4);
      auto pack_shared = [&] {
        b_panels.claim([&](int64_t p0, int64_t p1) {
          const int64_t c0 = p0 * nr, c1 = std::min(nc, p1 * nr);
          pack_b_any(cfg, kc, c1 - c0, Bblk + c0 * b_cs, b_rs, b_cs, bpack + c0 * kc);
        });
      };
      auto wait_shared = [&] { b_panels.wait(); };
      if (!pack_in_task && !shared_pack) pack_b_any(cfg, kc, nc, Bblk, b_rs, b_cs, bpack);
      auto task = [&](int64_t t) {
        const int64_t im = t / n_split, in = t % n_split;
        const int64_t ic = im * m_panels / n_m * mr;
        const int64_t mc = std::min(M, (im + 1) * m_panels / n_m * mr) - ic;
        const int64_t jr0 = in * panels_per * nr;
        const int64_t jr1 = std::min(nc, jr0 + panels_per * nr);
        if (shared_pack) pack_shared();
        if (mc <= 0 || jr0 >= jr1) {
          if (shared_pack) wait_shared();
          return;
        }
        if (pack_in_task)
          pack_b_any(cfg, kc, jr1 - jr0, Bblk + jr0 * b_cs, b_rs, b_cs, bpack + jr0 * kc);
        float* apack = PackBuffers::ensure(pack_buffers().a_store, static_cast<size_t>(mc_blk * kc_max));
        pack_a_any(cfg, mc, kc, A + ic * a_rs + pc * a_cs, a_rs, a_cs, apack);
        if (shared_pack) wait_shared();  // B packing finished by the other tasks' claimers
        macro_kernel(cfg, mc, jr0, jr1, kc, apack, bpack, alpha, beta_eff, C + ic * ldc + jc, ldc,
                     last_epi, epi.row_bias ? epi.row_bias + ic : nullptr,
                     epi.col_bias ? epi.col_bias + jc : nullptr, epi.activation);
      };
      if (threads > 1 && ntasks > 1) parallel_for(ntasks, task);
      else for (int64_t t = 0; t < ntasks; ++t) task(t);
    }
  }
}

// Below this many flops a product runs on the calling thread alone.
constexpr double kParallelMinFlops = 2.0e6;
// Outputs per GEMV chunk (y stays in L1).
constexpr int64_t kGemvChunk = 4096;

// M == 1 or N == 1 with a layout that streams memory contiguously. Returns false when the
// layout does not fit (the general path then handles it).
bool try_gemv(const GemmConfig& cfg, int64_t M, int64_t N, int64_t K, float alpha,
              const float* A, int64_t a_rs, int64_t a_cs, const float* B, int64_t b_rs,
              int64_t b_cs, float beta, float* C, int64_t ldc, const GemmEpilogue& epi,
              bool allow_threads) {
  // Output o in [0, n): C[o * cstride]. kind 0: axpy (x, xs, P, ps); kind 1: dot (X, xs, v).
  int64_t n, cstride, xs = 0, ps = 0;
  const float *x = nullptr, *P = nullptr;
  int kind;
  if (M == 1) {
    n = N;
    cstride = 1;
    if (b_cs == 1) {
      kind = 0; x = A; xs = a_cs; P = B; ps = b_rs;
    } else if (b_rs == 1 && a_cs == 1) {
      kind = 1; P = B; ps = b_cs; x = A;
    } else {
      return false;
    }
  } else if (N == 1) {
    n = M;
    cstride = ldc;
    if (a_rs == 1) {
      kind = 0; x = B; xs = b_rs; P = A; ps = a_cs;
    } else if (a_cs == 1 && b_rs == 1) {
      kind = 1; P = A; ps = a_rs; x = B;
    } else {
      return false;
    }
  } else {
    return false;
  }
  const int threads = allow_threads ? parallel_thread_count() : 1;
  const double flops = 2.0 * double(n) * double(K);
  const bool par = threads > 1 && flops >= kParallelMinFlops;
  auto finish = [&](int64_t c0, int64_t len, const float* y) {
    for (int64_t o = 0; o < len; ++o) {
      float* cp = C + (c0 + o) * cstride;
      float v = alpha * y[o];
      if (beta != 0.0f) v += beta * *cp;
      if (epi.row_bias) v += epi.row_bias[M == 1 ? 0 : c0 + o];
      if (epi.col_bias) v += epi.col_bias[M == 1 ? c0 + o : 0];
      if (epi.activation == Activation::relu && v < 0.0f) v = 0.0f;
      *cp = v;
    }
  };
  if (kind == 0) {
    // Rows of P are streamed whole (contiguous memory for the prefetchers); with threads,
    // each takes a slice of K into its own partial y and the partials are summed.
    const int64_t nk = par ? std::min<int64_t>(threads, std::max<int64_t>(1, K / 16)) : 1;
    const int64_t kstep = (K + nk - 1) / nk;
    static thread_local std::vector<float> partial_store;
    if (partial_store.size() < static_cast<size_t>(nk * kGemvChunk)) partial_store.assign(nk * kGemvChunk, 0.0f);
    float* partial = partial_store.data();
    for (int64_t c0 = 0; c0 < n; c0 += kGemvChunk) {
      const int64_t len = std::min(kGemvChunk, n - c0);
      auto slice = [&](int64_t t) {
        const int64_t k0 = t * kstep, k1 = std::min(K, k0 + kstep);
        float* y = partial + t * kGemvChunk;
        if (k0 >= k1) {
          for (int64_t o = 0; o < len; ++o) y[o] = 0.0f;
          return;
        }
        if (cfg.avx2) gemm_detail::avx2_gemv_axpy(len, k1 - k0, x + k0 * xs, xs, P + k0 * ps + c0, ps, y);
        else portable_gemv_axpy(len, k1 - k0, x + k0 * xs, xs, P + k0 * ps + c0, ps, y);
      };
      if (nk > 1) {
        parallel_for(nk, slice);
        for (int64_t t = 1; t < nk; ++t) {
          const float* __restrict pt = partial + t * kGemvChunk;
          for (int64_t o = 0; o < len; ++o) partial[o] += pt[o];
        }
      } else {
        slice(0);
      }
      finish(c0, len, partial);
    }
    return true;
  }
  // Dot form: every output reads one contiguous row of K; split the outputs.
  const int64_t pieces = par ? std::min<int64_t>(4 * threads, (n + 15) / 16) : 1;
  const int64_t step = (n + pieces - 1) / pieces;
  auto body = [&](int64_t t) {
    const int64_t o0 = t * step;
    const int64_t o1 = std::min(n, o0 + step);
    float y[256];
    for (int64_t c0 = o0; c0 < o1; c0 += 256) {
      const int64_t len = std::min<int64_t>(256, o1 - c0);
      if (cfg.avx2) gemm_detail::avx2_gemv_dot(len, K, P + c0 * ps, ps, x, y);
      else portable_gemv_dot(len, K, P + c0 * ps, ps, x, y);
      finish(c0, len, y);
    }
  };
  if (pieces > 1) parallel_for(pieces, body);
  else body(0);
  return true;
}

void gemm_impl(int64_t M, int64_t N, int64_t K, float alpha, const float* A, int64_t a_rs,
               int64_t a_cs, const float* B, int64_t b_rs, int64_t b_cs, float beta, float* C,
               int64_t ldc, const GemmEpilogue& epi, bool allow_threads) {
  if (M <= 0 || N <= 0) return;
  if (K <= 0 || alpha == 0.0f) {
    scale_only(M, N, beta, C, ldc, epi);
    return;
  }
  const GemmConfig& cfg = config();
  if ((M == 1 || N == 1) &&
      try_gemv(cfg, M, N, K, alpha, A, a_rs, a_cs, B, b_rs, b_cs, beta, C, ldc, epi, allow_threads))
    return;

  int threads = allow_threads ? parallel_thread_count() : 1;
  const double flops = 2.0 * double(M) * double(N) * double(K);
  if (flops < kParallelMinFlops) threads = 1;
  gemm_blocked(cfg, M, N, K, alpha, A, a_rs, a_cs, B, b_rs, b_cs, beta, C, ldc, epi, threads);
}

}  // namespace

void gemm_f32(int64_t M, int64_t N, int64_t K, float alpha, const float* A, int64_t a_rs,
              int64_t a_cs, const float* B, int64_t b_rs, int64_t b_cs, float beta, float* C,
              int64_t ldc, const GemmEpilogue& epilogue) {
  gemm_impl(M, N, K, alpha, A, a_rs, a_cs, B, b_rs, b_cs, beta, C, ldc, epilogue, true);
}

void gemm_batched_f32(int64_t batch, const int64_t* a_offsets, const int64_t* b_offsets,
                      const int64_t* c_offsets, int64_t M, int64_t N, int64_t K, float alpha,
                      const float* A, int64_t a_rs, int64_t a_cs, const float* B, int64_t b_rs,
                      int64_t b_cs, float beta, float* C, int64_t ldc) {
  if (batch <= 0 || M <= 0 || N <= 0) return;
  const GemmEpilogue none;
  const int threads = parallel_thread_count();
  const double flops = 2.0 * double(M) * double(N) * double(K);
  // Batches in parallel only when the products are small enough that splitting each one
  // would not keep the threads busy, and no two batches write the same C.
  // With few batches (uneven split) only tiny products go batch-parallel.
  const double split_limit = batch >= 2 * threads ? 64.0e6 : 4.0e6;
  bool split_batches = threads > 1 && batch > 1 && flops < split_limit &&
                       flops * double(batch) >= kParallelMinFlops;
  if (split_batches) {
    std::vector<int64_t> offs(c_offsets, c_offsets + batch);
    std::sort(offs.begin(), offs.end());
    split_batches = std::adjacent_find(offs.begin(), offs.end()) == offs.end();
  }
  if (split_batches) {
    parallel_for(batch, [&](int64_t b) {
      gemm_impl(M, N, K, alpha, A + a_offsets[b], a_rs, a_cs, B + b_offsets[b], b_rs, b_cs, beta,
                C + c_offsets[b], ldc, none, false);
    });
  } else {
    for (int64_t b = 0; b < batch; ++b)
      gemm_impl(M, N, K, alpha, A + a_offsets[b], a_rs, a_cs, B + b_offsets[b], b_rs, b_cs, beta,
                C + c_offsets[b], ldc, none, true);
  }
}

}  // namespace lepton
