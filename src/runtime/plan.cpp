#include "runtime/plan.hpp"

#include "init/options.hpp"

#include <sched.h>
#include <sys/personality.h>

namespace corral::runtime {

Result<Plan> build_plan(spec::Spec spec, const PlanOptions& opts,
                        std::vector<std::string>* warnings) {
    Plan plan;
    plan.id = opts.id;
    plan.bundle = opts.bundle;

    auto nsp = ns::plan_namespaces(spec);
    if (!nsp) return nsp.error();
    plan.namespaces = std::move(*nsp);

    plan.setup_rootfs = !plan.namespaces.joins_mount;
    if (!plan.namespaces.creates(CLONE_NEWNS) && plan.setup_rootfs)
        return plain_error("linux.namespaces:",
                           "a mount namespace is required (new or joined by path)");
    auto rootfs = ns::plan_rootfs(spec, opts.bundle, opts.no_pivot);
    if (!rootfs) return rootfs.error();
    plan.rootfs = std::move(*rootfs);

    auto proc = plan_process(*spec.process, opts.preserve_fds, warnings);
    if (!proc) return proc.error();
    plan.process = std::move(*proc);
    plan.console = console_plan(*spec.process, true);
    auto init = init::options_for(spec, opts.init);
    if (!init) return init.error();
    if (init->enabled) {
        plan.init.enabled = true;
        std::string flags =
            std::string(init->signal_group ? "g" : "") + (spec.process->terminal ? "t" : "");
        std::vector<std::string> argv = {"corral-init", std::to_string(init->grace_ms),
                                         flags.empty() ? "-" : flags, ""};
        argv.insert(argv.end(), spec.process->args.begin(), spec.process->args.end());
        plan.init.argv.set(std::move(argv));
    }
    if (spec.linux && spec.linux->personality) {
        const auto& d = spec.linux->personality->domain;
        if (d == "LINUX")
            plan.process.personality = PER_LINUX;
        else if (d == "LINUX32")
            plan.process.personality = PER_LINUX32;
        else
            return plain_error("linux.personality.domain:", "unknown domain \"" + d + "\"");
    }

    if (spec.linux && spec.linux->seccomp) {
        auto prog = seccomp::compile_seccomp(*spec.linux->seccomp, warnings);
        if (!prog) return prog.error();
        plan.seccomp = std::move(*prog);
    }

    plan.hostname = spec.hostname;
    plan.domainname = spec.domainname;
    plan.set_hostname = !spec.hostname.empty();
    plan.set_domainname = !spec.domainname.empty();
    if (spec.hooks)
        plan.has_container_hooks =
            !spec.hooks->create_container.empty() || !spec.hooks->start_container.empty();
    plan.spec = std::move(spec);
    return plan;
}

} // namespace corral::runtime
