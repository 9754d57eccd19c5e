// Shared memory for processes and threads: anonymous (memfd) segments for objects handed to
// our own children, named POSIX segments for SharedMemory, and mappings exposed to JavaScript
// as real SharedArrayBuffers (Atomics work on them, worker_threads share them).
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <string>

#include "addon.h"

namespace mp {
namespace {

// memfdCreate(name, size) -> fd. The segment lives as long as some fd or mapping refers to it:
// nothing can be left behind by a crash.
void MemfdCreate(const v8::FunctionCallbackInfo<v8::Value>& args) {
  v8::Isolate* isolate = args.GetIsolate();
  std::string name;
  int64_t size;
  if (!ReadString(args, 0, &name) || !ReadNumber(args, 1, &size)) return ThrowType(isolate, "memfdCreate(name, size)");
  int fd = memfd_create(name.c_str(), MFD_CLOEXEC);
  if (fd < 0) return ThrowErrno(isolate, errno, "memfd_create");
  if (ftruncate(fd, size) != 0) {
    int err = errno;
    close(fd);
    return ThrowErrno(isolate, err, "ftruncate");
  }
  args.GetReturnValue().Set(v8::Integer::New(isolate, fd));
}

// openProcessFd(pid, fd) -> a new fd on the same open file, through /proc/<pid>/fd/<fd>.
// Lets a process (or a thread) map a segment another process of ours created and still holds.
void OpenProcessFd(const v8::FunctionCallbackInfo<v8::Value>& args) {
  v8::Isolate* isolate = args.GetIsolate();
  int64_t pid, fd;
  if (!ReadNumber(args, 0, &pid) || !ReadNumber(args, 1, &fd)) return ThrowType(isolate, "openProcessFd(pid, fd)");
  std::string path = "/proc/" + std::to_string(pid) + "/fd/" + std::to_string(fd);
  int result = open(path.c_str(), O_RDWR | O_CLOEXEC);
  if (result < 0) return ThrowErrno(isolate, errno, "open");
  args.GetReturnValue().Set(v8::Integer::New(isolate, result));
}

// Named POSIX segments are files under /dev/shm, which is all glibc's and musl's shm_open and
// shm_unlink do. Doing it here keeps the addon off glibc 2.34's new symbols for them, so one
// binary loads on every glibc Node itself runs on (2.28 and later). The errors are glibc's: leading
// slashes are dropped; an empty name or one with a '/' inside is EINVAL to open and ENOENT to
// unlink; opening a directory is EINVAL; a name too long is the kernel's ENAMETOOLONG.
bool ShmPath(const std::string& name, std::string* path) {
  size_t start = name.find_first_not_of('/');
  if (start == std::string::npos || name.find('/', start) != std::string::npos) return false;
  *path = "/dev/shm/" + name.substr(start);
  return true;
}

int OpenShm(const std::string& name, int flags, mode_t mode) {
  std::string path;
  if (!ShmPath(name, &path)) {
    errno = EINVAL;
    return -1;
  }
  int fd = open(path.c_str(), flags | O_NOFOLLOW | O_CLOEXEC, mode);
  if (fd < 0 && errno == EISDIR) errno = EINVAL;
  return fd;
}

int UnlinkShm(const std::string& name) {
  std::string path;
  if (!ShmPath(name, &path)) {
    errno = ENOENT;
    return -1;
  }
  int rc = unlink(path.c_str());
  if (rc != 0 && errno == EPERM) errno = EACCES;
  return rc;
}

// shmOpen(name, create, exclusive) -> fd for a named POSIX segment (name starts with '/').
void ShmOpen(const v8::FunctionCallbackInfo<v8::Value>& args) {
  v8::Isolate* isolate = args.GetIsolate();
  std::string name;
  if (!ReadString(args, 0, &name)) return ThrowType(isolate, "shmOpen(name, create, exclusive)");
  bool create = args.Length() > 1 && args[1]->IsTrue();
  bool exclusive = args.Length() > 2 && args[2]->IsTrue();
  int flags = O_RDWR | O_CLOEXEC | (create ? O_CREAT : 0) | (exclusive ? O_EXCL : 0);
  int fd = OpenShm(name, flags, 0600);
  if (fd < 0) return ThrowErrno(isolate, errno, "shm_open");
  args.GetReturnValue().Set(v8::Integer::New(isolate, fd));
}

void ShmUnlink(const v8::FunctionCallbackInfo<v8::Value>& args) {
  v8::Isolate* isolate = args.GetIsolate();
  std::string name;
  if (!ReadString(args, 0, &name)) return ThrowType(isolate, "shmUnlink(name)");
  if (UnlinkShm(name) != 0) return ThrowErrno(isolate, errno, "shm_unlink");
}

void Truncate(const v8::FunctionCallbackInfo<v8::Value>& args) {
  v8::Isolate* isolate = args.GetIsolate();
  int64_t fd, size;
  if (!ReadNumber(args, 0, &fd) || !ReadNumber(args, 1, &size)) return ThrowType(isolate, "truncate(fd, size)");
  if (ftruncate(static_cast<int>(fd), size) != 0) return ThrowErrno(isolate, errno, "ftruncate");
}

// reserve(fd, size): allocates the file's pages now. On a tmpfs such as /dev/shm a full mount
// then fails here with ENOSPC, instead of a SIGBUS at the first write into a mapping of it.
void Reserve(const v8::FunctionCallbackInfo<v8::Value>& args) {
  v8::Isolate* isolate = args.GetIsolate();
  int64_t fd, size;
  if (!ReadNumber(args, 0, &fd) || !ReadNumber(args, 1, &size)) return ThrowType(isolate, "reserve(fd, size)");
  int err;
  // A signal (Node's SIGCHLD) may interrupt a large allocation: it is safe to start again.
  do {
    err = posix_fallocate(static_cast<int>(fd), 0, static_cast<off_t>(size));
  } while (err == EINTR);
  if (err != 0) return ThrowErrno(isolate, err, "posix_fallocate");
}

void FdSize(const v8::FunctionCallbackInfo<v8::Value>& args) {
  v8::Isolate* isolate = args.GetIsolate();
  int64_t fd;
  if (!ReadNumber(args, 0, &fd)) return ThrowType(isolate, "fdSize(fd)");
  // The end offset is the size of a memfd or shm file. Not fstat, which glibc 2.33 made a new
  // symbol, nor statx, which older container seccomp profiles refuse with EPERM. (These fds are
  // read and written with pread/pwrite and mmap, so moving their offset changes nothing.)
  off_t end = lseek(static_cast<int>(fd), 0, SEEK_END);
  if (end < 0) return ThrowErrno(isolate, errno, "lseek");
  args.GetReturnValue().Set(v8::Number::New(isolate, static_cast<double>(end)));
}

void CloseFd(const v8::FunctionCallbackInfo<v8::Value>& args) {
  v8::Isolate* isolate = args.GetIsolate();
  int64_t fd;
  if (!ReadNumber(args, 0, &fd)) return ThrowType(isolate, "closeFd(fd)");
  if (close(static_cast<int>(fd)) != 0) return ThrowErrno(isolate, errno, "close");
}

// mapShared(fd, size) -> SharedArrayBuffer over a MAP_SHARED mapping; unmapped when the last
// reference to it, in any thread, is collected. The fd may be closed afterwards.
void MapShared(const v8::FunctionCallbackInfo<v8::Value>& args) {
  v8::Isolate* isolate = args.GetIsolate();
  int64_t fd, size;
  if (!ReadNumber(args, 0, &fd) || !ReadNumber(args, 1, &size)) return ThrowType(isolate, "mapShared(fd, size)");
  if (size <= 0) return ThrowType(isolate, "mapShared(): size must be positive");
  void* data = mmap(nullptr, static_cast<size_t>(size), PROT_READ | PROT_WRITE, MAP_SHARED, static_cast<int>(fd), 0);
  if (data == MAP_FAILED) return ThrowErrno(isolate, errno, "mmap");
  std::unique_ptr<v8::BackingStore> store = v8::SharedArrayBuffer::NewBackingStore(
      data, static_cast<size_t>(size), [](void* address, size_t length, void*) { munmap(address, length); }, nullptr);
  args.GetReturnValue().Set(v8::SharedArrayBuffer::New(isolate, std::move(store)));
}

}  // namespace

void InitShm(v8::Isolate* isolate, v8::Local<v8::Object> exports) {
  SetMethod(isolate, exports, "memfdCreate", MemfdCreate);
  SetMethod(isolate, exports, "openProcessFd", OpenProcessFd);
  SetMethod(isolate, exports, "shmOpen", ShmOpen);
  SetMethod(isolate, exports, "shmUnlink", ShmUnlink);
  SetMethod(isolate, exports, "truncate", Truncate);
  SetMethod(isolate, exports, "reserve", Reserve);
  SetMethod(isolate, exports, "fdSize", FdSize);
  SetMethod(isolate, exports, "closeFd", CloseFd);
  SetMethod(isolate, exports, "mapShared", MapShared);
}

}  // namespace mp
