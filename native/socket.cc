// Listening sockets bound synchronously: Node's net.Server.listen(port, host) binds
// asynchronously, while a Listener must know its address as soon as it is constructed
// (as CPython's does). The socket is created, bound and put in the listening state here;
// Node then adopts it with server.listen({ fd }).
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <string>

#include "addon.h"

namespace mp {
namespace {

v8::Local<v8::String> Str(v8::Isolate* isolate, const char* text, int length = -1) {
  return v8::String::NewFromUtf8(isolate, text, v8::NewStringType::kNormal, length).ToLocalChecked();
}

void SetKey(v8::Isolate* isolate, v8::Local<v8::Object> object, const char* key, v8::Local<v8::Value> value) {
  object->Set(isolate->GetCurrentContext(), Str(isolate, key), value).Check();
}

// Closes fd and throws errno as it was before close.
void Fail(v8::Isolate* isolate, int fd, const char* syscall) {
  int err = errno;
  if (fd >= 0) close(fd);
  ThrowErrno(isolate, err, syscall);
}

// listenInet(host, port, backlog, ipv6) -> { fd, host, port }
// host is resolved with getaddrinfo in the requested family (numeric or a name such as
// 'localhost'); '' means any address. SO_REUSEADDR is set, as CPython's Listener does.
void ListenInet(const v8::FunctionCallbackInfo<v8::Value>& args) {
  v8::Isolate* isolate = args.GetIsolate();
  if (args.Length() < 4 || !args[0]->IsString() || !args[1]->IsNumber() || !args[2]->IsNumber()) {
    return ThrowType(isolate, "listenInet(host, port, backlog, ipv6)");
  }
  v8::String::Utf8Value host(isolate, args[0]);
  int port = static_cast<int>(args[1].As<v8::Number>()->Value());
  int backlog = static_cast<int>(args[2].As<v8::Number>()->Value());
  bool ipv6 = args[3]->BooleanValue(isolate);
  int family = ipv6 ? AF_INET6 : AF_INET;

  addrinfo hints = {};
  hints.ai_family = family;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
  std::string service = std::to_string(port);
  addrinfo* found = nullptr;
  const char* node = host.length() == 0 ? nullptr : *host;
  int rc = getaddrinfo(node, service.c_str(), &hints, &found);
  if (rc != 0 || found == nullptr) {
    std::string message = std::string("getaddrinfo ") + (node ? node : "") + ": " + gai_strerror(rc);
    v8::Local<v8::Object> error = v8::Exception::Error(Str(isolate, message.c_str())).As<v8::Object>();
    SetKey(isolate, error, "code", Str(isolate, rc == EAI_NONAME ? "ENOTFOUND" : "EAI_FAIL"));
    SetKey(isolate, error, "syscall", Str(isolate, "getaddrinfo"));
    isolate->ThrowException(error);
    return;
  }
  sockaddr_storage address = {};
  socklen_t length = found->ai_addrlen;
  memcpy(&address, found->ai_addr, found->ai_addrlen);
  freeaddrinfo(found);

  int fd = socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return Fail(isolate, -1, "socket");
  int one = 1;
  if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) != 0) return Fail(isolate, fd, "setsockopt");
  if (bind(fd, reinterpret_cast<sockaddr*>(&address), length) != 0) return Fail(isolate, fd, "bind");
  if (listen(fd, backlog) != 0) return Fail(isolate, fd, "listen");
  sockaddr_storage bound = {};
  socklen_t boundLength = sizeof(bound);
  if (getsockname(fd, reinterpret_cast<sockaddr*>(&bound), &boundLength) != 0) return Fail(isolate, fd, "getsockname");

  char text[INET6_ADDRSTRLEN] = {};
  int boundPort;
  if (family == AF_INET6) {
    auto* in6 = reinterpret_cast<sockaddr_in6*>(&bound);
    inet_ntop(AF_INET6, &in6->sin6_addr, text, sizeof(text));
    boundPort = ntohs(in6->sin6_port);
  } else {
    auto* in4 = reinterpret_cast<sockaddr_in*>(&bound);
    inet_ntop(AF_INET, &in4->sin_addr, text, sizeof(text));
    boundPort = ntohs(in4->sin_port);
  }
  v8::Local<v8::Object> result = v8::Object::New(isolate);
  SetKey(isolate, result, "fd", v8::Integer::New(isolate, fd));
  SetKey(isolate, result, "host", Str(isolate, text));
  SetKey(isolate, result, "port", v8::Integer::New(isolate, boundPort));
  args.GetReturnValue().Set(result);
}

// listenUnix(path: Buffer, backlog) -> fd. A path starting with a NUL byte is a Linux
// abstract address (its whole length is significant, no file is created).
void ListenUnix(const v8::FunctionCallbackInfo<v8::Value>& args) {
  v8::Isolate* isolate = args.GetIsolate();
  if (args.Length() < 2 || !args[0]->IsUint8Array() || !args[1]->IsNumber()) {
    return ThrowType(isolate, "listenUnix(path, backlog)");
  }
  v8::Local<v8::Uint8Array> path = args[0].As<v8::Uint8Array>();
  int backlog = static_cast<int>(args[1].As<v8::Number>()->Value());
  sockaddr_un address = {};
  address.sun_family = AF_UNIX;
  size_t size = path->ByteLength();
  if (size == 0 || size >= sizeof(address.sun_path)) {
    errno = ENAMETOOLONG;
    return Fail(isolate, -1, "bind");
  }
  path->CopyContents(address.sun_path, size);
  socklen_t length = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + size);
  if (address.sun_path[0] != '\0') length += 1;  // the terminating NUL of a filesystem path

  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return Fail(isolate, -1, "socket");
  if (bind(fd, reinterpret_cast<sockaddr*>(&address), length) != 0) return Fail(isolate, fd, "bind");
  if (listen(fd, backlog) != 0) return Fail(isolate, fd, "listen");
  args.GetReturnValue().Set(v8::Integer::New(isolate, fd));
}

// connectUnix(path: Buffer) -> fd of a connected, blocking-mode-agnostic stream socket.
// Used for abstract addresses, which Node's net.connect cannot reach.
void ConnectUnix(const v8::FunctionCallbackInfo<v8::Value>& args) {
  v8::Isolate* isolate = args.GetIsolate();
  if (args.Length() < 1 || !args[0]->IsUint8Array()) return ThrowType(isolate, "connectUnix(path)");
  v8::Local<v8::Uint8Array> path = args[0].As<v8::Uint8Array>();
  sockaddr_un address = {};
  address.sun_family = AF_UNIX;
  size_t size = path->ByteLength();
  if (size == 0 || size >= sizeof(address.sun_path)) {
    errno = ENAMETOOLONG;
    return Fail(isolate, -1, "connect");
  }
  path->CopyContents(address.sun_path, size);
  socklen_t length = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + size);
  if (address.sun_path[0] != '\0') length += 1;
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return Fail(isolate, -1, "socket");
  int rc;
  do {
    rc = connect(fd, reinterpret_cast<sockaddr*>(&address), length);
  } while (rc != 0 && errno == EINTR);
  if (rc != 0) return Fail(isolate, fd, "connect");
  args.GetReturnValue().Set(v8::Integer::New(isolate, fd));
}

}  // namespace

void InitSocket(v8::Isolate* isolate, v8::Local<v8::Object> exports) {
  SetMethod(isolate, exports, "listenInet", ListenInet);
  SetMethod(isolate, exports, "listenUnix", ListenUnix);
  SetMethod(isolate, exports, "connectUnix", ConnectUnix);
}

}  // namespace mp
