/* no-openat2 CMD [ARGS...] | no-openat2 --self-test
 *
 * The "degraded kernel" lane of tests/security: installs a seccomp filter under which
 * openat2 and the new mount API (open_tree, move_mount, fsopen, fsconfig, fsmount,
 * mount_setattr) answer ENOSYS, as on a kernel that predates them, sets no_new_privs (needed
 * to load a filter without CAP_SYS_ADMIN, and harmless as root) and execs CMD. The filter is
 * inherited by everything CMD starts, containers included, so a runtime run through this
 * wrapper must take its fallbacks.
 *
 * --self-test installs the filter and checks that every listed syscall really answers ENOSYS
 * (and that an unlisted one still works): the lane proves itself before it is trusted.
 *
 * x86_64 only, like the rest of the test VM; other architectures get no filter at all, which
 * the self-test reports as a failure. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

static const struct {
    int nr;
    const char *name;
} denied[] = {
    {437, "openat2"}, {428, "open_tree"}, {429, "move_mount"},    {430, "fsopen"},
    {431, "fsconfig"}, {432, "fsmount"},  {442, "mount_setattr"},
};
#define NDENIED (sizeof denied / sizeof denied[0])

static int install(void)
{
#if defined(__x86_64__)
    struct sock_filter f[4 + 2 * NDENIED + 1];
    size_t n = 0;
    f[n++] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
                                          offsetof(struct seccomp_data, arch));
    /* Another ABI (i386, x32 below): not ours to judge, allow. */
    f[n++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 1, 0);
    f[n++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW);
    f[n++] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
                                          offsetof(struct seccomp_data, nr));
    for (size_t i = 0; i < NDENIED; i++) {
        f[n++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, denied[i].nr, 0, 1);
        f[n++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | ENOSYS);
    }
    f[n++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW);
    struct sock_fprog prog = {.len = (unsigned short)n, .filter = f};
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0) {
        perror("no-openat2: PR_SET_NO_NEW_PRIVS");
        return -1;
    }
    if (prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog) < 0) {
        perror("no-openat2: PR_SET_SECCOMP");
        return -1;
    }
    return 0;
#else
    fprintf(stderr, "no-openat2: only x86_64 is supported\n");
    return -1;
#endif
}

static int self_test(void)
{
    int bad = 0;
    for (size_t i = 0; i < NDENIED; i++) {
        /* Arguments that would be EFAULT/EINVAL/EBADF for a real call: any answer but ENOSYS
         * means the syscall reached the kernel. */
        long r = syscall(denied[i].nr, -1L, 0L, 0L, 0L, 0L);
        int e = errno;
        printf("%s=%s\n", denied[i].name, r < 0 && e == ENOSYS ? "ENOSYS" : strerror(e));
        if (!(r < 0 && e == ENOSYS))
            bad = 1;
    }
    int fd = openat(AT_FDCWD, "/", O_PATH | O_DIRECTORY | O_CLOEXEC);
    printf("openat=%s\n", fd >= 0 ? "ok" : strerror(errno));
    if (fd < 0)
        bad = 1;
    return bad;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: no-openat2 CMD [ARGS...] | no-openat2 --self-test\n");
        return 2;
    }
    if (install() < 0)
        return 125;
    if (strcmp(argv[1], "--self-test") == 0)
        return self_test();
    execvp(argv[1], argv + 1);
    fprintf(stderr, "no-openat2: exec %s: %s\n", argv[1], strerror(errno));
    return 127;
}
