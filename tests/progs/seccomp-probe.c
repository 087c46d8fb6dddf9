/*
 * seccomp-probe MODE KIND: enters vmm's seccomp filter for a kind of thread
 * (main, vcpu, io, api, console) in MODE (kill, log, off), as vmm's threads do
 * (vmm/seccomp.c), then makes a call no kind allows (socket) and one every
 * kind allows (write). Prints "probe: survived" and exits 0 unless the
 * filter killed it (tests/bed/seccomp.sh expects SIGSYS with kill).
 */
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "vmm/seccomp.h"
#include "vmm/util.h"

static int kind_of(const char *s)
{
	for (int k = 0; k < SECCOMP_NR_THREADS; k++)
		if (!strcmp(s, seccomp__thread_name((enum seccomp_thread)k)) ||
		    (k == SECCOMP_THREAD_IO && !strcmp(s, "io")))
			return k;
	return -1;
}

int main(int argc, char **argv)
{
	enum seccomp_mode mode;
	char err[128];
	int kind = argc == 3 ? kind_of(argv[2]) : -1;
	int fd;

	if (kind < 0 || seccomp__parse_mode(argv[1], &mode, err, sizeof(err))) {
		fprintf(stderr, "usage: seccomp-probe kill|log|off main|vcpu|io|api|console\n");
		return 2;
	}
	if (seccomp__prepare(mode) || seccomp__enter((enum seccomp_thread)kind))
		return 1;
	fd = socket(AF_UNIX, SOCK_STREAM, 0);
	printf("probe: survived (socket gave %d)\n", fd);
	fflush(stdout);
	return 0;
}
