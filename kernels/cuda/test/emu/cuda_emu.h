// A CPU emulator for this project's CUDA kernels, for machines with no GPU (test tooling only).
// Force-included (g++ -include) into copies of kernels/cuda/*.cu whose <<<...>>> launches
// translate.py has rewritten. Each CUDA thread of a block is a ucontext fiber on one OS thread;
// __syncthreads, __syncwarp and warp shuffles are barriers that switch fibers, so index maths,
// bounds, tiling and reductions run for real. What it cannot show: timing, memory-model races
// between barriers, alignment faults, and the hardware's own cp.async / wmma behaviour (both
// are emulated by plain copies and a float64-free reference MMA).
#pragma once
#include <cuda_bf16.h>
#include <cuda_fp16.h>
#include <cuda_runtime.h>
#include <setjmp.h>
#include <ucontext.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <type_traits>
#include <vector>

#undef __global__
#undef __device__
#undef __host__
#undef __shared__
#undef __launch_bounds__
#undef __grid_constant__
#define __global__
#define __device__
#define __host__
#define __shared__ static
#define __launch_bounds__(...)
#define __grid_constant__

using std::isfinite;

inline uint3 threadIdx, blockIdx;
inline dim3 blockDim, gridDim;

namespace lepton_emu {

// A fiber starts once through setcontext (a fresh stack); after that fibers and the scheduler
// switch with _setjmp/_longjmp, which skip the signal-mask system call swapcontext makes.
struct Fiber {
  ucontext_t ctx{};
  jmp_buf env;
  std::vector<char> stack;
  bool started = false;
  bool done = false;
  int waiting = 0;  // 0 running, 1 block barrier, 2 warp barrier
};

inline jmp_buf scheduler;
inline std::vector<Fiber> fibers;
inline int current = 0;
inline unsigned block_gen = 0;
inline unsigned warp_gen[64] = {};
inline std::function<void()> body;
inline unsigned char slots[64][32][16];
constexpr size_t kStack = 256 * 1024;

inline void set_thread(int i) {
  threadIdx.x = static_cast<unsigned>(i) % blockDim.x;
  threadIdx.y = (static_cast<unsigned>(i) / blockDim.x) % blockDim.y;
  threadIdx.z = static_cast<unsigned>(i) / (blockDim.x * blockDim.y);
}

inline void yield() {
  if (!_setjmp(fibers[current].env)) _longjmp(scheduler, 1);
}

inline void entry() {
  body();
  fibers[current].done = true;
  _longjmp(scheduler, 1);  // never returns: the fiber's stack is reused by the next block
}

inline void resume(int i) {
  if (_setjmp(scheduler)) return;
  Fiber& f = fibers[i];
  if (!f.started) {
    f.started = true;
    setcontext(&f.ctx);
  }
  _longjmp(f.env, 1);
}

inline void barrier(int kind) {
  const int warp = current / 32;
  const unsigned gen = kind == 1 ? block_gen : warp_gen[warp];
  fibers[current].waiting = kind;
  while ((kind == 1 ? block_gen : warp_gen[warp]) == gen) yield();
}

// Runs one block: every fiber until it finishes, releasing barriers once all live threads reach them.
inline void run_block(int threads) {
  if (static_cast<int>(fibers.size()) < threads) fibers.resize(threads);
  for (int i = 0; i < threads; ++i) {
    Fiber& f = fibers[i];
    if (f.stack.empty()) f.stack.resize(kStack);
    getcontext(&f.ctx);
    f.ctx.uc_stack.ss_sp = f.stack.data();
    f.ctx.uc_stack.ss_size = f.stack.size();
    f.ctx.uc_link = nullptr;
    makecontext(&f.ctx, entry, 0);
    f.started = false;
    f.done = false;
    f.waiting = 0;
  }
  for (;;) {
    int alive = 0;
    for (int i = 0; i < threads; ++i) {
      if (fibers[i].done || fibers[i].waiting) continue;
      current = i;
      set_thread(i);
      resume(i);
    }
    int at_block = 0;
    for (int i = 0; i < threads; ++i) {
      if (fibers[i].done) continue;
      ++alive;
      at_block += fibers[i].waiting == 1;
    }
    if (alive == 0) return;
    bool released = false;
    if (at_block == alive) {
      ++block_gen;
      for (int i = 0; i < threads; ++i) fibers[i].waiting = 0;
      released = true;
    }
    for (int w = 0; w * 32 < threads && !released; ++w) {
      int live = 0, at_warp = 0;
      for (int i = w * 32; i < std::min(threads, w * 32 + 32); ++i) {
        if (fibers[i].done) continue;
        ++live;
        at_warp += fibers[i].waiting == 2;
      }
      if (live > 0 && at_warp == live) {
        ++warp_gen[w];
        for (int i = w * 32; i < std::min(threads, w * 32 + 32); ++i) fibers[i].waiting = 0;
        released = true;
      }
    }
    if (!released) {
      std::fprintf(stderr, "cuda_emu: deadlock (threads wait at different barriers)\n");
      std::abort();  // emulator only: a kernel bug, not a library path
    }
  }
}

template <typename F>
void launch(dim3 grid, dim3 block, F&& kernel_call) {
  body = std::forward<F>(kernel_call);
  gridDim = grid;
  blockDim = block;
  const int threads = static_cast<int>(block.x * block.y * block.z);
  for (unsigned z = 0; z < grid.z; ++z)
    for (unsigned y = 0; y < grid.y; ++y)
      for (unsigned x = 0; x < grid.x; ++x) {
        blockIdx.x = x;
        blockIdx.y = y;
        blockIdx.z = z;
        run_block(threads);
      }
}

template <typename T>
T shuffle(T v, int src_lane_or_minus_one) {
  const int warp = current / 32, lane = current % 32;
  static_assert(sizeof(T) <= 16, "shuffle of a small type");
  std::memcpy(slots[warp][lane], &v, sizeof(T));
  barrier(2);
  T out = v;
  if (src_lane_or_minus_one >= 0) std::memcpy(&out, slots[warp][src_lane_or_minus_one], sizeof(T));
  barrier(2);
  return out;
}

}  // namespace lepton_emu

inline void __syncthreads() { lepton_emu::barrier(1); }
inline void __syncwarp(unsigned = 0xffffffffu) { lepton_emu::barrier(2); }
template <typename T>
T __shfl_down_sync(unsigned, T v, int delta) {
  const int lane = lepton_emu::current % 32;
  return lepton_emu::shuffle(v, lane + delta < 32 ? lane + delta : -1);
}
template <typename T>
T __shfl_xor_sync(unsigned, T v, int mask) {
  return lepton_emu::shuffle(v, (lepton_emu::current % 32) ^ mask);
}
template <typename T>
T __ldg(const T* p) {
  return *p;
}

// cp.async in gemm_tile.cuh: plain copies (src_bytes < size zero-fills, as the hardware does).
inline void lepton_emu_cp_async(void* smem, const void* gmem, int size, int src_bytes) {
  std::memset(smem, 0, static_cast<size_t>(size));
  if (src_bytes > 0) std::memcpy(smem, gmem, static_cast<size_t>(src_bytes));
}
