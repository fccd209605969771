#include "parallel.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <mutex>
#include <thread>
#include <vector>

namespace lepton {
namespace {

// A fixed set of workers that sleep between regions. One region runs at a
// time: tasks are claimed from an atomic counter, so uneven tasks balance.
class ThreadPool {
 public:
  ThreadPool() {
    const char* spin = std::getenv("LEPTON_POOL_SPIN_US");
    if (spin) spin_us_ = std::max(0L, std::atol(spin));
    resize(0);
  }
  ~ThreadPool() { stop_workers(); }

  int threads() const { return static_cast<int>(workers_.size()) + 1; }

  void resize(int threads) {
    std::lock_guard<std::mutex> region(region_mutex_);
    stop_workers();
    if (threads <= 0) threads = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
    stopping_ = false;
    for (int i = 1; i < threads; ++i) workers_.emplace_back([this] { worker_loop(); });
  }

  void run(int64_t ntasks, const std::function<void(int64_t)>& fn) {
    if (ntasks <= 0) return;
    if (in_region_ || ntasks == 1 || workers_.empty()) {
      for (int64_t t = 0; t < ntasks; ++t) fn(t);
      return;
    }
    std::lock_guard<std::mutex> region(region_mutex_);
    {
      std::lock_guard<std::mutex> lock(mutex_);
      fn_ = &fn;
      ntasks_ = ntasks;
      next_.store(0);
      pending_ = ntasks;
      ++generation_;
      published_.store(generation_, std::memory_order_release);
    }
    wake_.notify_all();
    work_on_tasks(fn, ntasks);
    // Wait for the tasks and for every worker to leave the region, so that no worker can carry
    // this region's state into the next one. Spin first: the other threads usually finish within
    // microseconds, and a futex sleep + wake-up costs ~10 us here (as much as a small conv).
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::microseconds(std::min<long>(spin_us_, 100));
    for (int i = 0; !(pending_.load(std::memory_order_acquire) == 0 && active_.load(std::memory_order_acquire) == 0); ++i) {
#if defined(__x86_64__) || defined(__i386__)
      __builtin_ia32_pause();
#endif
      if ((i & 63) == 63 && std::chrono::steady_clock::now() > deadline) break;
      if ((i & 63) == 63) std::this_thread::yield();  // a preempted worker may be waiting for this core
    }
    std::unique_lock<std::mutex> lock(mutex_);
    done_.wait(lock, [this] { return pending_ == 0 && active_ == 0; });
    fn_ = nullptr;
  }

 private:
  void work_on_tasks(const std::function<void(int64_t)>& fn, int64_t ntasks) {
    in_region_ = true;
    int64_t finished = 0;
    for (int64_t t = next_.fetch_add(1); t < ntasks; t = next_.fetch_add(1)) {
      fn(t);
      ++finished;
    }
    in_region_ = false;
    std::lock_guard<std::mutex> lock(mutex_);
    pending_ -= finished;
    if (pending_ == 0) done_.notify_all();
  }

  void worker_loop() {
    uint64_t seen = 0;
    for (;;) {
      const std::function<void(int64_t)>* fn;
      int64_t ntasks;
      spin_until_published(seen);
      {
        std::unique_lock<std::mutex> lock(mutex_);
        wake_.wait(lock, [&] { return stopping_ || (generation_ != seen && fn_ != nullptr); });
        if (stopping_) return;
        seen = generation_;
        fn = fn_;
        ntasks = ntasks_;
        ++active_;
      }
      work_on_tasks(*fn, ntasks);
      std::lock_guard<std::mutex> lock(mutex_);
      --active_;
      if (pending_ == 0 && active_ == 0) done_.notify_all();
    }
  }

  // Back-to-back regions (a GEMM runs one per cache block) arrive microseconds apart: a
  // short spin catches them without a futex wake-up, and keeps a sleeping worker from
  // being packed onto the caller's core by the hypervisor's scheduler. Every spin yields
  // about once a microsecond: on a loaded machine the thread it waits for (or the JS thread,
  // or another process) may be queued for this core.
  void spin_until_published(uint64_t seen) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::microseconds(spin_us_);
    for (int i = 0;; ++i) {
      if (published_.load(std::memory_order_acquire) != seen) return;
#if defined(__x86_64__) || defined(__i386__)
      __builtin_ia32_pause();
#endif
      if ((i & 63) == 63 && std::chrono::steady_clock::now() > deadline) return;
      if ((i & 63) == 63) std::this_thread::yield();
    }
  }

  void stop_workers() {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      stopping_ = true;
    }
    wake_.notify_all();
    for (auto& w : workers_) w.join();
    workers_.clear();
  }

  std::vector<std::thread> workers_;
  std::mutex region_mutex_;  // one region at a time
  std::mutex mutex_;
  std::condition_variable wake_, done_;
  const std::function<void(int64_t)>* fn_ = nullptr;
  int64_t ntasks_ = 0;
  std::atomic<int64_t> next_{0};
  // Changed under mutex_ (the condition variables' predicates); atomic so that the caller can
  // spin on them without the lock.
  std::atomic<int64_t> pending_{0};
  std::atomic<int> active_{0};  // workers inside the current region
  uint64_t generation_ = 0;
  std::atomic<uint64_t> published_{0};  // generation_, readable without the lock
  long spin_us_ = 200;  // how long an idle worker spins before sleeping (the caller: at most 100)
  bool stopping_ = false;
  static thread_local bool in_region_;
};

thread_local bool ThreadPool::in_region_ = false;

ThreadPool& pool() {
  static ThreadPool instance;
  return instance;
}

}  // namespace

int parallel_thread_count() { return pool().threads(); }

void parallel_set_thread_count(int threads) { pool().resize(threads); }

void parallel_for(int64_t ntasks, const std::function<void(int64_t)>& fn) { pool().run(ntasks, fn); }

void parallel_range(int64_t n, int64_t grain, const std::function<void(int64_t, int64_t)>& fn) {
  if (n <= 0) return;
  grain = std::max<int64_t>(1, grain);
  const int64_t max_chunks = (n + grain - 1) / grain;
  const int64_t chunks = std::min<int64_t>(max_chunks, parallel_thread_count());
  const int64_t step = (n + chunks - 1) / chunks;
  parallel_for(chunks, [&](int64_t c) {
    const int64_t begin = c * step;
    const int64_t end = std::min(n, begin + step);
    if (begin < end) fn(begin, end);
  });
}

}  // namespace lepton
