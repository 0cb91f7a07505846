/* What a container may do, asked of the kernel: each probe prints "OK" or the errno's number.
   Built static at test time (tests/host/test_security_host.py), run inside containers. */
#define _GNU_SOURCE
#include <errno.h>
#include <linux/sched.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/personality.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

static int report(long rc) {
    if (rc < 0) printf("%d\n", errno); else printf("OK\n");
    return 0;
}

static long ptrace_other_user(void) {
    int sync[2];
    if (pipe(sync) < 0) return -1;
    pid_t child = fork();
    if (child == 0) {
        if (setgid(1000) < 0 || setuid(1000) < 0) _exit(1);
        close(sync[0]);
        write(sync[1], "x", 1);
        pause();
        _exit(0);
    }
    char c;
    close(sync[1]);
    read(sync[0], &c, 1);
    long rc = ptrace(PTRACE_ATTACH, child, 0, 0);
    int saved = errno;
    if (rc == 0) { waitpid(child, NULL, 0); ptrace(PTRACE_DETACH, child, 0, 0); }
    kill(child, SIGKILL);
    waitpid(child, NULL, 0);
    errno = saved;
    return rc;
}

int main(int argc, char **argv) {
    const char *what = argc > 1 ? argv[1] : "";
    if (!strcmp(what, "keyctl")) return report(syscall(SYS_keyctl, 0 /* GET_KEYRING_ID */, -4 /* @u */, 0));
    if (!strcmp(what, "add_key")) return report(syscall(SYS_add_key, "user", "probe", "x", 1, -4));
    if (!strcmp(what, "init_module")) return report(syscall(SYS_init_module, NULL, 0, ""));
    if (!strcmp(what, "unshare-user")) return report(unshare(CLONE_NEWUSER));
    if (!strcmp(what, "unshare-mount")) return report(unshare(CLONE_NEWNS));
    if (!strcmp(what, "clone3-user")) {
        struct clone_args args;
        memset(&args, 0, sizeof args);
        args.flags = CLONE_NEWUSER;
        args.exit_signal = SIGCHLD;
        long rc = syscall(SYS_clone3, &args, sizeof args);
        if (rc == 0) _exit(0);
        if (rc > 0) waitpid(rc, NULL, 0);
        return report(rc);
    }
    if (!strcmp(what, "mount")) return report(mount("none", "/tmp", "tmpfs", 0, NULL));
    if (!strcmp(what, "raw-socket")) return report(socket(AF_INET, SOCK_RAW, IPPROTO_ICMP));
    if (!strcmp(what, "ptrace-other-user")) return report(ptrace_other_user());
    if (!strcmp(what, "personality")) return report(personality(ADDR_NO_RANDOMIZE));
    if (!strcmp(what, "fork")) { pid_t p = fork(); if (p == 0) _exit(0); waitpid(p, NULL, 0); return report(p); }
    fprintf(stderr, "unknown probe %s\n", what);
    return 2;
}
