// Internal to the config parser (parse.cpp, parse_linux.cpp): a small
// JSON-to-struct reader that tracks the JSON path so every error can name the
// exact field. Not part of the public interface.
#pragma once

#include "common/result.hpp"
#include "spec/spec.hpp"

#include <cstddef>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

namespace corral::spec::detail {

using json = nlohmann::json;

// Every parse error shares this op, so messages read "config.json: <path>: ...".
inline constexpr const char* kOp = "config.json:";

std::string child_path(const std::string& path, const char* key);
std::string index_path(const std::string& path, std::size_t i);
// Free-form map keys ("net.ipv4.ip_forward") contain dots, so they are quoted.
std::string key_path(const std::string& path, const std::string& key);

Error type_error(const std::string& path, const char* expected, const json& v);
Status expect_object(const json& v, const std::string& path);

Status read(const json& v, const std::string& path, std::string& out);
Status read(const json& v, const std::string& path, bool& out);
Status read(const json& v, const std::string& path, uint16_t& out);
Status read(const json& v, const std::string& path, uint32_t& out);
Status read(const json& v, const std::string& path, int32_t& out);
Status read(const json& v, const std::string& path, uint64_t& out);
Status read(const json& v, const std::string& path, int64_t& out);

// parse.cpp
Status read(const json& v, const std::string& path, User& out);
Status read(const json& v, const std::string& path, Capabilities& out);
Status read(const json& v, const std::string& path, Rlimit& out);
Status read(const json& v, const std::string& path, Scheduler& out);
Status read(const json& v, const std::string& path, IoPriority& out);
Status read(const json& v, const std::string& path, CpuAffinity& out);
Status read(const json& v, const std::string& path, ConsoleSize& out);
Status read(const json& v, const std::string& path, Process& out);
Status read(const json& v, const std::string& path, Root& out);
Status read(const json& v, const std::string& path, IdMapping& out);
Status read(const json& v, const std::string& path, Mount& out);
Status read(const json& v, const std::string& path, Hook& out);
Status read(const json& v, const std::string& path, Hooks& out);

// parse_linux.cpp
Status read(const json& v, const std::string& path, Namespace& out);
Status read(const json& v, const std::string& path, TimeOffset& out);
Status read(const json& v, const std::string& path, Device& out);
Status read(const json& v, const std::string& path, DeviceRule& out);
Status read(const json& v, const std::string& path, Memory& out);
Status read(const json& v, const std::string& path, Cpu& out);
Status read(const json& v, const std::string& path, Pids& out);
Status read(const json& v, const std::string& path, WeightDevice& out);
Status read(const json& v, const std::string& path, ThrottleDevice& out);
Status read(const json& v, const std::string& path, BlockIo& out);
Status read(const json& v, const std::string& path, HugepageLimit& out);
Status read(const json& v, const std::string& path, NetworkPriority& out);
Status read(const json& v, const std::string& path, Network& out);
Status read(const json& v, const std::string& path, Rdma& out);
Status read(const json& v, const std::string& path, Resources& out);
Status read(const json& v, const std::string& path, SeccompArg& out);
Status read(const json& v, const std::string& path, SeccompSyscall& out);
Status read(const json& v, const std::string& path, Seccomp& out);
Status read(const json& v, const std::string& path, IntelRdt& out);
Status read(const json& v, const std::string& path, MemoryPolicy& out);
Status read(const json& v, const std::string& path, NetDevice& out);
Status read(const json& v, const std::string& path, Personality& out);
Status read(const json& v, const std::string& path, Linux& out);

template <typename T> Status read(const json& v, const std::string& path, std::optional<T>& out);
template <typename T> Status read(const json& v, const std::string& path, std::vector<T>& out);
template <typename T>
Status read(const json& v, const std::string& path, std::map<std::string, T>& out);

template <typename T> Status read(const json& v, const std::string& path, std::optional<T>& out) {
    T value{};
    CORRAL_TRY(read(v, path, value));
    out = std::move(value);
    return {};
}

template <typename T> Status read(const json& v, const std::string& path, std::vector<T>& out) {
    if (!v.is_array()) return type_error(path, "array", v);
    std::vector<T> items(v.size());
    for (std::size_t i = 0; i < v.size(); ++i)
        CORRAL_TRY(read(v[i], index_path(path, i), items[i]));
    out = std::move(items);
    return {};
}

template <typename T>
Status read(const json& v, const std::string& path, std::map<std::string, T>& out) {
    if (!v.is_object()) return type_error(path, "object", v);
    std::map<std::string, T> items;
    for (auto it = v.begin(); it != v.end(); ++it)
        CORRAL_TRY(read(it.value(), key_path(path, it.key()), items[it.key()]));
    out = std::move(items);
    return {};
}

// Reads the members of one JSON object in turn and keeps the first error, so
// a struct reader is one line per field. Absent and null members leave the
// target untouched (null means "unset", as Go's encoding/json treats it).
// Members not asked for are ignored: the spec requires unknown fields to be.
class Fields {
public:
    Fields(const json& obj, const std::string& path)
        : obj_(obj)
        , path_(path) {
        status_ = expect_object(obj, path);
    }

    template <typename T> Fields& operator()(const char* key, T& out) {
        if (!status_.ok()) return *this;
        auto it = obj_.find(key);
        if (it == obj_.end() || it->is_null()) return *this;
        status_ = read(*it, child_path(path_, key), out);
        return *this;
    }

    Status status() const { return status_; }

private:
    const json& obj_;
    std::string path_;
    Status status_;
};

} // namespace corral::spec::detail
