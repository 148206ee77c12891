// The thread pool of the native kernels: one per Node environment (JavaScript thread), so worker
// threads never share one. A call's outputs are cut into parts; part 0 runs on the caller.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstddef>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace {

/**
 * A small pool of threads that run parts 1..parts-1 of one call while the caller runs part 0.
 * A fit calls in every few milliseconds, and waking a sleeping thread through the kernel costs tens
 * of microseconds, so a worker that has just finished spins for a while (about a millisecond) on
 * the call counter before it sleeps on the condition variable; the caller spins (yielding) for the
 * workers' parts, which take as long as its own.
 */
class Pool {
 public:
  ~Pool() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      stop_ = true;
    }
    wake_.notify_all();
    for (auto& t : workers_) t.join();
  }

  void run(int parts, const std::function<void(int)>& task) {
    if (parts <= 1) {
      task(0);
      return;
    }
    {
      std::lock_guard<std::mutex> lock(mu_);
      while ((int)workers_.size() < parts - 1) {
        // A new worker starts from the current call count, which is bumped below: it takes this call.
        const int id = (int)workers_.size() + 1;
        const unsigned long long start = generation_.load();
        workers_.emplace_back([this, id, start] { loop(id, start); });
      }
      task_ = &task;
      parts_ = parts;
      pending_.store(parts - 1);
      generation_.fetch_add(1);
    }
    wake_.notify_all();
    task(0);
    while (pending_.load() != 0) std::this_thread::yield();
  }

 private:
  void loop(int id, unsigned long long seen) {
    for (;;) {
      // Spin first: the next call of a running fit usually comes within a millisecond.
      for (int spin = 0; spin < 20000 && generation_.load() == seen; spin++) relax();
      if (generation_.load() == seen) {
        std::unique_lock<std::mutex> lock(mu_);
        wake_.wait(lock, [&] { return stop_ || generation_.load() != seen; });
        if (stop_) return;
      }
      seen = generation_.load();
      const std::function<void(int)>* task;
      int parts;
      {
        std::lock_guard<std::mutex> lock(mu_);
        if (stop_) return;
        task = task_;
        parts = parts_;
      }
      if (id >= parts) continue;
      (*task)(id);
      pending_.fetch_sub(1);
    }
  }

  static inline void relax() {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#elif defined(__aarch64__)
    asm volatile("yield");
#endif
  }

  std::mutex mu_;
  std::condition_variable wake_;
  std::vector<std::thread> workers_;
  const std::function<void(int)>* task_ = nullptr;
  std::atomic<unsigned long long> generation_{0};
  std::atomic<int> pending_{0};
  int parts_ = 0;
  bool stop_ = false;
};

/** [begin, end) of part p when `total` items are cut into `parts` nearly equal contiguous runs. */
inline size_t cut(size_t total, int parts, int p) { return total * (size_t)p / (size_t)parts; }

}  // namespace
