/* tests/unit/unprivileged.h: a child without root's file permissions. */
#include <grp.h>
#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>

#include "unprivileged.h"

#define NOBODY 65534

static int drop_root(void)
{
	if (geteuid())
		return 0;
	if (setgroups(0, NULL) || setresgid(NOBODY, NOBODY, NOBODY) ||
	    setresuid(NOBODY, NOBODY, NOBODY))
		return -1;
	/* Root must be gone for good, or the test would prove nothing. */
	return setuid(0) == 0 ? -1 : 0;
}

int unit__unprivileged(int (*fn)(void *arg), void *arg)
{
	pid_t pid;
	int status;

	fflush(NULL);
	pid = fork();
	if (pid < 0)
		return -1;
	if (!pid)
		_exit(drop_root() ? 255 : fn(arg) & 0xff);
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) || WEXITSTATUS(status) == 255)
		return -1;
	return WEXITSTATUS(status);
}
