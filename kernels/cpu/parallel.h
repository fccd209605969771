// Persistent CPU thread pool shared by every kernel.
#pragma once
#include <cstdint>
#include <functional>

namespace lepton {

// Number of threads a parallel region uses (the pool's workers plus the caller).
int parallel_thread_count();

// Sets the thread count (0 = one per core); takes effect before the next region.
void parallel_set_thread_count(int threads);

// Runs fn(task) for every task in [0, ntasks), spread over the pool; the caller
// takes part and returns when all tasks are done. Regions from different
// threads are serialised; a region started from inside a task runs inline.
void parallel_for(int64_t ntasks, const std::function<void(int64_t task)>& fn);

// Splits [0, n) into contiguous chunks of at least `grain` items, one or more
// per thread, and runs fn(begin, end) on each.
void parallel_range(int64_t n, int64_t grain, const std::function<void(int64_t begin, int64_t end)>& fn);

}  // namespace lepton
