// Shared helpers for the native addon's modules.
#pragma once
#include <node.h>

#include <cstdint>
#include <string>
#include <v8.h>

namespace mp {

// Throws a JS Error carrying errno as `errno` and the syscall name as `syscall`,
// so the TypeScript layer can map it to the right public error.
void ThrowErrno(v8::Isolate* isolate, int err, const char* syscall);
void ThrowType(v8::Isolate* isolate, const char* message);

// Argument readers: false when args[index] is missing or of another type.
bool ReadNumber(const v8::FunctionCallbackInfo<v8::Value>& args, int index, int64_t* out);
bool ReadString(const v8::FunctionCallbackInfo<v8::Value>& args, int index, std::string* out);

void SetMethod(v8::Isolate* isolate, v8::Local<v8::Object> target, const char* name,
               v8::FunctionCallback callback);

void InitProcessOps(v8::Isolate* isolate, v8::Local<v8::Object> exports);
void InitShm(v8::Isolate* isolate, v8::Local<v8::Object> exports);
void InitFutex(v8::Isolate* isolate, v8::Local<v8::Object> exports);
void InitSocket(v8::Isolate* isolate, v8::Local<v8::Object> exports);
void InitSocketOps(v8::Isolate* isolate, v8::Local<v8::Object> exports);
void InitSched(v8::Isolate* isolate, v8::Local<v8::Object> exports);

}  // namespace mp
