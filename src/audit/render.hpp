// Rendering of an audit report. The JSON report (docs/audit.schema.json) is
// the source of truth: the table, SARIF and JUnit outputs are all derived from
// that one object, so they can never disagree with it or with each other.
//
// Report strings carry what the container controls (hostnames, mount paths,
// process names), so every format treats them as hostile: the table never
// lets them emit terminal escapes, XML never gets characters it cannot hold,
// and invalid UTF-8 becomes U+FFFD instead of a throw from nlohmann.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "common/result.hpp"

namespace corral::audit {

enum class Format { Table, Json, Sarif, Junit };

// "table", "json", "sarif" or "junit"; anything else is an error naming the
// value and the accepted ones.
Result<Format> parse_format(std::string_view name);

// The summary object of a report from its checks and its failOn level, so the
// CLI and the renderers count the same way: {"total", "passed", "failed",
// "skipped", "failedBlocking", "failedByLevel": {"error", "warning", "info"}}.
// An unknown failOn counts as "error"; a check with an unknown level never
// blocks.
nlohmann::json summarize(const nlohmann::json& checks, std::string_view fail_on);

// The report in the given format, ending with a newline. Never throws on a
// malformed report: missing or mistyped fields render as empty or are skipped.
// color adds ANSI colours to the table and is ignored by the other formats.
std::string render(const nlohmann::json& report, Format format, bool color);

} // namespace corral::audit
