#include "common/signals.hpp"

#include <array>
#include <charconv>
#include <csignal>

namespace corral {

namespace {

// The kernel's signal numbers stop at 64 on every architecture we build for.
constexpr int kMaxSignal = 64;

struct NamedSignal {
    const char* name; // without "SIG"
    int number;
    bool alias; // accepted when parsing, never printed
};

// Numbers come from the libc macros, so the table is right on every
// architecture even where the numbering differs from x86.
constexpr NamedSignal kSignals[] = {
    {"SIGHUP", SIGHUP, false},       {"SIGINT", SIGINT, false},       {"SIGQUIT", SIGQUIT, false},
    {"SIGILL", SIGILL, false},       {"SIGTRAP", SIGTRAP, false},     {"SIGABRT", SIGABRT, false},
    {"SIGIOT", SIGIOT, true},        {"SIGBUS", SIGBUS, false},       {"SIGFPE", SIGFPE, false},
    {"SIGKILL", SIGKILL, false},     {"SIGUSR1", SIGUSR1, false},     {"SIGSEGV", SIGSEGV, false},
    {"SIGUSR2", SIGUSR2, false},     {"SIGPIPE", SIGPIPE, false},     {"SIGALRM", SIGALRM, false},
    {"SIGTERM", SIGTERM, false},
#ifdef SIGSTKFLT
    {"SIGSTKFLT", SIGSTKFLT, false},
#endif
    {"SIGCHLD", SIGCHLD, false},     {"SIGCLD", SIGCHLD, true},       {"SIGCONT", SIGCONT, false},
    {"SIGSTOP", SIGSTOP, false},     {"SIGTSTP", SIGTSTP, false},     {"SIGTTIN", SIGTTIN, false},
    {"SIGTTOU", SIGTTOU, false},     {"SIGURG", SIGURG, false},       {"SIGXCPU", SIGXCPU, false},
    {"SIGXFSZ", SIGXFSZ, false},     {"SIGVTALRM", SIGVTALRM, false}, {"SIGPROF", SIGPROF, false},
    {"SIGWINCH", SIGWINCH, false},   {"SIGIO", SIGIO, false},         {"SIGPOLL", SIGPOLL, true},
#ifdef SIGPWR
    {"SIGPWR", SIGPWR, false},
#endif
    {"SIGSYS", SIGSYS, false},
};

// Fixed storage for the computed names, built at compile time so that
// signal_name() needs neither the heap nor a guarded static in a child.
struct NameBuf {
    char s[16];
};

constexpr int append_text(NameBuf& b, int i, const char* text) {
    while (*text)
        b.s[i++] = *text++;
    return i;
}

constexpr int append_number(NameBuf& b, int i, int n) {
    if (n >= 10) b.s[i++] = static_cast<char>('0' + n / 10);
    b.s[i++] = static_cast<char>('0' + n % 10);
    return i;
}

// kRtNames<'+'>[k] is "SIGRTMIN+k" ("SIGRTMIN" for 0), kRtNames<'-'>[k] is
// "SIGRTMAX-k".
template <char Sign> constexpr std::array<NameBuf, kMaxSignal + 1> make_rt_names() {
    std::array<NameBuf, kMaxSignal + 1> a{};
    for (int k = 0; k <= kMaxSignal; ++k) {
        int i = append_text(a[k], 0, Sign == '+' ? "SIGRTMIN" : "SIGRTMAX");
        if (k == 0) continue;
        a[k].s[i++] = Sign;
        append_number(a[k], i, k);
    }
    return a;
}

constexpr std::array<NameBuf, kMaxSignal + 1> make_plain_names() {
    std::array<NameBuf, kMaxSignal + 1> a{};
    for (int n = 1; n <= kMaxSignal; ++n)
        append_number(a[n], append_text(a[n], 0, "SIG"), n);
    return a;
}

constexpr auto kRtMinNames = make_rt_names<'+'>();
constexpr auto kRtMaxNames = make_rt_names<'-'>();
constexpr auto kPlainNames = make_plain_names();

Error invalid(std::string_view text, const char* why = nullptr) {
    std::string detail = "\"" + std::string(text) + "\"";
    if (why) detail += std::string(": ") + why;
    return plain_error("invalid signal", std::move(detail));
}

bool all_digits(std::string_view s) {
    if (s.empty()) return false;
    for (char c : s)
        if (c < '0' || c > '9') return false;
    return true;
}

// Parses the decimal in s (digits only) into out; false on overflow.
bool to_int(std::string_view s, int& out) {
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
    return ec == std::errc() && p == s.data() + s.size();
}

std::string range_text(int lo, int hi) {
    return "out of range " + std::to_string(lo) + ".." + std::to_string(hi);
}

// "RTMIN", "RTMIN+3", "RTMAX-2" (upper case, "SIG" already stripped). Returns
// 0 when `upper` is not a real-time form at all.
Result<int> parse_realtime(std::string_view upper, std::string_view original) {
    const bool from_min = upper.starts_with("RTMIN");
    if (!from_min && !upper.starts_with("RTMAX")) return 0;
    const int lo = SIGRTMIN, hi = SIGRTMAX;
    std::string_view rest = upper.substr(5);
    int offset = 0;
    if (!rest.empty()) {
        const char sign = rest[0];
        rest.remove_prefix(1);
        if ((sign != '+' && sign != '-') || !all_digits(rest)) return invalid(original);
        if (!to_int(rest, offset) || offset > kMaxSignal)
            return invalid(original, range_text(lo, hi).c_str());
        if (sign == '-') offset = -offset;
    }
    const int sig = (from_min ? lo : hi) + offset;
    if (sig < lo || sig > hi) return invalid(original, range_text(lo, hi).c_str());
    return sig;
}

} // namespace

Result<int> parse_signal(std::string_view text) {
    if (all_digits(text)) {
        int n = 0;
        if (!to_int(text, n) || n < 1 || n > kMaxSignal)
            return invalid(text, range_text(1, kMaxSignal).c_str());
        return n;
    }
    // Upper-case a copy: runc accepts "term" and "sigterm" alike.
    std::string upper(text);
    for (char& c : upper)
        if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
    std::string_view bare = upper;
    if (bare.starts_with("SIG")) bare.remove_prefix(3);
    if (bare.empty()) return invalid(text);

    for (const NamedSignal& s : kSignals)
        if (bare == std::string_view(s.name).substr(3)) return s.number;

    auto rt = parse_realtime(bare, text);
    if (!rt.ok() || *rt != 0) return rt;
    return invalid(text);
}

const char* signal_name(int sig) {
    if (sig < 1 || sig > kMaxSignal) return nullptr;
    for (const NamedSignal& s : kSignals)
        if (s.number == sig && !s.alias) return s.name;
    const int lo = SIGRTMIN, hi = SIGRTMAX;
    if (sig >= lo && sig <= hi) {
        // Split the range in the middle, as kill -l and strsignal do.
        if (sig - lo <= (hi - lo) / 2) return kRtMinNames[sig - lo].s;
        return kRtMaxNames[hi - sig].s;
    }
    return kPlainNames[sig].s;
}

std::vector<std::string> all_signal_names() {
    std::vector<std::string> names;
    const int hi = SIGRTMAX;
    for (int n = 1; n <= hi && n <= kMaxSignal; ++n) {
        const char* name = signal_name(n);
        // The bare "SIGnn" numbers glibc reserves cannot be sent by name.
        if (name && name != kPlainNames[n].s) names.emplace_back(name);
    }
    return names;
}

} // namespace corral
