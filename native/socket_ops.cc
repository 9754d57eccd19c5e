// Socket helpers for connections: a connected socket pair, a readiness check, framed reads and
// writes on an fd, and the fd sharer.
#include "addon.h"

#include <cerrno>
#include <cstdint>
#include <cstring>
#include <ctime>
#include <fcntl.h>
#include <mutex>
#include <poll.h>
#include <random>
#include <string>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <thread>
#include <unistd.h>
#include <unordered_map>

namespace mp {
namespace {

// socketpair() -> [fd, fd]: a connected AF_UNIX stream pair, both ends close-on-exec.
void SocketPair(const v8::FunctionCallbackInfo<v8::Value>& args) {
  v8::Isolate* isolate = args.GetIsolate();
  int fds[2];
  if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) != 0) {
    ThrowErrno(isolate, errno, "socketpair");
    return;
  }
  v8::Local<v8::Context> context = isolate->GetCurrentContext();
  v8::Local<v8::Array> out = v8::Array::New(isolate, 2);
  out->Set(context, 0, v8::Integer::New(isolate, fds[0])).Check();
  out->Set(context, 1, v8::Integer::New(isolate, fds[1])).Check();
  args.GetReturnValue().Set(out);
}

// Milliseconds as poll() takes them: negative waits forever, larger values are capped.
int PollTimeout(double timeoutMs) {
  return timeoutMs < 0 ? -1 : (timeoutMs > 2147483647.0 ? 2147483647 : static_cast<int>(timeoutMs));
}

// poll() for input on one fd, retrying on EINTR: > 0 with `revents` set, 0 on timeout, -1 on
// failure (errno set).
int PollIn(int fd, int ms, short* revents) {
  struct pollfd p;
  p.fd = fd;
  p.events = POLLIN;
  p.revents = 0;
  int rc;
  do {
    rc = poll(&p, 1, ms);
  } while (rc < 0 && errno == EINTR);
  *revents = p.revents;
  return rc;
}

// pollReadable(fd, timeoutMs) -> boolean: whether fd has data or EOF (or an error) to report.
// timeoutMs < 0 waits forever.
void PollReadable(const v8::FunctionCallbackInfo<v8::Value>& args) {
  v8::Isolate* isolate = args.GetIsolate();
  if (args.Length() < 2 || !args[0]->IsInt32() || !args[1]->IsNumber()) {
    ThrowType(isolate, "pollReadable(fd, timeoutMs) expects integers");
    return;
  }
  short revents;
  int rc = PollIn(args[0].As<v8::Int32>()->Value(), PollTimeout(args[1].As<v8::Number>()->Value()), &revents);
  if (rc < 0) {
    ThrowErrno(isolate, errno, "poll");
    return;
  }
  args.GetReturnValue().Set(rc > 0 && (revents & (POLLIN | POLLHUP | POLLERR)) != 0);
}

// The bytes [offset, offset + length) of the ArrayBufferView argument at `index`, with offset and
// length taken from the two arguments after it; false if any is missing or the range does not fit.
bool ViewSlice(const v8::FunctionCallbackInfo<v8::Value>& args, int index, char** start, size_t* length) {
  if (args.Length() <= index + 2 || !args[index]->IsArrayBufferView() || !args[index + 1]->IsNumber() ||
      !args[index + 2]->IsNumber()) {
    return false;
  }
  v8::Local<v8::ArrayBufferView> view = args[index].As<v8::ArrayBufferView>();
  double offset = args[index + 1].As<v8::Number>()->Value();
  double count = args[index + 2].As<v8::Number>()->Value();
  if (!(offset >= 0) || !(count >= 0) || offset + count > static_cast<double>(view->ByteLength())) return false;
  *start = static_cast<char*>(view->Buffer()->Data()) + view->ByteOffset() + static_cast<size_t>(offset);
  *length = static_cast<size_t>(count);
  return true;
}

// readFd(fd, buf, offset, length, timeoutMs) -> count: one read into buf[offset, offset+length).
// > 0: bytes read; 0: end of file (or the peer reset the connection); -1: nothing to read (within
// timeoutMs; 0 = do not wait, < 0 = wait as long as it takes; the wait is a poll before the read).
void ReadFd(const v8::FunctionCallbackInfo<v8::Value>& args) {
  v8::Isolate* isolate = args.GetIsolate();
  char* data;
  size_t length;
  if (args.Length() < 5 || !args[0]->IsInt32() || !args[4]->IsNumber() || !ViewSlice(args, 1, &data, &length)) {
    ThrowType(isolate, "readFd(fd, buf, offset, length, timeoutMs) expects an fd, a buffer, a range within it and a timeout");
    return;
  }
  int fd = args[0].As<v8::Int32>()->Value();
  int ms = PollTimeout(args[4].As<v8::Number>()->Value());
  for (;;) {
    if (ms != 0) {
      short revents;
      int rc = PollIn(fd, ms, &revents);
      if (rc < 0) {
        ThrowErrno(isolate, errno, "poll");
        return;
      }
      if (rc == 0) {
        args.GetReturnValue().Set(-1);
        return;
      }
    }
    ssize_t n;
    do {
      n = read(fd, data, length);
    } while (n < 0 && errno == EINTR);
    if (n >= 0) {
      args.GetReturnValue().Set(static_cast<double>(n));
      return;
    }
    if (errno == ECONNRESET) {
      args.GetReturnValue().Set(0);
      return;
    }
    if (errno != EAGAIN && errno != EWOULDBLOCK) {
      ThrowErrno(isolate, errno, "read");
      return;
    }
    if (ms >= 0) {
      args.GetReturnValue().Set(-1);
      return;
    }
  }
}

// writeFrame(fd, buf, offset, length) -> count: writes one framed message (CPython's header for
// `length` bytes, then buf[offset, offset+length)) with one writev. Returns the bytes written
// (header included; may be short), -1 when the kernel takes nothing now, -2 when the peer is gone.
void WriteFrame(const v8::FunctionCallbackInfo<v8::Value>& args) {
  v8::Isolate* isolate = args.GetIsolate();
  char* data;
  size_t length;
  if (args.Length() < 4 || !args[0]->IsInt32() || !ViewSlice(args, 1, &data, &length)) {
    ThrowType(isolate, "writeFrame(fd, buf, offset, length) expects an fd, a buffer and a range within it");
    return;
  }
  int fd = args[0].As<v8::Int32>()->Value();
  uint64_t count = static_cast<uint64_t>(length);
  unsigned char header[12];
  size_t headerSize;
  if (count <= 0x7fffffffULL) {
    header[0] = static_cast<unsigned char>(count >> 24);
    header[1] = static_cast<unsigned char>(count >> 16);
    header[2] = static_cast<unsigned char>(count >> 8);
    header[3] = static_cast<unsigned char>(count);
    headerSize = 4;
  } else {
    header[0] = header[1] = header[2] = header[3] = 0xff;
    for (int i = 0; i < 8; i++) header[4 + i] = static_cast<unsigned char>(count >> (56 - 8 * i));
    headerSize = 12;
  }
  struct iovec iov[2];
  iov[0].iov_base = header;
  iov[0].iov_len = headerSize;
  iov[1].iov_base = data;
  iov[1].iov_len = length;
  ssize_t n;
  do {
    n = writev(fd, iov, count > 0 ? 2 : 1);
  } while (n < 0 && errno == EINTR);
  if (n >= 0) {
    args.GetReturnValue().Set(static_cast<double>(n));
    return;
  }
  if (errno == EAGAIN || errno == EWOULDBLOCK) {
    args.GetReturnValue().Set(-1);
    return;
  }
  if (errno == EPIPE || errno == ECONNRESET || errno == ENOTCONN) {
    args.GetReturnValue().Set(-2);
    return;
  }
  ThrowErrno(isolate, errno, "writev");
}

// dupFd(fd) -> fd: a close-on-exec duplicate (for handing a socket to a worker thread).
void DupFd(const v8::FunctionCallbackInfo<v8::Value>& args) {
  v8::Isolate* isolate = args.GetIsolate();
  if (args.Length() < 1 || !args[0]->IsInt32()) {
    ThrowType(isolate, "dupFd(fd) expects an integer");
    return;
  }
  int fd = fcntl(args[0].As<v8::Int32>()->Value(), F_DUPFD_CLOEXEC, 0);
  if (fd < 0) {
    ThrowErrno(isolate, errno, "fcntl");
    return;
  }
  args.GetReturnValue().Set(fd);
}

// The fd sharer, as CPython's resource_sharer: shareFd keeps a duplicate of an fd until another
// process of the same user asks for it by id over an abstract Unix socket served by one
// background thread; the duplicate travels with SCM_RIGHTS and is closed here once sent.
// A seed from the kernel (getrandom, glibc 2.25): std::random_device would tie the addon to the
// newest glibc it was built on (arc4random, 2.36).
uint64_t RandomSeed() {
  uint64_t seed = 0;
  ssize_t got;
  do {
    got = getrandom(&seed, sizeof(seed), 0);
  } while (got < 0 && errno == EINTR);
  if (got != static_cast<ssize_t>(sizeof(seed))) seed ^= static_cast<uint64_t>(getpid()) << 32 ^ static_cast<uint64_t>(time(nullptr));
  return seed;
}

struct Sharer {
  std::mutex mutex;
  int listener = -1;
  std::string address;  // abstract: starts with '\0'
  std::unordered_map<uint64_t, int> fds;
  std::mt19937_64 random{RandomSeed()};
};

Sharer& sharer() {
  static Sharer* instance = new Sharer();  // never destroyed: the thread may outlive static teardown
  return *instance;
}

socklen_t AddressOf(const std::string& address, sockaddr_un* out) {
  memset(out, 0, sizeof(*out));
  out->sun_family = AF_UNIX;
  size_t n = address.size() < sizeof(out->sun_path) ? address.size() : sizeof(out->sun_path);
  memcpy(out->sun_path, address.data(), n);
  return static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + n);
}

bool ReadFull(int fd, void* data, size_t size) {
  char* p = static_cast<char*>(data);
  while (size > 0) {
    ssize_t n = read(fd, p, size);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    p += n;
    size -= static_cast<size_t>(n);
  }
  return true;
}

void ServeSharer(int listener) {
  for (;;) {
    int conn = accept4(listener, nullptr, nullptr, SOCK_CLOEXEC);
    if (conn < 0) {
      if (errno == EINTR || errno == ECONNABORTED) continue;
      return;
    }
    struct timeval tv = {5, 0};
    setsockopt(conn, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    setsockopt(conn, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
    struct ucred cred;
    socklen_t len = sizeof(cred);
    uint64_t id = 0;
    int fd = -1;
    if (getsockopt(conn, SOL_SOCKET, SO_PEERCRED, &cred, &len) == 0 && cred.uid == getuid() &&
        ReadFull(conn, &id, sizeof(id))) {
      std::lock_guard<std::mutex> lock(sharer().mutex);
      auto it = sharer().fds.find(id);
      if (it != sharer().fds.end()) {
        fd = it->second;
        sharer().fds.erase(it);
      }
    }
    char status = fd >= 0 ? 1 : 0;
    struct iovec iov = {&status, 1};
    struct msghdr msg;
    memset(&msg, 0, sizeof(msg));
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    alignas(struct cmsghdr) char control[CMSG_SPACE(sizeof(int))];
    if (fd >= 0) {
      memset(control, 0, sizeof(control));
      msg.msg_control = control;
      msg.msg_controllen = sizeof(control);
      struct cmsghdr* cmsg = CMSG_FIRSTHDR(&msg);
      cmsg->cmsg_level = SOL_SOCKET;
      cmsg->cmsg_type = SCM_RIGHTS;
      cmsg->cmsg_len = CMSG_LEN(sizeof(int));
      memcpy(CMSG_DATA(cmsg), &fd, sizeof(int));
    }
    ssize_t sent;
    do {
      sent = sendmsg(conn, &msg, MSG_NOSIGNAL);
    } while (sent < 0 && errno == EINTR);
    if (fd >= 0) close(fd);
    close(conn);
  }
}

// shareFd(fd) -> [address, idHigh, idLow]: the fd stays available (as a duplicate) until taken.
void ShareFd(const v8::FunctionCallbackInfo<v8::Value>& args) {
  v8::Isolate* isolate = args.GetIsolate();
  if (args.Length() < 1 || !args[0]->IsInt32()) {
    ThrowType(isolate, "shareFd(fd) expects an integer");
    return;
  }
  Sharer& s = sharer();
  std::lock_guard<std::mutex> lock(s.mutex);
  if (s.listener < 0) {
    int listener = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (listener < 0) {
      ThrowErrno(isolate, errno, "socket");
      return;
    }
    std::string address = std::string(1, '\0') + "mp-ts-fd-" + std::to_string(getpid()) + "-" +
                          std::to_string(s.random());
    sockaddr_un addr;
    socklen_t addrlen = AddressOf(address, &addr);
    if (bind(listener, reinterpret_cast<sockaddr*>(&addr), addrlen) != 0 || listen(listener, 64) != 0) {
      int err = errno;
      close(listener);
      ThrowErrno(isolate, err, "bind");
      return;
    }
    s.listener = listener;
    s.address = address;
    std::thread(ServeSharer, listener).detach();
  }
  int dup = fcntl(args[0].As<v8::Int32>()->Value(), F_DUPFD_CLOEXEC, 0);
  if (dup < 0) {
    ThrowErrno(isolate, errno, "fcntl");
    return;
  }
  uint64_t id;
  do {
    id = s.random() & ((uint64_t(1) << 53) - 1);
  } while (id == 0 || s.fds.count(id));
  s.fds[id] = dup;
  v8::Local<v8::Context> context = isolate->GetCurrentContext();
  v8::Local<v8::Array> out = v8::Array::New(isolate, 2);
  out->Set(context, 0, v8::String::NewFromUtf8(isolate, s.address.data(), v8::NewStringType::kNormal,
                                                static_cast<int>(s.address.size())).ToLocalChecked()).Check();
  out->Set(context, 1, v8::Number::New(isolate, static_cast<double>(id))).Check();
  args.GetReturnValue().Set(out);
}

// takeSharedFd(address, id) -> fd: fetches an fd another process shared (blocking, 5 s at most).
void TakeSharedFd(const v8::FunctionCallbackInfo<v8::Value>& args) {
  v8::Isolate* isolate = args.GetIsolate();
  if (args.Length() < 2 || !args[0]->IsString() || !args[1]->IsNumber()) {
    ThrowType(isolate, "takeSharedFd(address, id) expects a string and a number");
    return;
  }
  v8::String::Utf8Value utf8(isolate, args[0]);
  std::string address(*utf8, utf8.length());
  uint64_t id = static_cast<uint64_t>(args[1].As<v8::Number>()->Value());
  int conn = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (conn < 0) {
    ThrowErrno(isolate, errno, "socket");
    return;
  }
  struct timeval tv = {5, 0};
  setsockopt(conn, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  setsockopt(conn, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
  sockaddr_un addr;
  socklen_t addrlen = AddressOf(address, &addr);
  int rc;
  do {
    rc = connect(conn, reinterpret_cast<sockaddr*>(&addr), addrlen);
  } while (rc < 0 && errno == EINTR);
  if (rc != 0) {
    int err = errno;
    close(conn);
    ThrowErrno(isolate, err, "connect");
    return;
  }
  ssize_t written;
  do {
    written = send(conn, &id, sizeof(id), MSG_NOSIGNAL);
  } while (written < 0 && errno == EINTR);
  char status = 0;
  struct iovec iov = {&status, 1};
  struct msghdr msg;
  memset(&msg, 0, sizeof(msg));
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  alignas(struct cmsghdr) char control[CMSG_SPACE(sizeof(int))];
  msg.msg_control = control;
  msg.msg_controllen = sizeof(control);
  ssize_t got;
  do {
    got = recvmsg(conn, &msg, MSG_CMSG_CLOEXEC);
  } while (got < 0 && errno == EINTR);
  int err = errno;
  close(conn);
  if (written != static_cast<ssize_t>(sizeof(id)) || got < 0) {
    ThrowErrno(isolate, got < 0 ? err : EPIPE, "recvmsg");
    return;
  }
  int fd = -1;
  for (struct cmsghdr* cmsg = CMSG_FIRSTHDR(&msg); cmsg; cmsg = CMSG_NXTHDR(&msg, cmsg)) {
    if (cmsg->cmsg_level == SOL_SOCKET && cmsg->cmsg_type == SCM_RIGHTS) memcpy(&fd, CMSG_DATA(cmsg), sizeof(int));
  }
  if (got != 1 || status != 1 || fd < 0) {
    ThrowErrno(isolate, ENOENT, "takeSharedFd");
    return;
  }
  args.GetReturnValue().Set(fd);
}

}  // namespace

void InitSocketOps(v8::Isolate* isolate, v8::Local<v8::Object> exports) {
  SetMethod(isolate, exports, "socketpair", SocketPair);
  SetMethod(isolate, exports, "pollReadable", PollReadable);
  SetMethod(isolate, exports, "readFd", ReadFd);
  SetMethod(isolate, exports, "writeFrame", WriteFrame);
  SetMethod(isolate, exports, "dupFd", DupFd);
  SetMethod(isolate, exports, "shareFd", ShareFd);
  SetMethod(isolate, exports, "takeSharedFd", TakeSharedFd);
}

}  // namespace mp
