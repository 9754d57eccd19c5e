// CPU affinity and nice values, per thread. Linux keeps both per task (thread): sched_setaffinity
// and setpriority on a pid change its main thread only, and Node's os.setPriority does just that.
// Here a whole process means every task listed in /proc/<pid>/task, and a thread means one tid.
#include <dirent.h>
#include <errno.h>
#include <sched.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cstdlib>
#include <memory>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "addon.h"

namespace mp {
namespace {

// A CPU set sized for `count` CPUs (glibc's cpu_set_t stops at 1024).
class CpuSet {
 public:
  explicit CpuSet(size_t count) : count_(count < 1 ? 1 : count), set_(CPU_ALLOC(count_)), size_(CPU_ALLOC_SIZE(count_)) {
    CPU_ZERO_S(size_, set_);
  }
  ~CpuSet() { CPU_FREE(set_); }
  CpuSet(const CpuSet&) = delete;
  CpuSet& operator=(const CpuSet&) = delete;

  cpu_set_t* get() const { return set_; }
  size_t size() const { return size_; }
  size_t count() const { return count_; }
  void Add(size_t cpu) { CPU_SET_S(cpu, size_, set_); }
  bool Has(size_t cpu) const { return CPU_ISSET_S(cpu, size_, set_); }
  bool Equals(const CpuSet& other) const { return size_ == other.size_ && CPU_EQUAL_S(size_, set_, other.set_); }

 private:
  size_t count_;
  cpu_set_t* set_;
  size_t size_;
};

// The CPUs a mask must be able to name: every CPU the kernel may know (it rejects a buffer
// smaller than its own mask with EINVAL), and the highest one asked for.
size_t MaskCpus(size_t highest_asked) {
  long configured = sysconf(_SC_NPROCESSORS_CONF);
  size_t count = configured > 0 ? static_cast<size_t>(configured) : 1;
  if (count < highest_asked + 1) count = highest_asked + 1;
  // Rounded up generously: nr_cpu_ids may exceed the configured count on some kernels.
  return count < 1024 ? 1024 : count;
}

// sched_getaffinity into `set`; 0 or an errno.
int GetMask(pid_t tid, CpuSet* set) {
  return sched_getaffinity(tid, set->size(), set->get()) == 0 ? 0 : errno;
}

int SetMask(pid_t tid, const CpuSet& set) {
  return sched_setaffinity(tid, set.size(), set.get()) == 0 ? 0 : errno;
}

// The tids of a process, from /proc/<pid>/task; an errno on failure (ESRCH for a process gone).
int ListTasks(pid_t pid, std::vector<pid_t>* tids) {
  std::string path = "/proc/" + std::to_string(pid) + "/task";
  DIR* dir = opendir(path.c_str());
  if (dir == nullptr) return errno == ENOENT ? ESRCH : errno;
  tids->clear();
  while (dirent* entry = readdir(dir)) {
    if (entry->d_name[0] < '0' || entry->d_name[0] > '9') continue;
    tids->push_back(static_cast<pid_t>(strtol(entry->d_name, nullptr, 10)));
  }
  closedir(dir);
  return 0;
}

// Applies `apply(tid)` to every task of `pid` (wholeProcess) or to the one task `pid`. A process
// may start threads meanwhile (a thread started from one already changed inherits the change, one
// started from another one may not): the task list is read again until it holds nothing new.
// `apply` returns 0, an errno, or -1 to stop without error. Tasks that end meanwhile are skipped.
template <typename Apply>
int ForEachTask(pid_t pid, bool whole_process, Apply apply) {
  if (!whole_process) {
    int err = apply(pid);
    return err == -1 ? 0 : err;
  }
  std::set<pid_t> done;
  std::vector<pid_t> tids;
  for (;;) {
    int err = ListTasks(pid, &tids);
    if (err != 0) return err;
    bool found_new = false;
    for (pid_t tid : tids) {
      if (!done.insert(tid).second) continue;
      found_new = true;
      err = apply(tid);
      if (err == ESRCH) continue;  // that thread ended meanwhile
      if (err == -1) return 0;
      if (err != 0) return err;
    }
    if (!found_new) return 0;
  }
}

bool ReadCpus(v8::Isolate* isolate, v8::Local<v8::Value> value, std::vector<size_t>* cpus) {
  if (!value->IsArray()) return false;
  v8::Local<v8::Context> context = isolate->GetCurrentContext();
  v8::Local<v8::Array> array = value.As<v8::Array>();
  for (uint32_t i = 0; i < array->Length(); i++) {
    v8::Local<v8::Value> item;
    if (!array->Get(context, i).ToLocal(&item) || !item->IsNumber()) return false;
    double cpu = item.As<v8::Number>()->Value();
    if (cpu < 0 || cpu > 1 << 20) return false;
    cpus->push_back(static_cast<size_t>(cpu));
  }
  return true;
}

v8::Local<v8::Array> CpuArray(v8::Isolate* isolate, const CpuSet& set) {
  v8::Local<v8::Context> context = isolate->GetCurrentContext();
  v8::Local<v8::Array> result = v8::Array::New(isolate);
  uint32_t n = 0;
  for (size_t cpu = 0; cpu < set.count(); cpu++) {
    if (set.Has(cpu)) result->Set(context, n++, v8::Integer::New(isolate, static_cast<int32_t>(cpu))).Check();
  }
  return result;
}

// gettid() -> the calling thread's kernel id.
void GetTid(const v8::FunctionCallbackInfo<v8::Value>& args) {
  args.GetReturnValue().Set(v8::Integer::New(args.GetIsolate(), static_cast<int32_t>(syscall(SYS_gettid))));
}

// configuredCpus() -> how many CPUs this machine has, online or not (CPU numbers run below it).
void ConfiguredCpus(const v8::FunctionCallbackInfo<v8::Value>& args) {
  long configured = sysconf(_SC_NPROCESSORS_CONF);
  args.GetReturnValue().Set(v8::Integer::New(args.GetIsolate(), configured > 0 ? static_cast<int32_t>(configured) : 1));
}

// getAffinity(tid) -> the CPUs that thread may run on (tid 0: the calling thread).
void GetAffinity(const v8::FunctionCallbackInfo<v8::Value>& args) {
  v8::Isolate* isolate = args.GetIsolate();
  int64_t tid;
  if (!ReadNumber(args, 0, &tid)) return ThrowType(isolate, "getAffinity(tid)");
  CpuSet set(MaskCpus(0));
  int err = GetMask(static_cast<pid_t>(tid), &set);
  if (err != 0) return ThrowErrno(isolate, err, "sched_getaffinity");
  args.GetReturnValue().Set(CpuArray(isolate, set));
}

// setAffinity(pid, wholeProcess, cpus) -> null once every task runs on exactly `cpus`. When the
// kernel grants a task less (a CPU offline, or outside the cpuset), every task changed is put
// back as it was and the CPUs it granted are returned, so the caller can say which were refused.
void SetAffinity(const v8::FunctionCallbackInfo<v8::Value>& args) {
  v8::Isolate* isolate = args.GetIsolate();
  int64_t pid;
  std::vector<size_t> cpus;
  if (!ReadNumber(args, 0, &pid) || args.Length() < 3 || !ReadCpus(isolate, args[2], &cpus)) {
    return ThrowType(isolate, "setAffinity(pid, wholeProcess, cpus)");
  }
  bool whole_process = args[1]->IsTrue();
  size_t highest = 0;
  for (size_t cpu : cpus) highest = cpu > highest ? cpu : highest;
  const size_t mask_cpus = MaskCpus(highest);
  CpuSet wanted(mask_cpus);
  for (size_t cpu : cpus) wanted.Add(cpu);

  std::vector<std::pair<pid_t, std::unique_ptr<CpuSet>>> previous;
  std::unique_ptr<CpuSet> granted;
  int err = ForEachTask(static_cast<pid_t>(pid), whole_process, [&](pid_t tid) -> int {
    auto old = std::make_unique<CpuSet>(mask_cpus);
    int e = GetMask(tid, old.get());
    if (e == 0) e = SetMask(tid, wanted);
    if (e != 0) return e;
    previous.emplace_back(tid, std::move(old));
    auto now = std::make_unique<CpuSet>(mask_cpus);
    if (GetMask(tid, now.get()) == 0 && !now->Equals(wanted)) {
      granted = std::move(now);
      return -1;
    }
    return 0;
  });
  if (err != 0 || granted) {
    for (auto& entry : previous) SetMask(entry.first, *entry.second);
  }
  if (err != 0) return ThrowErrno(isolate, err, "sched_setaffinity");
  if (granted) {
    args.GetReturnValue().Set(CpuArray(isolate, *granted));
    return;
  }
  args.GetReturnValue().SetNull();
}

// getPriority(tid) -> that thread's nice value (tid 0: the calling thread).
void GetPriority(const v8::FunctionCallbackInfo<v8::Value>& args) {
  v8::Isolate* isolate = args.GetIsolate();
  int64_t tid;
  if (!ReadNumber(args, 0, &tid)) return ThrowType(isolate, "getPriority(tid)");
  errno = 0;  // -1 is a valid nice value: only errno tells a failure
  int nice = getpriority(PRIO_PROCESS, static_cast<id_t>(tid));
  if (nice == -1 && errno != 0) return ThrowErrno(isolate, errno, "getpriority");
  args.GetReturnValue().Set(v8::Integer::New(isolate, nice));
}

// setPriority(pid, wholeProcess, nice): every task of the process, or the one thread. A failure
// part-way (a thread the caller may not change) puts back those already changed.
void SetPriority(const v8::FunctionCallbackInfo<v8::Value>& args) {
  v8::Isolate* isolate = args.GetIsolate();
  int64_t pid, nice;
  if (!ReadNumber(args, 0, &pid) || !ReadNumber(args, 2, &nice)) return ThrowType(isolate, "setPriority(pid, wholeProcess, nice)");
  bool whole_process = args[1]->IsTrue();
  std::vector<std::pair<pid_t, int>> previous;
  int err = ForEachTask(static_cast<pid_t>(pid), whole_process, [&](pid_t tid) -> int {
    errno = 0;
    int old = getpriority(PRIO_PROCESS, static_cast<id_t>(tid));
    if (old == -1 && errno != 0) return errno;
    if (setpriority(PRIO_PROCESS, static_cast<id_t>(tid), static_cast<int>(nice)) != 0) return errno;
    previous.emplace_back(tid, old);
    return 0;
  });
  if (err != 0) {
    for (auto& entry : previous) setpriority(PRIO_PROCESS, static_cast<id_t>(entry.first), entry.second);
    return ThrowErrno(isolate, err, "setpriority");
  }
}

}  // namespace

void InitSched(v8::Isolate* isolate, v8::Local<v8::Object> exports) {
  SetMethod(isolate, exports, "gettid", GetTid);
  SetMethod(isolate, exports, "configuredCpus", ConfiguredCpus);
  SetMethod(isolate, exports, "getAffinity", GetAffinity);
  SetMethod(isolate, exports, "setAffinity", SetAffinity);
  SetMethod(isolate, exports, "getPriority", GetPriority);
  SetMethod(isolate, exports, "setPriority", SetPriority);
}

}  // namespace mp
