// Reading config.json into the typed Spec. Errors name the JSON path of the
// offending field ("config.json: mounts[2].destination: expected string, got
// integer"); these functions never throw.
#pragma once

#include "common/result.hpp"
#include "spec/spec.hpp"

#include <string>
#include <string_view>

namespace corral::spec {

// Parses the text of a config.json. Only types and ranges are checked here;
// semantic rules live in validate_spec().
Result<Spec> parse_config(std::string_view json_text);

// Parses a linux.resources object on its own (`update -r`); errors read
// "resources: memory.limit: ...".
Result<Resources> parse_resources(std::string_view json_text);

// Parses a process object on its own (`exec --process`); errors read
// "process: user.uid: ...".
Result<Process> parse_process(std::string_view json_text);

// Reads and parses <bundle_dir>/config.json.
Result<Spec> load_config(const std::string& bundle_dir);

} // namespace corral::spec
