/* with-caps CMD [ARGS...]
 *
 * Starts CMD (the runtime, in the tests) with a dirty capability state, the way a careless
 * caller might: every permitted capability made inheritable, and CAP_SYS_ADMIN, CAP_NET_ADMIN,
 * CAP_NET_RAW, CAP_SYS_PTRACE and CAP_DAC_READ_SEARCH raised in the ambient set. A container
 * must not inherit any of it (SECURITY.md class 7: inheritable and ambient stay empty unless
 * the config asks). Prints nothing; fails if the state cannot be set. */
#define _GNU_SOURCE
#include <errno.h>
#include <linux/capability.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: with-caps CMD [ARGS...]\n");
        return 2;
    }
    struct __user_cap_header_struct hdr = {_LINUX_CAPABILITY_VERSION_3, 0};
    struct __user_cap_data_struct data[2];
    memset(data, 0, sizeof data);
    if (syscall(SYS_capget, &hdr, data) < 0) {
        perror("with-caps: capget");
        return 125;
    }
    data[0].inheritable = data[0].permitted;
    data[1].inheritable = data[1].permitted;
    if (syscall(SYS_capset, &hdr, data) < 0) {
        perror("with-caps: capset");
        return 125;
    }
    static const int ambient[] = {CAP_SYS_ADMIN, CAP_NET_ADMIN, CAP_NET_RAW, CAP_SYS_PTRACE,
                                  CAP_DAC_READ_SEARCH};
    for (size_t i = 0; i < sizeof ambient / sizeof ambient[0]; i++) {
        if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, ambient[i], 0, 0) < 0) {
            fprintf(stderr, "with-caps: raise ambient %d: %s\n", ambient[i], strerror(errno));
            return 125;
        }
    }
    execvp(argv[1], argv + 1);
    fprintf(stderr, "with-caps: exec %s: %s\n", argv[1], strerror(errno));
    return 127;
}
