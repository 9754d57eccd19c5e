{
  "variables": {
    # 1 for the prebuilt binaries (scripts/prebuild.mjs): load on glibc 2.28+, no GLIBCXX needed.
    "mp_portable_glibc%": 0
  },
  "targets": [
    {
      "target_name": "mp_native",
      "sources": ["addon.cc", "process_ops.cc", "shm.cc", "futex.cc", "socket.cc", "socket_ops.cc", "sched.cc", "glibc_compat.cc"],
      # The C++ standard is the one each Node's common.gypi asks for (C++17, or C++20 from Node 23).
      "cflags_cc": ["-O2", "-Wall", "-Wextra", "-Wno-unused-parameter", "-Wno-cast-function-type"],
      "cflags_cc!": ["-fno-exceptions"],
      "conditions": [
        ["mp_portable_glibc==1", {
          "defines": ["MP_PORTABLE_GLIBC"],
          "ldflags": [
            "-static-libstdc++",
            "-Wl,--exclude-libs,ALL",
            "-Wl,--gc-sections",
            "-Wl,--wrap=pthread_create",
            "-Wl,--wrap=pthread_join",
            "-Wl,--wrap=pthread_detach"
          ]
        }]
      ]
    }
  ]
}
