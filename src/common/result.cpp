#include "common/result.hpp"

#include <cstring>

namespace corral {

std::string Error::message() const {
    std::string m = op;
    if (!detail.empty()) m += (m.empty() ? "" : " ") + detail;
    if (err != 0) {
        // strerror capitalises ("No such file"): messages stay lowercase.
        std::string why = std::strerror(err);
        if (!why.empty() && why[0] >= 'A' && why[0] <= 'Z' &&
            !(why.size() > 1 && why[1] >= 'A' && why[1] <= 'Z'))
            why[0] = static_cast<char>(why[0] - 'A' + 'a');
        m += (m.empty() ? "" : ": ") + why;
    }
    return m;
}

Error Error::context(const std::string& outer) const {
    Error e = *this;
    e.op = op.empty() ? outer : outer + ": " + op;
    return e;
}

Error sys_error(std::string op, std::string detail) {
    int saved = errno;
    return Error{saved, std::move(op), std::move(detail)};
}

Error plain_error(std::string op, std::string detail) {
    return Error{0, std::move(op), std::move(detail)};
}

} // namespace corral
