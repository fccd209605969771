// gemm(M,N,K, alpha, A,aOff,aRs,aCs, B,bOff,bRs,bCs, beta, C,cOff,ldc, rowBias,colBias, act, sync)
// gemmBatched(M,N,K, alpha, A,aOffsets,aRs,aCs, B,bOffsets,bRs,bCs, beta, C,cOffsets,ldc, sync)
#include "../kernels/cpu/gemm.h"
#include "binding_util.h"

namespace lepton {
namespace {

constexpr int64_t kMaxDim = int64_t(1) << 40;

LEPTON_BINDING(gemm, "gemm") {
  const int64_t M = arg_int(info, 0, "M", 0, kMaxDim), N = arg_int(info, 1, "N", 0, kMaxDim),
                K = arg_int(info, 2, "K", 0, kMaxDim);
  const float alpha = static_cast<float>(arg_number(info, 3, "alpha"));
  ArrayArg A = arg_array(info, 4, "A", napi_float32_array);
  const int64_t a_off = arg_int(info, 5, "aOffset"), a_rs = arg_int(info, 6, "aRowStride"),
                a_cs = arg_int(info, 7, "aColStride");
  ArrayArg B = arg_array(info, 8, "B", napi_float32_array);
  const int64_t b_off = arg_int(info, 9, "bOffset"), b_rs = arg_int(info, 10, "bRowStride"),
                b_cs = arg_int(info, 11, "bColStride");
  const float beta = static_cast<float>(arg_number(info, 12, "beta"));
  ArrayArg C = arg_array(info, 13, "C", napi_float32_array);
  const int64_t c_off = arg_int(info, 14, "cOffset"), ldc = arg_int(info, 15, "ldc");
  ArrayArg row_bias = arg_array(info, 16, "rowBias", napi_float32_array, true);
  ArrayArg col_bias = arg_array(info, 17, "colBias", napi_float32_array, true);
  const int64_t act = arg_int(info, 18, "activation", 0, 1);
  const RunMode sync = arg_mode(info, 19);
  LEPTON_THROW_IF(N > 0 && ldc < N, "ldc must be >= N");
  check_view(A, "A", a_off, {M, K}, {a_rs, a_cs});
  check_view(B, "B", b_off, {K, N}, {b_rs, b_cs});
  check_view(C, "C", c_off, {M, N}, {ldc, 1});
  if (row_bias.present) check_span(row_bias, "rowBias", 0, M);
  if (col_bias.present) check_span(col_bias, "colBias", 0, N);
  GemmEpilogue ep;
  ep.row_bias = ptr<const float>(row_bias);
  ep.col_bias = ptr<const float>(col_bias);
  ep.activation = static_cast<Activation>(act);
  const float* a = ptr<const float>(A, a_off);
  const float* b = ptr<const float>(B, b_off);
  float* c = ptr<float>(C, c_off);
  return schedule(info, sync, {4, 8, 13, 16, 17}, [=] {
    gemm_f32(M, N, K, alpha, a, a_rs, a_cs, b, b_rs, b_cs, beta, c, ldc, ep);
  });
}

LEPTON_BINDING(gemm_batched, "gemmBatched") {
  const int64_t M = arg_int(info, 0, "M", 0, kMaxDim), N = arg_int(info, 1, "N", 0, kMaxDim),
                K = arg_int(info, 2, "K", 0, kMaxDim);
  const float alpha = static_cast<float>(arg_number(info, 3, "alpha"));
  ArrayArg A = arg_array(info, 4, "A", napi_float32_array);
  std::vector<int64_t> a_offs = arg_int_array(info, 5, "aOffsets", size_t(1) << 24);
  const int64_t a_rs = arg_int(info, 6, "aRowStride"), a_cs = arg_int(info, 7, "aColStride");
  ArrayArg B = arg_array(info, 8, "B", napi_float32_array);
  std::vector<int64_t> b_offs = arg_int_array(info, 9, "bOffsets", size_t(1) << 24);
  const int64_t b_rs = arg_int(info, 10, "bRowStride"), b_cs = arg_int(info, 11, "bColStride");
  const float beta = static_cast<float>(arg_number(info, 12, "beta"));
  ArrayArg C = arg_array(info, 13, "C", napi_float32_array);
  std::vector<int64_t> c_offs = arg_int_array(info, 14, "cOffsets", size_t(1) << 24);
  const int64_t ldc = arg_int(info, 15, "ldc");
  const RunMode sync = arg_mode(info, 16);
  LEPTON_THROW_IF(a_offs.size() != b_offs.size() || a_offs.size() != c_offs.size(),
                  "offset arrays must have the same length");
  LEPTON_THROW_IF(N > 0 && ldc < N, "ldc must be >= N");
  for (size_t i = 0; i < a_offs.size(); ++i) {
    check_view(A, "A", a_offs[i], {M, K}, {a_rs, a_cs});
    check_view(B, "B", b_offs[i], {K, N}, {b_rs, b_cs});
    check_view(C, "C", c_offs[i], {M, N}, {ldc, 1});
  }
  const float* a = ptr<const float>(A);
  const float* b = ptr<const float>(B);
  float* c = ptr<float>(C);
  return schedule(info, sync, {4, 8, 13}, [=] {
    gemm_batched_f32(static_cast<int64_t>(a_offs.size()), a_offs.data(), b_offs.data(), c_offs.data(), M, N, K,
                     alpha, a, a_rs, a_cs, b, b_rs, b_cs, beta, c, ldc);
  });
}

}  // namespace

void register_gemm(Napi::Env env, Napi::Object exports) {
  exports.Set("gemm", Napi::Function::New(env, gemm, "gemm"));
  exports.Set("gemmBatched", Napi::Function::New(env, gemm_batched, "gemmBatched"));
}

}  // namespace lepton
