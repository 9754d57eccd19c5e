// Only in the prebuilt binaries (binding.gyp's mp_portable_glibc=1): they are linked on a recent
// glibc but must load on every glibc that Node's own binaries run on (2.28 and later). This file
// holds what keeps the link from requiring anything newer. A build from source links against the
// glibc it runs on and needs none of it.
#include <pthread.h>

#if defined(MP_PORTABLE_GLIBC) && defined(__GLIBC__)

// libstdc++ (linked in statically, so no GLIBCXX version is required either) skips atomic
// reference counting while glibc 2.32+'s __libc_single_threaded says the process has one thread.
// Node always runs several, so a private "never single-threaded" flag is exact, and keeps the
// binary off that symbol.
extern "C" {
__attribute__((visibility("hidden"))) char __libc_single_threaded = 0;
}

// glibc 2.34 moved the pthread functions into libc under a new version; the older versions are
// still exported (they are the same functions). std::thread calls reach these through the
// linker's --wrap, so they bind to the versions every glibc since the architecture's first has.
#if defined(__x86_64__)
#define MP_GLIBC_BASE "GLIBC_2.2.5"
#elif defined(__aarch64__)
#define MP_GLIBC_BASE "GLIBC_2.17"
#else
#error "no glibc base version known for this architecture"
#endif

extern "C" {
int mp_pthread_create(pthread_t*, const pthread_attr_t*, void* (*)(void*), void*);
int mp_pthread_join(pthread_t, void**);
int mp_pthread_detach(pthread_t);
__asm__(".symver mp_pthread_create, pthread_create@" MP_GLIBC_BASE);
__asm__(".symver mp_pthread_join, pthread_join@" MP_GLIBC_BASE);
__asm__(".symver mp_pthread_detach, pthread_detach@" MP_GLIBC_BASE);

__attribute__((visibility("hidden"))) int __wrap_pthread_create(pthread_t* thread, const pthread_attr_t* attr,
                                                                  void* (*start)(void*), void* arg) {
  return mp_pthread_create(thread, attr, start, arg);
}
__attribute__((visibility("hidden"))) int __wrap_pthread_join(pthread_t thread, void** result) {
  return mp_pthread_join(thread, result);
}
__attribute__((visibility("hidden"))) int __wrap_pthread_detach(pthread_t thread) { return mp_pthread_detach(thread); }
}

#endif
