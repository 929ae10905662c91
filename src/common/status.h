// Errors as values: Status (ok, or an error message with a code) and Result<T> (a value
// or an error). Modules return these instead of throwing across their boundaries. The
// code says what kind of error it is, so that callers never need to match message text;
// the message is for people.
#pragma once

#include <cassert>
#include <string>
#include <utility>
#include <variant>

namespace theater {

enum class StatusCode {
  kOk,
  kError,          // anything not singled out below
  kLimitExceeded,  // a configured limit (bytes, counts) would be exceeded
  kNotFound,       // what was named (an actor, a node, a file) does not exist
};

class Status {
 public:
  Status() = default;  // ok
  static Status Ok() { return Status(); }
  static Status Error(std::string message, StatusCode code = StatusCode::kError) {
    return Status(std::move(message), code == StatusCode::kOk ? StatusCode::kError : code);
  }
  static Status LimitExceeded(std::string message) { return Error(std::move(message), StatusCode::kLimitExceeded); }
  static Status NotFound(std::string message) { return Error(std::move(message), StatusCode::kNotFound); }

  bool ok() const { return code_ == StatusCode::kOk; }
  StatusCode code() const { return code_; }
  const std::string& message() const { return message_; }

  // Prefixes the message with context, e.g. "manifest.toml: " + "field `name` is missing".
  Status WithContext(const std::string& context) const {
    return ok() ? *this : Error(context + ": " + message_, code_);
  }

 private:
  Status(std::string message, StatusCode code) : message_(std::move(message)), code_(code) {}
  std::string message_;
  StatusCode code_ = StatusCode::kOk;
};

template <typename T>
class Result {
 public:
  Result(T value) : v_(std::move(value)) {}                    // NOLINT: implicit on purpose
  Result(Status error) : v_(std::move(error)) { assert(!std::get<Status>(v_).ok()); }  // NOLINT

  bool ok() const { return v_.index() == 0; }
  explicit operator bool() const { return ok(); }

  T& value() & { assert(ok()); return std::get<0>(v_); }
  const T& value() const& { assert(ok()); return std::get<0>(v_); }
  T&& value() && { assert(ok()); return std::get<0>(std::move(v_)); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }

  Status status() const { return ok() ? Status::Ok() : std::get<Status>(v_); }
  const std::string& error() const { assert(!ok()); return std::get<Status>(v_).message(); }

 private:
  std::variant<T, Status> v_;
};

}  // namespace theater

// Returns early from the enclosing function when a Status-returning expression fails.
#define THEATER_RETURN_IF_ERROR(expr)          \
  do {                                         \
    ::theater::Status status_ = (expr);        \
    if (!status_.ok()) return status_;         \
  } while (0)
