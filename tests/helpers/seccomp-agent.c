/* A seccomp notify agent for the tests: listens on a unix socket, takes the
 * listener fd that corral sends for linux.seccomp.listenerPath, saves the
 * state JSON that came with it, and answers every notified syscall with a
 * chosen errno until the container is gone.
 *
 * usage: seccomp-agent SOCKET STATE_FILE ERRNO
 * prints "listening" once the socket accepts connections. */
#define _GNU_SOURCE
#include <errno.h>
#include <linux/seccomp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

static int die(const char* what) {
    fprintf(stderr, "seccomp-agent: %s: %s\n", what, strerror(errno));
    return 1;
}

int main(int argc, char** argv) {
    if (argc != 4) {
        fprintf(stderr, "usage: seccomp-agent SOCKET STATE_FILE ERRNO\n");
        return 2;
    }
    int answer = atoi(argv[3]);
    struct sockaddr_un addr = {.sun_family = AF_UNIX};
    snprintf(addr.sun_path, sizeof addr.sun_path, "%s", argv[1]);
    int srv = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (srv < 0 || bind(srv, (struct sockaddr*)&addr, sizeof addr) < 0 || listen(srv, 1) < 0)
        return die("listen");
    printf("listening\n");
    fflush(stdout);

    int conn = accept4(srv, NULL, NULL, SOCK_CLOEXEC);
    if (conn < 0) return die("accept");
    static char payload[65536];
    char control[CMSG_SPACE(sizeof(int))];
    struct iovec iov = {payload, sizeof payload - 1};
    struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = control,
                         .msg_controllen = sizeof control};
    ssize_t n = recvmsg(conn, &msg, MSG_CMSG_CLOEXEC);
    if (n < 0) return die("recvmsg");
    payload[n] = '\0';
    int fd = -1;
    for (struct cmsghdr* c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c))
        if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS)
            memcpy(&fd, CMSG_DATA(c), sizeof fd);
    FILE* out = fopen(argv[2], "w");
    if (!out) return die("open state file");
    fprintf(out, "%s\n", payload);
    fclose(out);
    if (fd < 0) {
        fprintf(stderr, "seccomp-agent: no fd received\n");
        return 1;
    }
    printf("got-fd\n");
    fflush(stdout);

    for (;;) {
        struct seccomp_notif req;
        struct seccomp_notif_resp resp;
        memset(&req, 0, sizeof req);
        if (ioctl(fd, SECCOMP_IOCTL_NOTIF_RECV, &req) < 0) {
            if (errno == EINTR) continue;
            break; /* ENOENT: every process of the filter is gone */
        }
        memset(&resp, 0, sizeof resp);
        resp.id = req.id;
        resp.error = -answer;
        printf("notified nr=%d\n", req.data.nr);
        fflush(stdout);
        if (ioctl(fd, SECCOMP_IOCTL_NOTIF_SEND, &resp) < 0 && errno != ENOENT) break;
    }
    return 0;
}
