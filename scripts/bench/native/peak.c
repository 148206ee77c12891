/*
 * The core's double-precision multiply-add peak and the latencies that bound a chain of sums:
 * twelve independent chains of a multiply then an add (as the kernels compute, no fused
 * multiply-add), of FMA for comparison, on 256- and 512-bit vectors, and one dependent chain of
 * adds, multiplies and FMAs. Thread CPU time. x86-64 with AVX-512 only (GCC or Clang inline asm).
 * Not part of the build: the figures of docs/architecture.md ("Per-iteration speed against the
 * machine's peak").
 *
 *   gcc -O2 scripts/bench/native/peak.c -o /tmp/peak && /tmp/peak
 */
#include <stdio.h>
#include <time.h>

static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
  return t.tv_sec + 1e-9 * t.tv_nsec;
}

#define N 50000000L
/* product into R, then added into A: a multiply and a separate add. */
#define MA(W, R, A) "vmulpd %%" W "14,%%" W "15,%%" W R "\n\tvaddpd %%" W R ",%%" W A ",%%" W A "\n\t"
#define FMA(W, A) "vfmadd231pd %%" W "14,%%" W "15,%%" W A "\n\t"
#define CLOBBER "xmm0", "xmm1", "xmm2", "xmm3", "xmm4", "xmm5", "xmm6", "xmm7", "xmm8", "xmm9", "xmm10", "xmm11"

int main(void) {
  double t0 = now(), dt;
  for (long i = 0; i < N; i++)
    __asm__ volatile(MA("ymm", "0", "6") MA("ymm", "1", "7") MA("ymm", "2", "8") MA("ymm", "3", "9")
                         MA("ymm", "4", "10") MA("ymm", "5", "11") MA("ymm", "0", "6") MA("ymm", "1", "7")
                             MA("ymm", "2", "8") MA("ymm", "3", "9") MA("ymm", "4", "10") MA("ymm", "5", "11")::
                                 : CLOBBER);
  dt = now() - t0;
  printf("256-bit multiply, then add: %6.2f G multiply-adds/s\n", 12.0 * 4 * N / dt / 1e9);
  t0 = now();
  for (long i = 0; i < N; i++)
    __asm__ volatile(MA("zmm", "0", "6") MA("zmm", "1", "7") MA("zmm", "2", "8") MA("zmm", "3", "9")
                         MA("zmm", "4", "10") MA("zmm", "5", "11") MA("zmm", "0", "6") MA("zmm", "1", "7")
                             MA("zmm", "2", "8") MA("zmm", "3", "9") MA("zmm", "4", "10") MA("zmm", "5", "11")::
                                 : CLOBBER);
  dt = now() - t0;
  printf("512-bit multiply, then add: %6.2f G multiply-adds/s\n", 12.0 * 8 * N / dt / 1e9);
  t0 = now();
  for (long i = 0; i < N; i++)
    __asm__ volatile(FMA("ymm", "0") FMA("ymm", "1") FMA("ymm", "2") FMA("ymm", "3") FMA("ymm", "4") FMA("ymm", "5")
                         FMA("ymm", "6") FMA("ymm", "7") FMA("ymm", "8") FMA("ymm", "9") FMA("ymm", "10")
                             FMA("ymm", "11")::
                                 : CLOBBER);
  dt = now() - t0;
  printf("256-bit FMA:                %6.2f G multiply-adds/s\n", 12.0 * 4 * N / dt / 1e9);
  t0 = now();
  for (long i = 0; i < N; i++)
    __asm__ volatile(FMA("zmm", "0") FMA("zmm", "1") FMA("zmm", "2") FMA("zmm", "3") FMA("zmm", "4") FMA("zmm", "5")
                         FMA("zmm", "6") FMA("zmm", "7") FMA("zmm", "8") FMA("zmm", "9") FMA("zmm", "10")
                             FMA("zmm", "11")::
                                 : CLOBBER);
  dt = now() - t0;
  printf("512-bit FMA:                %6.2f G multiply-adds/s\n", 12.0 * 8 * N / dt / 1e9);
  t0 = now();
  for (long i = 0; i < N; i++)
    __asm__ volatile("vaddpd %%ymm1,%%ymm0,%%ymm0\n\tvaddpd %%ymm1,%%ymm0,%%ymm0\n\t"
                     "vaddpd %%ymm1,%%ymm0,%%ymm0\n\tvaddpd %%ymm1,%%ymm0,%%ymm0" ::
                         : "xmm0");
  printf("dependent add:      %.3f ns\n", (now() - t0) / N / 4 * 1e9);
  t0 = now();
  for (long i = 0; i < N; i++)
    __asm__ volatile("vmulpd %%ymm1,%%ymm0,%%ymm0\n\tvmulpd %%ymm1,%%ymm0,%%ymm0\n\t"
                     "vmulpd %%ymm1,%%ymm0,%%ymm0\n\tvmulpd %%ymm1,%%ymm0,%%ymm0" ::
                         : "xmm0");
  printf("dependent multiply: %.3f ns\n", (now() - t0) / N / 4 * 1e9);
  t0 = now();
  for (long i = 0; i < N; i++)
    __asm__ volatile("vfmadd231pd %%ymm1,%%ymm2,%%ymm0\n\tvfmadd231pd %%ymm1,%%ymm2,%%ymm0\n\t"
                     "vfmadd231pd %%ymm1,%%ymm2,%%ymm0\n\tvfmadd231pd %%ymm1,%%ymm2,%%ymm0" ::
                         : "xmm0");
  printf("dependent FMA:      %.3f ns (4 cycles: the clock is 4 / this)\n", (now() - t0) / N / 4 * 1e9);
  return 0;
}
