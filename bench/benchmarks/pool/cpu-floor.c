/*
 * The machine's own floor for the CPU-bound case: the benchmark's integer loop in C, run
 * `tasks` times in one thread (serial), then by `workers` pthreads taking tasks from a shared
 * counter (no runtime, no pool, no messages). What it shows is what two threads of this machine
 * give to any program, so the pools' speedups can be read against it.
 *
 * Usage: cpu-floor TASKS ITERATIONS WORKERS REPEATS; prints one line "@bench:{...}" like the
 * other drivers, with the median (by speedup) of REPEATS serial/parallel pairs.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static long iterations;
static int tasks;
static atomic_int next_task;
static int32_t *results;

static double now_ms(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec * 1e3 + t.tv_nsec / 1e6;
}

/* The same loop as targets.mjs spin(): 32-bit wrapping, each step depends on the last. */
static int32_t spin(long n) {
  uint32_t x = 0;
  for (long i = 0; i < n; i++) x = x + ((uint32_t)((uint64_t)i * (uint64_t)i) ^ (x >> 3));
  return (int32_t)x;
}

static void *worker(void *unused) {
  (void)unused;
  for (int t; (t = atomic_fetch_add(&next_task, 1)) < tasks;) results[t] = spin(iterations);
  return NULL;
}

static double run_parallel(int workers) {
  pthread_t threads[64];
  atomic_store(&next_task, 0);
  double t0 = now_ms();
  for (int w = 0; w < workers; w++) pthread_create(&threads[w], NULL, worker, NULL);
  for (int w = 0; w < workers; w++) pthread_join(threads[w], NULL);
  return now_ms() - t0;
}

typedef struct { double serial, parallel, speedup; } pair_t;

static int by_speedup(const void *a, const void *b) {
  double d = ((const pair_t *)a)->speedup - ((const pair_t *)b)->speedup;
  return (d > 0) - (d < 0);
}

int main(int argc, char **argv) {
  if (argc != 5) {
    fprintf(stderr, "usage: cpu-floor TASKS ITERATIONS WORKERS REPEATS\n");
    return 2;
  }
  tasks = atoi(argv[1]);
  iterations = atol(argv[2]);
  int workers = atoi(argv[3]), repeats = atoi(argv[4]);
  if (tasks < 1 || iterations < 1 || workers < 1 || workers > 64 || repeats < 1 || repeats > 64) {
    fprintf(stderr, "cpu-floor: arguments out of range\n");
    return 2;
  }
  results = calloc((size_t)tasks, sizeof *results);
  pair_t pairs[64];
  int32_t expected = spin(iterations);
  run_parallel(workers);
  for (int r = 0; r < repeats; r++) {
    double t0 = now_ms();
    for (int t = 0; t < tasks; t++)
      if (spin(iterations) != expected) return fprintf(stderr, "cpu-floor: serial result changed\n"), 1;
    pairs[r].serial = now_ms() - t0;
    pairs[r].parallel = run_parallel(workers);
    for (int t = 0; t < tasks; t++)
      if (results[t] != expected) return fprintf(stderr, "cpu-floor: a parallel result differs\n"), 1;
    pairs[r].speedup = pairs[r].serial / pairs[r].parallel;
  }
  pair_t sorted[64];
  for (int r = 0; r < repeats; r++) sorted[r] = pairs[r];
  qsort(sorted, (size_t)repeats, sizeof *sorted, by_speedup);
  pair_t mid = sorted[(repeats - 1) / 2];
  printf("@bench:{\"result\":{\"serialMs\":%.3f,\"poolMs\":%.3f,\"speedup\":%.4f,\"taskMs\":%.3f,\"expected\":%d,\"speedups\":[",
         mid.serial, mid.parallel, mid.speedup, mid.serial / tasks, expected);
  for (int r = 0; r < repeats; r++) printf("%s%.4f", r ? "," : "", sorted[r].speedup);
  printf("]}}\n");
  return 0;
}
