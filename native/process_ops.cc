// Process-level operations Node does not offer: parent-death signal, and looking at
// a child's exit status without reaping it (libuv stays the one that reaps), pipes, and the
// per-process slot for the resource tracker's pipe.
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <atomic>

#include "addon.h"

namespace mp {
namespace {

// setParentDeathSignal(signal) -> parent pid as seen after arming.
// The caller compares the result to the pid it expects: if the parent died before
// prctl ran, we were already re-parented and the signal will never come.
void SetParentDeathSignal(const v8::FunctionCallbackInfo<v8::Value>& args) {
  v8::Isolate* isolate = args.GetIsolate();
  int64_t sig;
  if (!ReadNumber(args, 0, &sig)) return ThrowType(isolate, "signal must be a number");
  if (prctl(PR_SET_PDEATHSIG, static_cast<unsigned long>(sig)) != 0) {
    return ThrowErrno(isolate, errno, "prctl");
  }
  args.GetReturnValue().Set(v8::Integer::New(isolate, getppid()));
}

void GetParentPid(const v8::FunctionCallbackInfo<v8::Value>& args) {
  args.GetReturnValue().Set(v8::Integer::New(args.GetIsolate(), getppid()));
}

// Fills {code, signal} from a waitid() result; signal is 0 for a normal exit.
v8::Local<v8::Object> StatusObject(v8::Isolate* isolate, const siginfo_t& info) {
  v8::Local<v8::Context> context = isolate->GetCurrentContext();
  v8::Local<v8::Object> result = v8::Object::New(isolate);
  bool exited = info.si_code == CLD_EXITED;
  result->Set(context, v8::String::NewFromUtf8Literal(isolate, "code"),
              v8::Integer::New(isolate, exited ? info.si_status : 0)).Check();
  result->Set(context, v8::String::NewFromUtf8Literal(isolate, "signal"),
              v8::Integer::New(isolate, exited ? 0 : info.si_status)).Check();
  return result;
}

// peekExit(pid) -> {code, signal} if the child has ended, else null. Never reaps.
void PeekExit(const v8::FunctionCallbackInfo<v8::Value>& args) {
  v8::Isolate* isolate = args.GetIsolate();
  int64_t pid;
  if (!ReadNumber(args, 0, &pid)) return ThrowType(isolate, "pid must be a number");
  siginfo_t info = {};
  int rc;
  do {
    rc = waitid(P_PID, static_cast<id_t>(pid), &info, WEXITED | WNOHANG | WNOWAIT);
  } while (rc != 0 && errno == EINTR);
  if (rc != 0) return ThrowErrno(isolate, errno, "waitid");
  if (info.si_pid == 0) {
    args.GetReturnValue().SetNull();
    return;
  }
  args.GetReturnValue().Set(StatusObject(isolate, info));
}

int64_t NowMs() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1000 + ts.tv_nsec / 1000000;
}

// waitExitSync(pid, timeoutMs) -> true once the child has ended, false on timeout.
// Blocks the calling thread on a pidfd (no polling); timeoutMs < 0 waits forever.
void WaitExitSync(const v8::FunctionCallbackInfo<v8::Value>& args) {
  v8::Isolate* isolate = args.GetIsolate();
  int64_t pid, timeout;
  if (!ReadNumber(args, 0, &pid)) return ThrowType(isolate, "pid must be a number");
  if (!ReadNumber(args, 1, &timeout)) timeout = -1;
  int fd = static_cast<int>(syscall(SYS_pidfd_open, static_cast<pid_t>(pid), 0));
  if (fd < 0) return ThrowErrno(isolate, errno, "pidfd_open");
  const int64_t deadline = timeout < 0 ? -1 : NowMs() + timeout;
  bool ready = false;
  for (;;) {
    int wait_ms = -1;
    if (deadline >= 0) {
      int64_t left = deadline - NowMs();
      wait_ms = left > 0 ? static_cast<int>(left) : 0;
    }
    pollfd p = {fd, POLLIN, 0};
    int rc = poll(&p, 1, wait_ms);
    if (rc > 0) { ready = true; break; }
    if (rc == 0) break;
    if (errno != EINTR) { int err = errno; close(fd); return ThrowErrno(isolate, err, "poll"); }
  }
  close(fd);
  args.GetReturnValue().Set(v8::Boolean::New(isolate, ready));
}

// pipe() -> [readFd, writeFd], both close-on-exec. Node offers only socketpairs, which
// cannot be reopened through /proc/<pid>/fd; a pipe can.
void Pipe(const v8::FunctionCallbackInfo<v8::Value>& args) {
  v8::Isolate* isolate = args.GetIsolate();
  int fds[2];
  if (pipe2(fds, O_CLOEXEC) != 0) return ThrowErrno(isolate, errno, "pipe2");
  v8::Local<v8::Context> context = isolate->GetCurrentContext();
  v8::Local<v8::Array> result = v8::Array::New(isolate, 2);
  result->Set(context, 0, v8::Integer::New(isolate, fds[0])).Check();
  result->Set(context, 1, v8::Integer::New(isolate, fds[1])).Check();
  args.GetReturnValue().Set(result);
}

// One fd slot per process, seen by every thread (the addon is loaded once per process):
// where this process writes to the resource tracker. -1 while unset.
std::atomic<int> tracker_fd{-1};

void GetTrackerFd(const v8::FunctionCallbackInfo<v8::Value>& args) {
  args.GetReturnValue().Set(v8::Integer::New(args.GetIsolate(), tracker_fd.load()));
}

// swapTrackerFd(expected, fd) -> the value found; fd was stored only if that equals expected.
void SwapTrackerFd(const v8::FunctionCallbackInfo<v8::Value>& args) {
  v8::Isolate* isolate = args.GetIsolate();
  int64_t expected, fd;
  if (!ReadNumber(args, 0, &expected) || !ReadNumber(args, 1, &fd)) return ThrowType(isolate, "swapTrackerFd(expected, fd)");
  int found = static_cast<int>(expected);
  tracker_fd.compare_exchange_strong(found, static_cast<int>(fd));
  args.GetReturnValue().Set(v8::Integer::New(isolate, found));
}

}  // namespace

void InitProcessOps(v8::Isolate* isolate, v8::Local<v8::Object> exports) {
  SetMethod(isolate, exports, "setParentDeathSignal", SetParentDeathSignal);
  SetMethod(isolate, exports, "getParentPid", GetParentPid);
  SetMethod(isolate, exports, "peekExit", PeekExit);
  SetMethod(isolate, exports, "waitExitSync", WaitExitSync);
  SetMethod(isolate, exports, "pipe", Pipe);
  SetMethod(isolate, exports, "getTrackerFd", GetTrackerFd);
  SetMethod(isolate, exports, "swapTrackerFd", SwapTrackerFd);
}

}  // namespace mp
