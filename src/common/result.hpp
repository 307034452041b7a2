// Result<T>: a value or an Error{errno, op, detail}. Errors render as
// "op detail: strerror" in lowercase with no final period, per docs/errors.md.
#pragma once

#include <cerrno>
#include <string>
#include <utility>
#include <variant>

namespace corral {

struct Error {
    int err = 0;        // errno, or 0 when the failure is not a syscall's
    std::string op;     // what was attempted, e.g. "mount proc"
    std::string detail; // the path or value involved

    std::string message() const;
    // Prefix with an outer step: "create container: <inner>".
    Error context(const std::string& outer) const;
};

// An errno-carrying error for a failed syscall, capturing errno now.
Error sys_error(std::string op, std::string detail = {});
// An error that is not a syscall failure (validation, protocol).
Error plain_error(std::string op, std::string detail = {});

template <typename T> class [[nodiscard]] Result {
public:
    Result(T value)
        : v_(std::move(value)) {}
    Result(Error e)
        : v_(std::move(e)) {}

    bool ok() const { return v_.index() == 0; }
    explicit operator bool() const { return ok(); }
    T& value() & { return std::get<0>(v_); }
    T&& value() && { return std::get<0>(std::move(v_)); }
    const T& value() const& { return std::get<0>(v_); }
    T& operator*() & { return value(); }
    const T& operator*() const& { return value(); }
    T* operator->() { return &value(); }
    const T* operator->() const { return &value(); }
    const Error& error() const { return std::get<1>(v_); }
    Result context(const std::string& outer) && {
        if (ok()) return std::move(*this);
        return error().context(outer);
    }

private:
    std::variant<T, Error> v_;
};

template <> class [[nodiscard]] Result<void> {
public:
    Result() = default;
    Result(Error e)
        : e_(std::move(e))
        , failed_(true) {}
    bool ok() const { return !failed_; }
    explicit operator bool() const { return ok(); }
    const Error& error() const { return e_; }
    Result context(const std::string& outer) && {
        if (ok()) return *this;
        return e_.context(outer);
    }

private:
    Error e_;
    bool failed_ = false;
};

using Status = Result<void>;

// Thrown only in cmd/: converts a failed Result at the CLI boundary.
struct CliError {
    std::string message;
};

} // namespace corral

#define CORRAL_TRY(expr)                                                                           \
    do {                                                                                           \
        auto corral_try_r_ = (expr);                                                               \
        if (!corral_try_r_.ok()) return corral_try_r_.error();                                     \
    } while (0)
