{
  "targets": [
    {
      "target_name": "mp_native",
      "sources": ["native/addon.cc", "native/process_ops.cc", "native/shm.cc", "native/futex.cc", "native/socket.cc", "native/socket_ops.cc"],
      "cflags_cc": ["-std=c++17", "-O2", "-Wall", "-Wextra", "-Wno-unused-parameter", "-Wno-cast-function-type"],
      "cflags_cc!": ["-std=gnu++17", "-fno-exceptions"]
    }
  ]
}
