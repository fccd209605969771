// Packed implicit-GEMM building blocks of the conv paths (conv2d.cc, conv2d_batched.cc), one set per
// ISA: 6-row / 16-column panels (conv2d_avx2.cc, conv2d_batched_avx2.cc) or 14-row / 32-column
// panels (conv2d_avx512.cc). Plain declarations only (no inline code), as in gemm_internal.h.
#pragma once
#include <cstdint>

namespace lepton {
namespace conv_detail {

struct ConvPackedGemm {
  int64_t mr, nr;  // rows of an A panel, columns of a B panel
  // ap[(mp*K + k)*mr + r] = wg[(mp*mr + r)*K + k], zero for rows >= Mg.
  void (*pack_a)(const float* wg, int64_t Mg, int64_t K, float* ap);
  // nr_rows im2col rows (k0.., row stride rs, nc columns) into the nr-column panels of bp.
  void (*pack_b_rows)(const float* rows, int64_t rs, int64_t nr_rows, int64_t nc, int64_t K, int64_t k0,
                      float* bp);
  // C[0:Mg, 0:nc] = A * B (+ bias[m], relu) on packed operands, single-threaded.
  void (*gemm)(int64_t Mg, int64_t nc, int64_t K, const float* ap, const float* bp, float* C,
               int64_t ldc, const float* bias, int relu);
};

// The set for this CPU (AVX-512 when cpu_has_avx512(), else AVX2); only valid if cpu_has_avx2().
const ConvPackedGemm& conv_packed_gemm();

void conv_pack_a_avx2(const float* wg, int64_t Mg, int64_t K, float* ap);
void conv_pack_b_rows_avx2(const float* rows, int64_t rs, int64_t nr, int64_t nc, int64_t K,
                           int64_t k0, float* bp);
void conv_gemm_packed_avx2(int64_t Mg, int64_t nc, int64_t K, const float* ap, const float* bp,
                           float* C, int64_t ldc, const float* bias, int relu);

void conv_pack_a_avx512(const float* wg, int64_t Mg, int64_t K, float* ap);
void conv_pack_b_rows_avx512(const float* rows, int64_t rs, int64_t nr, int64_t nc, int64_t K,
                             int64_t k0, float* bp);
void conv_gemm_packed_avx512(int64_t Mg, int64_t nc, int64_t K, const float* ap, const float* bp,
                             float* C, int64_t ldc, const float* bias, int relu);

}  // namespace conv_detail
}  // namespace lepton
