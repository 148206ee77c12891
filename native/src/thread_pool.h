// The thread pool of the native kernels: one per Node environment (JavaScript thread), so worker
// threads never share one. A call's outputs are cut into parts; whoever claims a part runs it.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace {

/**
 * A small pool of threads that share the parts of one call with the caller.
 *
 * Parts are claimed, not assigned: the caller and every woken worker take the next unclaimed part
 * until none is left. On a loaded machine a worker may not get a core for milliseconds; the caller
 * then runs that worker's parts itself instead of waiting for it, so a split call is never much
 * slower than the one-thread call. Which thread runs a part changes no bit: parts own whole output
 * rows (src/shared/nmf/kernels/contract.ts, rule 4).
 *
 * Waiting is spin-then-block on both sides. A fit calls in every fraction of a millisecond, and
 * waking a sleeping thread through the kernel costs tens of microseconds, so an idle worker spins
 * for a short, time-bounded while (kIdleSpin) before it sleeps on a condition variable, and the
 * caller, once no part is left to claim, spins for at most kFinishSpin for the parts still running
 * before it sleeps until the last one is done. Neither spins for long: on a machine whose cores are
 * all busy a spinning thread takes the time the thread it waits for needs.
 */
class Pool {
 public:
  /** How long an idle worker spins for the next call before it sleeps. */
  static constexpr std::chrono::microseconds kIdleSpin{50};
  /** How long the caller spins for parts other threads are still running before it sleeps. */
  static constexpr std::chrono::microseconds kFinishSpin{200};

  ~Pool() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      stop_ = true;
    }
    wake_.notify_all();
    for (auto& t : workers_) t.join();
  }

  /** Runs task(0) … task(parts − 1), each exactly once, on the caller and up to parts − 1 workers. */
  void run(int parts, const std::function<void(int)>& task) {
    if (parts <= 1) {
      task(0);
      return;
    }
    uint32_t call;
    {
      std::lock_guard<std::mutex> lock(mu_);
      while ((int)workers_.size() < parts - 1) {
        // A new worker starts from the current call number, which is bumped below: it joins this call.
        const uint32_t start = call_.load();
        workers_.emplace_back([this, start] { loop(start); });
      }
      task_ = &task;
      parts_ = parts;
      call = call_.load() + 1;
      done_.store(0);
      claims_.store((uint64_t)call << 32);
      call_.store(call);
    }
    wake_.notify_all();
    int mine = 0;
    for (int p; (p = claim(call, parts)) >= 0; mine++) task(p);
    if (done_.fetch_add(mine) + mine == parts) return;
    const auto until = std::chrono::steady_clock::now() + kFinishSpin;
    for (int spin = 0; done_.load() != parts; spin++) {
      if ((spin & 63) == 63 && std::chrono::steady_clock::now() > until) {
        std::unique_lock<std::mutex> lock(mu_);
        finished_.wait(lock, [&] { return done_.load() == parts; });
        return;
      }
      relax();
    }
  }

 private:
  /**
   * The next unclaimed part of call `call`, or −1 when all are claimed or that call is over. The
   * call number and the next part share one word, so a worker that wakes late, after its call has
   * ended, can never claim a part of the next call with the previous call's task.
   */
  int claim(uint32_t call, int parts) {
    uint64_t c = claims_.load();
    for (;;) {
      if ((uint32_t)(c >> 32) != call || (int)(uint32_t)c >= parts) return -1;
      if (claims_.compare_exchange_weak(c, c + 1)) return (int)(uint32_t)c;
    }
  }

  void loop(uint32_t seen) {
    for (;;) {
      if (call_.load() == seen) {
        // Spin first: the next call of a running fit usually comes within tens of microseconds.
        const auto until = std::chrono::steady_clock::now() + kIdleSpin;
        for (int spin = 0; call_.load() == seen; spin++) {
          if ((spin & 63) == 63 && std::chrono::steady_clock::now() > until) break;
          relax();
        }
      }
      const std::function<void(int)>* task;
      int parts;
      uint32_t call;
      {
        std::unique_lock<std::mutex> lock(mu_);
        wake_.wait(lock, [&] { return stop_ || call_.load() != seen; });
        if (stop_) return;
        call = call_.load();
        task = task_;
        parts = parts_;
      }
      seen = call;
      int mine = 0;
      for (int p; (p = claim(call, parts)) >= 0; mine++) (*task)(p);
      if (mine > 0 && done_.fetch_add(mine) + mine == parts) {
        // The caller may be asleep on `finished_`: taking the lock orders this after its check.
        { std::lock_guard<std::mutex> lock(mu_); }
        finished_.notify_one();
      }
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
  std::condition_variable finished_;
  std::vector<std::thread> workers_;
  const std::function<void(int)>* task_ = nullptr;
  /** The number of the current (or last) call. */
  std::atomic<uint32_t> call_{0};
  /** The current call's number (high 32 bits) and its next unclaimed part (low 32 bits). */
  std::atomic<uint64_t> claims_{0};
  /** Parts of the current call finished. */
  std::atomic<int> done_{0};
  int parts_ = 0;
  bool stop_ = false;
};

/** [begin, end) of part p when `total` items are cut into `parts` nearly equal contiguous runs. */
inline size_t cut(size_t total, int parts, int p) { return total * (size_t)p / (size_t)parts; }

}  // namespace
