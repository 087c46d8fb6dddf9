/*
 * vmm/seccomp.c natively: --seccomp's values, every kind's filter builds
 * for this arch, and (in a child process) a filter kills on a call outside
 * its list, answers clone3 with ENOSYS, and only logs in log mode.
 */
#include <errno.h>
#include <linux/kvm.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include "vmm/seccomp.h"
#include "vmm/util.h"

static void test_parse_mode(void **state)
{
	enum seccomp_mode m = SECCOMP_OFF;
	char err[128] = "";

	assert_int_equal(seccomp__parse_mode("kill", &m, err, sizeof(err)), 0);
	assert_int_equal(m, SECCOMP_KILL);
	assert_int_equal(seccomp__parse_mode("log", &m, err, sizeof(err)), 0);
	assert_int_equal(m, SECCOMP_LOG);
	assert_int_equal(seccomp__parse_mode("off", &m, err, sizeof(err)), 0);
	assert_int_equal(m, SECCOMP_OFF);
	assert_int_equal(seccomp__parse_mode("on", &m, err, sizeof(err)), -VMM_ERR_INPUT);
	assert_string_equal(err, "--seccomp on: expected off, log or kill");
	assert_int_equal(seccomp__parse_mode("", &m, err, sizeof(err)), -VMM_ERR_INPUT);
	assert_int_equal(m, SECCOMP_OFF);
}

static void test_every_filter_builds(void **state)
{
	assert_int_equal(seccomp__prepare(SECCOMP_KILL), 0);
	assert_int_equal(seccomp__prepare(SECCOMP_LOG), 0);
	assert_int_equal(seccomp__prepare(SECCOMP_OFF), 0);
	assert_int_equal(seccomp__prepare(SECCOMP_DEFAULT), 0);
	assert_string_equal(seccomp__thread_name(SECCOMP_THREAD_VCPU), "vcpu");
	assert_string_equal(seccomp__thread_name(SECCOMP_THREAD_API), "api");
	assert_string_equal(seccomp__thread_name(SECCOMP_THREAD_CONSOLE), "console");
}

enum probe {
	PROBE_FORBIDDEN, PROBE_ALLOWED, PROBE_OTHER_IOCTL, PROBE_CLONE3, PROBE_EXEC_MAP,
	PROBE_OTHER_PID, PROBE_FILTERED,
};

/*
 * In a child: prepares mode, enters kind's filter, makes the probe's call
 * and exits 0 when it returned as expected. Returns the child's wait status.
 */
static int in_child(enum seccomp_mode mode, enum seccomp_thread kind, enum probe probe)
{
	pid_t pid = fork();
	int status = 0;

	assert_true(pid >= 0);
	if (pid == 0) {
		long r = 0;

		if (seccomp__prepare(mode) || seccomp__enter(kind))
			_exit(90);
		switch (probe) {
		case PROBE_FORBIDDEN:	/* no kind but a migration's source opens sockets */
			r = syscall(SYS_socket, AF_UNIX, SOCK_STREAM, 0);
			break;
		case PROBE_ALLOWED:	/* a bad fd: the call is made and fails */
			r = syscall(SYS_ioctl, -1, KVM_RUN, 0) == -1 && errno == EBADF ? 0 : 1;
			break;
		case PROBE_OTHER_IOCTL:	/* not one the vcpu threads make */
			r = syscall(SYS_ioctl, -1, KVM_CREATE_DEVICE, 0) == -1 && errno == EBADF ? 0 : 1;
			break;
		case PROBE_CLONE3:
			r = syscall(SYS_clone3, NULL, 0) == -1 && errno == ENOSYS ? 0 : 1;
			break;
		case PROBE_EXEC_MAP:
			r = syscall(SYS_mmap, NULL, 4096, PROT_READ | PROT_EXEC,
				    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0) == -1;
			break;
		case PROBE_OTHER_PID:	/* pid 1's thread 1, signal 0: harmless if let through */
			syscall(SYS_tgkill, 1, 1, 0);
			break;
		case PROBE_FILTERED:	/* outside every list: only in log mode */
			r = prctl(PR_GET_SECCOMP, 0, 0, 0, 0) == 2 ? 0 : -1;
			break;
		}
		/* exit_group itself: ASan's _exit makes calls of its own first */
		syscall(SYS_exit_group, r >= 0 ? 0 : 91);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	return status;
}

static void expect_killed(int status)
{
	assert_true(WIFSIGNALED(status));
	assert_int_equal(WTERMSIG(status), SIGSYS);
}

static void expect_exit0(int status)
{
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
}

static void test_kill_mode(void **state)
{
	for (int k = 0; k < SECCOMP_NR_THREADS; k++) {
		if (k == SECCOMP_THREAD_MIGRATE)	/* its link to the destination */
			expect_exit0(in_child(SECCOMP_KILL, (enum seccomp_thread)k, PROBE_FORBIDDEN));
		else
			expect_killed(in_child(SECCOMP_KILL, (enum seccomp_thread)k, PROBE_FORBIDDEN));
		expect_exit0(in_child(SECCOMP_KILL, (enum seccomp_thread)k, PROBE_CLONE3));
		expect_killed(in_child(SECCOMP_KILL, (enum seccomp_thread)k, PROBE_EXEC_MAP));
		expect_killed(in_child(SECCOMP_KILL, (enum seccomp_thread)k, PROBE_OTHER_PID));
	}
	expect_exit0(in_child(SECCOMP_KILL, SECCOMP_THREAD_VCPU, PROBE_ALLOWED));
	expect_exit0(in_child(SECCOMP_KILL, SECCOMP_THREAD_MAIN, PROBE_ALLOWED));
	expect_killed(in_child(SECCOMP_KILL, SECCOMP_THREAD_VCPU, PROBE_OTHER_IOCTL));
	expect_exit0(in_child(SECCOMP_KILL, SECCOMP_THREAD_MAIN, PROBE_OTHER_IOCTL));
	expect_killed(in_child(SECCOMP_KILL, SECCOMP_THREAD_IO, PROBE_ALLOWED));
}

static void test_log_and_off_modes(void **state)
{
	expect_exit0(in_child(SECCOMP_LOG, SECCOMP_THREAD_VCPU, PROBE_FORBIDDEN));
	expect_exit0(in_child(SECCOMP_LOG, SECCOMP_THREAD_IO, PROBE_CLONE3));
	expect_exit0(in_child(SECCOMP_OFF, SECCOMP_THREAD_VCPU, PROBE_FORBIDDEN));
	expect_exit0(in_child(SECCOMP_LOG, SECCOMP_THREAD_API, PROBE_FILTERED));
}

/* This test is built with log as the default (the Makefile): a filter that logs. */
static void test_default_mode(void **state)
{
	expect_exit0(in_child(SECCOMP_DEFAULT, SECCOMP_THREAD_API, PROBE_FILTERED));
	expect_exit0(in_child(SECCOMP_DEFAULT, SECCOMP_THREAD_API, PROBE_FORBIDDEN));
}

/* Each kind but main names its thread: ps -T and the kernel's audit lines show it. */
static void test_thread_names(void **state)
{
	static const struct { enum seccomp_thread kind; const char *comm; } want[] = {
		{ SECCOMP_THREAD_VCPU, "vmm-vcpu" }, { SECCOMP_THREAD_IO, "vmm-io" },
		{ SECCOMP_THREAD_API, "vmm-api" }, { SECCOMP_THREAD_CONSOLE, "vmm-console" },
	};

	for (size_t i = 0; i < ARRAY_SIZE(want); i++) {
		pid_t pid = fork();
		int status;

		assert_true(pid >= 0);
		if (pid == 0) {
			char comm[16] = "";

			if (seccomp__prepare(SECCOMP_OFF) || seccomp__enter(want[i].kind) ||
			    prctl(PR_GET_NAME, comm, 0, 0, 0))
				_exit(90);
			_exit(strcmp(comm, want[i].comm) ? 91 : 0);
		}
		assert_int_equal(waitpid(pid, &status, 0), pid);
		expect_exit0(status);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_mode),
		cmocka_unit_test(test_every_filter_builds),
		cmocka_unit_test(test_kill_mode),
		cmocka_unit_test(test_log_and_off_modes),
		cmocka_unit_test(test_thread_names),
		cmocka_unit_test(test_default_mode),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
