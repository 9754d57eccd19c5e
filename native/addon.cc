// Entry point of the native addon. Context-aware so it loads in worker_threads too.
#include "addon.h"

#include <cstring>

namespace mp {

void ThrowErrno(v8::Isolate* isolate, int err, const char* syscall) {
  v8::Local<v8::Context> context = isolate->GetCurrentContext();
  std::string message = std::string(syscall) + ": " + strerror(err);
  v8::Local<v8::Value> error = v8::Exception::Error(
      v8::String::NewFromUtf8(isolate, message.c_str()).ToLocalChecked());
  v8::Local<v8::Object> object = error.As<v8::Object>();
  object->Set(context, v8::String::NewFromUtf8Literal(isolate, "errno"),
              v8::Integer::New(isolate, err)).Check();
  object->Set(context, v8::String::NewFromUtf8Literal(isolate, "syscall"),
              v8::String::NewFromUtf8(isolate, syscall).ToLocalChecked()).Check();
  isolate->ThrowException(error);
}

void ThrowType(v8::Isolate* isolate, const char* message) {
  isolate->ThrowException(v8::Exception::TypeError(
      v8::String::NewFromUtf8(isolate, message).ToLocalChecked()));
}

bool ReadNumber(const v8::FunctionCallbackInfo<v8::Value>& args, int index, int64_t* out) {
  if (args.Length() <= index || !args[index]->IsNumber()) return false;
  *out = static_cast<int64_t>(args[index].As<v8::Number>()->Value());
  return true;
}

bool ReadString(const v8::FunctionCallbackInfo<v8::Value>& args, int index, std::string* out) {
  if (args.Length() <= index || !args[index]->IsString()) return false;
  v8::String::Utf8Value value(args.GetIsolate(), args[index]);
  out->assign(*value, value.length());
  return true;
}

void SetMethod(v8::Isolate* isolate, v8::Local<v8::Object> target, const char* name,
               v8::FunctionCallback callback) {
  v8::Local<v8::Context> context = isolate->GetCurrentContext();
  v8::Local<v8::Function> fn =
      v8::FunctionTemplate::New(isolate, callback)->GetFunction(context).ToLocalChecked();
  v8::Local<v8::String> key = v8::String::NewFromUtf8(isolate, name).ToLocalChecked();
  fn->SetName(key);
  target->Set(context, key, fn).Check();
}

}  // namespace mp

NODE_MODULE_INIT(/* exports, module, context */) {
  v8::Isolate* isolate = v8::Isolate::GetCurrent();
  mp::InitProcessOps(isolate, exports);
  mp::InitShm(isolate, exports);
  mp::InitFutex(isolate, exports);
  mp::InitSocket(isolate, exports);
  mp::InitSocketOps(isolate, exports);
  mp::InitSched(isolate, exports);
}
