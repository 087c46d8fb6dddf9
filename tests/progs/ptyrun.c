/*
 * Runs a command on a new pseudo-terminal, as a user at a terminal would:
 *
 *   ptyrun WAIT_FOR TYPE EXPECT -- COMMAND...
 *
 * It waits until the output shows WAIT_FOR, types TYPE and a carriage
 * return, waits for EXPECT, then types the escape Ctrl-A x. It prints the
 * command's exit status and whether the terminal's settings after it
 * ended equal those before ("ptyrun: status=N restored=yes|no"), and
 * copies everything the command wrote to stdout. Exits 1 on a time-out.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#define LIMIT_SECONDS 60

static char seen[1 << 20];
static size_t seen_len;

/* Reads output until it contains text; false on time-out or EOF. */
static int wait_for(int master, const char *text)
{
	time_t end = time(NULL) + LIMIT_SECONDS;

	while (!memmem(seen, seen_len, text, strlen(text))) {
		struct pollfd p = { .fd = master, .events = POLLIN };
		ssize_t n;

		if (time(NULL) > end || poll(&p, 1, 1000) < 0)
			return 0;
		if (!(p.revents & (POLLIN | POLLHUP)))
			continue;
		n = read(master, seen + seen_len, sizeof(seen) - seen_len - 1);
		if (n <= 0)
			return 0;
		fwrite(seen + seen_len, 1, (size_t)n, stdout);
		seen_len += (size_t)n;
	}
	return 1;
}

static void type(int master, const char *s)
{
	if (write(master, s, strlen(s)) < 0)
		perror("ptyrun: write");
}

static int same_termios(const struct termios *a, const struct termios *b)
{
	return a->c_iflag == b->c_iflag && a->c_oflag == b->c_oflag &&
	       a->c_cflag == b->c_cflag && a->c_lflag == b->c_lflag &&
	       !memcmp(a->c_cc, b->c_cc, sizeof(a->c_cc));
}

int main(int argc, char **argv)
{
	struct termios before, after;
	int master, slave, status, ok;
	pid_t pid;

	if (argc < 6 || strcmp(argv[4], "--")) {
		fprintf(stderr, "usage: ptyrun WAIT_FOR TYPE EXPECT -- COMMAND...\n");
		return 2;
	}
	master = posix_openpt(O_RDWR | O_NOCTTY);
	if (master < 0 || grantpt(master) || unlockpt(master))
		return perror("ptyrun: pty"), 2;
	slave = open(ptsname(master), O_RDWR | O_NOCTTY);
	if (slave < 0 || tcgetattr(slave, &before))
		return perror("ptyrun: slave"), 2;
	pid = fork();
	if (pid == 0) {
		setsid();
		ioctl(slave, TIOCSCTTY, 0);
		dup2(slave, 0);
		dup2(slave, 1);
		dup2(slave, 2);
		execvp(argv[5], argv + 5);
		_exit(127);
	}
	ok = wait_for(master, argv[1]);
	if (ok) {
		type(master, argv[2]);
		type(master, "\r");
		ok = wait_for(master, argv[3]);
	}
	type(master, "\001x");	/* Ctrl-A x: vmm's escape to quit */
	waitpid(pid, &status, 0);
	tcgetattr(slave, &after);
	printf("\nptyrun: status=%d restored=%s\n", WIFEXITED(status) ? WEXITSTATUS(status) : 128,
	       same_termios(&before, &after) ? "yes" : "no");
	return ok ? 0 : 1;
}
