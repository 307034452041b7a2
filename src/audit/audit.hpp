// `corral audit`: the kernel's real state of a container (pinned with a
// pidfd) against its config.json (conformance) and a policy (hardening).
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "audit/report.hpp"
#include "common/result.hpp"

namespace corral::audit {

struct Request {
    std::string root; // state root
    std::string id;   // a corral container, or
    pid_t pid = 0;    // any process (hardening checks only)
    std::string preset = "baseline";
    std::string policy_file; // overrides preset
    Level fail_on = Level::Error;
};

// The report as JSON (docs/audit.schema.json). An error means the audit
// could not run (exit 2); a failed check is in the report (exit 1).
Result<nlohmann::json> run_audit(const Request& req);

} // namespace corral::audit
