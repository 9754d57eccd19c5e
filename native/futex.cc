// Cross-process waiting on 32-bit words of shared memory. V8's Atomics.wait/notify keep a
// process-local wait list, so waits that other processes must be able to end use the kernel:
// non-private futexes, absolute deadlines, retried on EINTR (libuv's SIGCHLD handler interrupts).
//
// Async waits run on dedicated waiter threads (never libuv's pool, which they would starve):
// each blocks in futex_waitv on up to 127 words plus a control word, and reports to the event
// loop of the JavaScript thread that asked. Protocol built on this must change a word before
// waking it: a waiter thread between two futex_waitv calls sees the change instead of the wake.
#include <errno.h>
#include <linux/futex.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>
#include <uv.h>

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <thread>
#include <unordered_map>
#include <vector>

#include "addon.h"

namespace mp {
namespace {

constexpr int kOk = 0;
constexpr int kNotEqual = 1;
constexpr int kTimedOut = 2;
constexpr size_t kWordsPerThread = 127;  // FUTEX_WAITV_MAX (128) minus the control word

int64_t MonotonicNs() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1000000000 + ts.tv_nsec;
}

timespec ToTimespec(int64_t ns) {
  timespec ts;
  ts.tv_sec = ns / 1000000000;
  ts.tv_nsec = ns % 1000000000;
  return ts;
}

// The word an Int32Array element names, plus the backing store that keeps its memory mapped.
struct Word {
  int32_t* address = nullptr;
  std::shared_ptr<v8::BackingStore> store;
};

bool ReadWord(v8::Isolate* isolate, const v8::FunctionCallbackInfo<v8::Value>& args, Word* word) {
  if (args.Length() < 2 || !args[0]->IsInt32Array() || !args[1]->IsNumber()) {
    ThrowType(isolate, "expected (Int32Array over a SharedArrayBuffer, index, ...)");
    return false;
  }
  v8::Local<v8::Int32Array> view = args[0].As<v8::Int32Array>();
  v8::Local<v8::ArrayBuffer> plain;
  std::shared_ptr<v8::BackingStore> store;
  v8::Local<v8::Value> buffer = view->Buffer();
  if (!view->HasBuffer() || !buffer->IsSharedArrayBuffer()) {
    ThrowType(isolate, "the Int32Array must be a view on a SharedArrayBuffer");
    return false;
  }
  store = buffer.As<v8::SharedArrayBuffer>()->GetBackingStore();
  double index = args[1].As<v8::Number>()->Value();
  if (index < 0 || index >= static_cast<double>(view->Length()) || index != static_cast<int64_t>(index)) {
    ThrowType(isolate, "index out of range");
    return false;
  }
  word->address = reinterpret_cast<int32_t*>(static_cast<char*>(store->Data()) + view->ByteOffset()) +
                  static_cast<size_t>(index);
  word->store = std::move(store);
  return true;
}

long FutexWait(int32_t* address, int32_t expected, const timespec* absolute) {
  // FUTEX_WAIT_BITSET takes an absolute CLOCK_MONOTONIC deadline; without FUTEX_PRIVATE_FLAG the
  // kernel keys the wait on the physical page, so it works across processes and mappings.
  return syscall(SYS_futex, address, FUTEX_WAIT_BITSET, expected, absolute, nullptr, FUTEX_BITSET_MATCH_ANY);
}

// futexWaitSync(view, index, expected, timeoutMs) -> 0 woken, 1 value differed, 2 timed out.
// timeoutMs < 0 waits forever. Blocks the calling thread.
void FutexWaitSync(const v8::FunctionCallbackInfo<v8::Value>& args) {
  v8::Isolate* isolate = args.GetIsolate();
  Word word;
  if (!ReadWord(isolate, args, &word)) return;
  if (args.Length() < 4 || !args[2]->IsNumber() || !args[3]->IsNumber()) {
    return ThrowType(isolate, "futexWaitSync(view, index, expected, timeoutMs)");
  }
  int32_t expected = args[2].As<v8::Number>()->Value();
  double timeout = args[3].As<v8::Number>()->Value();
  timespec deadline;
  const timespec* deadline_ptr = nullptr;
  if (timeout >= 0) {
    deadline = ToTimespec(MonotonicNs() + static_cast<int64_t>(timeout * 1e6));
    deadline_ptr = &deadline;
  }
  int result;
  for (;;) {
    if (__atomic_load_n(word.address, __ATOMIC_SEQ_CST) != expected) { result = kNotEqual; break; }
    if (FutexWait(word.address, expected, deadline_ptr) == 0) { result = kOk; break; }
    if (errno == EAGAIN) { result = kNotEqual; break; }
    if (errno == ETIMEDOUT) { result = kTimedOut; break; }
    if (errno != EINTR) return ThrowErrno(isolate, errno, "futex");
  }
  args.GetReturnValue().Set(v8::Integer::New(isolate, result));
}

// futexWake(view, index, count) -> number of waiters woken (in any process).
void FutexWake(const v8::FunctionCallbackInfo<v8::Value>& args) {
  v8::Isolate* isolate = args.GetIsolate();
  Word word;
  if (!ReadWord(isolate, args, &word)) return;
  int count = args.Length() > 2 && args[2]->IsNumber() ? static_cast<int>(std::min(args[2].As<v8::Number>()->Value(), 2147483647.0)) : 1;
  long woken = syscall(SYS_futex, word.address, FUTEX_WAKE, count, nullptr, nullptr, 0);
  if (woken < 0) return ThrowErrno(isolate, errno, "futex");
  args.GetReturnValue().Set(v8::Integer::New(isolate, static_cast<int>(woken)));
}

// ---- async waits ----------------------------------------------------------------------------

struct Request {
  uint64_t id;
  Word word;
  int32_t expected;
  int64_t deadline_ns;  // -1: none
  bool cancelled = false;
  int result = -1;
};

class Waiters;

// One thread blocking in futex_waitv for up to kWordsPerThread requests of one JS thread.
class WaiterThread {
 public:
  explicit WaiterThread(Waiters* owner) : owner_(owner), thread_([this] { Run(); }) {}
  ~WaiterThread() {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      stopping_ = true;
    }
    Poke();
    thread_.join();
  }

  size_t Load() {
    std::lock_guard<std::mutex> lock(mutex_);
    return requests_.size();
  }

  void Add(std::shared_ptr<Request> request) {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      requests_.push_back(std::move(request));
    }
    Poke();
  }

  void Poke() {
    control_.fetch_add(1);
    syscall(SYS_futex, reinterpret_cast<uint32_t*>(&control_), FUTEX_WAKE_PRIVATE, 1, nullptr, nullptr, 0);
  }

 private:
  void Run();

  Waiters* owner_;
  std::mutex mutex_;
  std::vector<std::shared_ptr<Request>> requests_;
  std::atomic<uint32_t> control_{0};
  bool stopping_ = false;
  std::thread thread_;
};

// The waiter threads and result delivery of one JavaScript thread (main or a worker).
class Waiters {
 public:
  Waiters(v8::Isolate* isolate) : isolate_(isolate) {
    uv_async_init(node::GetCurrentEventLoop(isolate), &async_, [](uv_async_t* handle) {
      static_cast<Waiters*>(handle->data)->Deliver();
    });
    async_.data = this;
    uv_unref(reinterpret_cast<uv_handle_t*>(&async_));
    node::AddEnvironmentCleanupHook(isolate, [](void* self) { static_cast<Waiters*>(self)->Shutdown(); }, this);
  }

  uint64_t Add(Word word, int32_t expected, int64_t deadline_ns, v8::Local<v8::Function> callback) {
    auto request = std::make_shared<Request>();
    request->id = ++last_id_;
    request->word = std::move(word);
    request->expected = expected;
    request->deadline_ns = deadline_ns;
    callbacks_.emplace(request->id, v8::Global<v8::Function>(isolate_, callback));
    // A pending wait keeps the process alive, as a pending Atomics.waitAsync does not.
    if (callbacks_.size() == 1) uv_ref(reinterpret_cast<uv_handle_t*>(&async_));
    WaiterThread* target = nullptr;
    for (auto& thread : threads_) {
      if (thread->Load() < kWordsPerThread) { target = thread.get(); break; }
    }
    if (target == nullptr) {
      threads_.push_back(std::make_unique<WaiterThread>(this));
      target = threads_.back().get();
    }
    target->Add(request);
    return request->id;
  }

  void Cancel(uint64_t id) {
    if (callbacks_.erase(id) == 0) return;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      cancelled_.push_back(id);
    }
    for (auto& thread : threads_) thread->Poke();
    if (callbacks_.empty()) uv_unref(reinterpret_cast<uv_handle_t*>(&async_));
  }

  bool WasCancelled(uint64_t id) {
    std::lock_guard<std::mutex> lock(mutex_);
    return std::find(cancelled_.begin(), cancelled_.end(), id) != cancelled_.end();
  }

  bool IsCancelled(uint64_t id) {
    std::lock_guard<std::mutex> lock(mutex_);
    auto it = std::find(cancelled_.begin(), cancelled_.end(), id);
    if (it == cancelled_.end()) return false;
    cancelled_.erase(it);
    return true;
  }

  // Called from waiter threads.
  void Complete(uint64_t id, int result) {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      done_.emplace_back(id, result);
    }
    uv_async_send(&async_);
  }

 private:
  void Deliver() {
    std::deque<std::pair<uint64_t, int>> done;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      done.swap(done_);
    }
    v8::HandleScope scope(isolate_);
    v8::Local<v8::Context> context = isolate_->GetCurrentContext();
    if (context.IsEmpty()) return;
    for (auto& [id, result] : done) {
      auto it = callbacks_.find(id);
      if (it == callbacks_.end()) {
        // Cancelled after it completed: the waiter thread will never look for this id again.
        std::lock_guard<std::mutex> lock(mutex_);
        cancelled_.erase(std::remove(cancelled_.begin(), cancelled_.end(), id), cancelled_.end());
        continue;
      }
      v8::Local<v8::Function> callback = it->second.Get(isolate_);
      callbacks_.erase(it);
      if (callbacks_.empty()) uv_unref(reinterpret_cast<uv_handle_t*>(&async_));
      node::CallbackScope callback_scope(isolate_, v8::Object::New(isolate_), {0, 0});
      v8::Local<v8::Value> argv[] = {v8::Integer::New(isolate_, result)};
      // An exception thrown by the callback is reported by the callback scope, as for any event.
      if (callback->Call(context, v8::Undefined(isolate_), 1, argv).IsEmpty()) continue;
    }
  }

  void Shutdown() {
    threads_.clear();
    callbacks_.clear();
    uv_close(reinterpret_cast<uv_handle_t*>(&async_), [](uv_handle_t* handle) {
      delete static_cast<Waiters*>(handle->data);
    });
  }

  v8::Isolate* isolate_;
  uv_async_t async_;
  std::mutex mutex_;
  std::deque<std::pair<uint64_t, int>> done_;
  std::vector<uint64_t> cancelled_;
  std::unordered_map<uint64_t, v8::Global<v8::Function>> callbacks_;
  std::vector<std::unique_ptr<WaiterThread>> threads_;
  uint64_t last_id_ = 0;
};

void WaiterThread::Run() {
  std::vector<futex_waitv> vector;
  for (;;) {
    std::vector<std::shared_ptr<Request>> snapshot;
    uint32_t control;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      if (stopping_) return;
      control = control_.load();
      // Settle what can be settled without waiting: cancelled, value changed, deadline passed.
      int64_t now = MonotonicNs();
      std::vector<std::shared_ptr<Request>> still;
      for (auto& request : requests_) {
        if (owner_->IsCancelled(request->id)) continue;
        if (__atomic_load_n(request->word.address, __ATOMIC_SEQ_CST) != request->expected) {
          owner_->Complete(request->id, request->result == kOk ? kOk : kNotEqual);
        } else if (request->result == kOk) {
          owner_->Complete(request->id, kOk);
        } else if (request->deadline_ns >= 0 && now >= request->deadline_ns) {
          owner_->Complete(request->id, kTimedOut);
        } else {
          still.push_back(request);
        }
      }
      requests_.swap(still);
      snapshot = requests_;
    }
    vector.assign(snapshot.size() + 1, futex_waitv{});
    vector[0].val = control;
    vector[0].uaddr = reinterpret_cast<uintptr_t>(&control_);
    vector[0].flags = FUTEX_32 | FUTEX_PRIVATE_FLAG;
    int64_t deadline = -1;
    for (size_t i = 0; i < snapshot.size(); i++) {
      vector[i + 1].val = static_cast<uint32_t>(snapshot[i]->expected);
      vector[i + 1].uaddr = reinterpret_cast<uintptr_t>(snapshot[i]->word.address);
      vector[i + 1].flags = FUTEX_32;
      if (snapshot[i]->deadline_ns >= 0 && (deadline < 0 || snapshot[i]->deadline_ns < deadline)) {
        deadline = snapshot[i]->deadline_ns;
      }
    }
    timespec absolute = ToTimespec(deadline);
    long woken = syscall(SYS_futex_waitv, vector.data(), vector.size(), 0, deadline >= 0 ? &absolute : nullptr,
                         CLOCK_MONOTONIC);
    if (woken > 0) {
      const std::shared_ptr<Request>& request = snapshot[static_cast<size_t>(woken) - 1];
      if (owner_->WasCancelled(request->id)) {
        // The wake was meant for some waiter, and this wait was given up before the kernel
        // knew: pass it on, or a waiter elsewhere could sleep on a free lock.
        syscall(SYS_futex, request->word.address, FUTEX_WAKE, 1, nullptr, nullptr, 0);
      } else {
        // Woken on this word: report it even if the word was changed back meanwhile.
        std::lock_guard<std::mutex> lock(mutex_);
        request->result = kOk;
      }
    }
    // EAGAIN (a value differed), ETIMEDOUT, EINTR, and woken == 0 (control) all loop to re-check.
  }
}

// The functions' data is the address of their thread's Waiters, as a BigInt: v8::External, the
// usual holder, changes its API across the V8 versions of the Node majors the addon supports.
Waiters* WaitersOf(const v8::FunctionCallbackInfo<v8::Value>& args) {
  return reinterpret_cast<Waiters*>(static_cast<uintptr_t>(args.Data().As<v8::BigInt>()->Uint64Value()));
}

// futexWaitAsync(view, index, expected, timeoutMs, callback) -> id; callback(result) later on
// this thread, with 0 woken, 1 value differed, 2 timed out. Not called if cancelled first.
void FutexWaitAsync(const v8::FunctionCallbackInfo<v8::Value>& args) {
  v8::Isolate* isolate = args.GetIsolate();
  Word word;
  if (!ReadWord(isolate, args, &word)) return;
  if (args.Length() < 5 || !args[2]->IsNumber() || !args[3]->IsNumber() || !args[4]->IsFunction()) {
    return ThrowType(isolate, "futexWaitAsync(view, index, expected, timeoutMs, callback)");
  }
  int32_t expected = args[2].As<v8::Number>()->Value();
  double timeout = args[3].As<v8::Number>()->Value();
  int64_t deadline = timeout >= 0 ? MonotonicNs() + static_cast<int64_t>(timeout * 1e6) : -1;
  uint64_t id = WaitersOf(args)->Add(std::move(word), expected, deadline, args[4].As<v8::Function>());
  args.GetReturnValue().Set(v8::Number::New(isolate, static_cast<double>(id)));
}

void FutexCancel(const v8::FunctionCallbackInfo<v8::Value>& args) {
  if (args.Length() < 1 || !args[0]->IsNumber()) return ThrowType(args.GetIsolate(), "futexCancel(id)");
  WaitersOf(args)->Cancel(static_cast<uint64_t>(args[0].As<v8::Number>()->Value()));
}

}  // namespace

void InitFutex(v8::Isolate* isolate, v8::Local<v8::Object> exports) {
  SetMethod(isolate, exports, "futexWaitSync", FutexWaitSync);
  SetMethod(isolate, exports, "futexWake", FutexWake);
  v8::Local<v8::BigInt> waiters =
      v8::BigInt::NewFromUnsigned(isolate, reinterpret_cast<uintptr_t>(new Waiters(isolate)));
  v8::Local<v8::Context> context = isolate->GetCurrentContext();
  for (auto [name, callback] : {std::pair<const char*, v8::FunctionCallback>{"futexWaitAsync", FutexWaitAsync},
                                {"futexCancel", FutexCancel}}) {
    v8::Local<v8::Function> fn =
        v8::FunctionTemplate::New(isolate, callback, waiters)->GetFunction(context).ToLocalChecked();
    exports->Set(context, v8::String::NewFromUtf8(isolate, name).ToLocalChecked(), fn).Check();
  }
}

}  // namespace mp
