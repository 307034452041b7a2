#include "common/child_error.hpp"

#include <cstdio>

namespace corral {

ChildError& child_error() {
    static ChildError record;
    return record;
}

bool child_fail(int err, const char* op, const char* detail) {
    ChildError& e = child_error();
    e.err = err;
    std::snprintf(e.op, sizeof e.op, "%s", op ? op : "");
    std::snprintf(e.detail, sizeof e.detail, "%s", detail ? detail : "");
    return false;
}

} // namespace corral
