/*
 * seccomp filters per thread kind (include/vmm/seccomp.h). The lists name
 * what each kind of thread calls, glibc's own calls included; they were
 * found by running the test-bed suite under --seccomp=log (docs/security.md
 * says how to extend them). A feature that adds a system call adds it here.
 */
#include <errno.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <seccomp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "vmm/seccomp.h"
#include "vmm/util.h"

/* How a listed call is let through. */
enum how {
	ALLOW,		/* any arguments */
	NO_EXEC,	/* mmap, mprotect: never PROT_EXEC (argument 2) */
	OWN_PROCESS,	/* tgkill: only threads of vmm itself (argument 0) */
	ENOSYS_ANSWER,	/* fails with ENOSYS, so glibc falls back to an older call */
};

struct rule {
	const char *name;
	enum how how;
};

/* Every thread: glibc's threads, locks, memory, time, messages and exit. */
static const struct rule common_rules[] = {
	{ "futex", ALLOW }, { "rt_sigprocmask", ALLOW }, { "rt_sigreturn", ALLOW },
	{ "restart_syscall", ALLOW }, { "sched_yield", ALLOW }, { "rseq", ALLOW },
	{ "brk", ALLOW }, { "mmap", NO_EXEC }, { "mprotect", NO_EXEC }, { "munmap", ALLOW },
	{ "madvise", ALLOW }, { "write", ALLOW }, { "clock_gettime", ALLOW },
	{ "clock_nanosleep", ALLOW }, { "gettid", ALLOW }, { "getpid", ALLOW },
	{ "tgkill", OWN_PROCESS }, { "exit", ALLOW }, { "exit_group", ALLOW },
	/* pthread_create tries clone3 first; no thread creates threads once filtered */
	{ "clone3", ENOSYS_ANSWER },
	{ NULL },
};

/* KVM_RUN and the MMIO exits: device registers, queue setup (ioeventfd, irqfd). */
static const struct rule vcpu_rules[] = {
	{ "ioctl", ALLOW }, { "read", ALLOW }, { "epoll_ctl", ALLOW },
	{ NULL },
};

/* A virtio device's I/O thread: its queues, eventfds, disk, tap, entropy. */
static const struct rule io_rules[] = {
	{ "epoll_pwait", ALLOW }, { "epoll_ctl", ALLOW }, { "read", ALLOW },
	{ "readv", ALLOW }, { "writev", ALLOW }, { "pread64", ALLOW }, { "pwrite64", ALLOW },
	{ "io_submit", ALLOW }, { "io_getevents", ALLOW }, { "io_pgetevents", ALLOW },
	{ "fdatasync", ALLOW }, { "fsync", ALLOW }, { "fallocate", ALLOW },
	{ "getrandom", ALLOW },
	{ NULL },
};

/* The control socket's requests: pause and resume (the vcpus' registers), snapshots. */
static const struct rule api_rules[] = {
	{ "accept4", ALLOW }, { "getsockopt", ALLOW }, /* SO_PEERCRED */
	{ "ppoll", ALLOW }, { "read", ALLOW }, { "close", ALLOW },
	{ "ioctl", ALLOW }, { "openat", ALLOW }, { "mkdirat", ALLOW }, { "unlinkat", ALLOW },
	{ "renameat", ALLOW }, { "renameat2", ALLOW }, { "fstat", ALLOW },
	{ "newfstatat", ALLOW }, { "statx", ALLOW }, { "lseek", ALLOW }, { "pwrite64", ALLOW },
	{ "ftruncate", ALLOW }, { "fsync", ALLOW }, { "fdatasync", ALLOW }, { "fcntl", ALLOW },
	{ "getdents64", ALLOW }, { "uname", ALLOW },
	{ "getrandom", ALLOW },	/* mkdtemp's name for a snapshot's temporary directory */
	{ NULL },
};

/*
 * The main loop: signals, console input, stopping the vcpus and devices,
 * the teardown; and the control socket's requests while they run on it.
 */
static const struct rule main_rules[] = {
	{ "ppoll", ALLOW }, { "read", ALLOW }, { "ioctl", ALLOW }, { "close", ALLOW },
	{ "io_destroy", ALLOW }, { "epoll_ctl", ALLOW }, { "openat", ALLOW },
	{ "unlinkat", ALLOW }, { "fstat", ALLOW }, { "newfstatat", ALLOW },
	{ "lseek", ALLOW }, { "mincore", ALLOW },
	{ NULL },
};

static const struct kind {
	const char *name;
	const struct rule *rules[3];
} kinds[SECCOMP_NR_THREADS] = {
	[SECCOMP_THREAD_MAIN] = { "main", { common_rules, main_rules, api_rules } },
	[SECCOMP_THREAD_VCPU] = { "vcpu", { common_rules, vcpu_rules } },
	[SECCOMP_THREAD_IO] = { "device I/O", { common_rules, io_rules } },
	[SECCOMP_THREAD_API] = { "api", { common_rules, api_rules } },
};

static enum seccomp_mode mode = SECCOMP_OFF;	/* until seccomp__prepare() */
static struct sock_fprog progs[SECCOMP_NR_THREADS];

int seccomp__parse_mode(const char *arg, enum seccomp_mode *out, char *err, size_t errlen)
{
	static const char *const names[] = { [SECCOMP_KILL] = "kill", [SECCOMP_LOG] = "log",
					     [SECCOMP_OFF] = "off" };

	for (size_t i = 0; i < ARRAY_SIZE(names); i++) {
		if (!strcmp(arg, names[i])) {
			*out = (enum seccomp_mode)i;
			return 0;
		}
	}
	set_err(err, errlen, "--seccomp %s: expected off, log or kill", arg);
	return -VMM_ERR_INPUT;
}

const char *seccomp__thread_name(enum seccomp_thread kind)
{
	return kind < SECCOMP_NR_THREADS ? kinds[kind].name : "?";
}

static int add_rule(scmp_filter_ctx ctx, const struct rule *r)
{
	int nr = seccomp_syscall_resolve_name(r->name);

	if (nr == __NR_SCMP_ERROR)
		return -ENOENT;
	switch (r->how) {
	case ALLOW:
		return seccomp_rule_add(ctx, SCMP_ACT_ALLOW, nr, 0);
	case NO_EXEC:
		return seccomp_rule_add(ctx, SCMP_ACT_ALLOW, nr, 1,
					SCMP_A2(SCMP_CMP_MASKED_EQ, PROT_EXEC, 0));
	case OWN_PROCESS:
		return seccomp_rule_add(ctx, SCMP_ACT_ALLOW, nr, 1,
					SCMP_A0(SCMP_CMP_EQ, (scmp_datum_t)getpid()));
	case ENOSYS_ANSWER:
		return seccomp_rule_add(ctx, SCMP_ACT_ERRNO(ENOSYS), nr, 0);
	}
	return -EINVAL;
}

/* The BPF program libseccomp generates, copied out through a memfd. */
static int export_program(scmp_filter_ctx ctx, struct sock_fprog *prog)
{
	int fd = memfd_create("vmm-seccomp", MFD_CLOEXEC), err = -EIO;
	off_t size;
	void *buf = NULL;

	if (fd < 0)
		return -errno;
	if (seccomp_export_bpf(ctx, fd) == 0 && (size = lseek(fd, 0, SEEK_END)) > 0 &&
	    size % sizeof(struct sock_filter) == 0 && (buf = malloc((size_t)size)) &&
	    pread(fd, buf, (size_t)size, 0) == size) {
		prog->filter = buf;
		prog->len = (unsigned short)(size / sizeof(struct sock_filter));
		err = 0;
	} else {
		free(buf);
	}
	close(fd);
	return err;
}

static int build(enum seccomp_thread kind, uint32_t default_action)
{
	scmp_filter_ctx ctx = seccomp_init(default_action);
	int err = ctx ? 0 : -ENOMEM;

	for (size_t l = 0; !err && l < ARRAY_SIZE(kinds[kind].rules); l++) {
		const struct rule *r = kinds[kind].rules[l];

		for (; !err && r && r->name; r++) {
			err = add_rule(ctx, r);
			if (err)
				pr_err("seccomp: the %s filter: %s: %s", kinds[kind].name, r->name,
				       err == -ENOENT ? "no such system call" : strerror(-err));
		}
	}
	if (!err) {
		err = export_program(ctx, &progs[kind]);
		if (err)
			pr_err("seccomp: cannot export the %s filter: %s", kinds[kind].name,
			       strerror(-err));
	}
	if (ctx)
		seccomp_release(ctx);
	return err;
}

/* Can this kernel take filters whose default action is action? */
static int check_kernel(uint32_t action)
{
	if (syscall(SYS_seccomp, SECCOMP_GET_ACTION_AVAIL, 0, &action) == 0)
		return 0;
	pr_err("--seccomp: this kernel cannot give seccomp filters%s (%s); --seccomp=off runs without",
	       action == SCMP_ACT_LOG ? " that log" : " that kill the process", strerror(errno));
	return -VMM_ERR_HOST;
}

int seccomp__prepare(enum seccomp_mode m)
{
	uint32_t action = m == SECCOMP_LOG ? SCMP_ACT_LOG : SCMP_ACT_KILL_PROCESS;
	int err;

	mode = SECCOMP_OFF;
	if (m == SECCOMP_OFF)
		return 0;
	err = check_kernel(action);
	if (err)
		return err;
	for (unsigned k = 0; k < SECCOMP_NR_THREADS; k++) {
		free(progs[k].filter);
		progs[k].filter = NULL;
		if (build((enum seccomp_thread)k, action))
			return -VMM_ERR_INTERNAL;
	}
	mode = m;
	return 0;
}

int seccomp__enter(enum seccomp_thread kind)
{
	if (mode == SECCOMP_OFF)
		return 0;
	if (kind >= SECCOMP_NR_THREADS || !progs[kind].filter)
		return -VMM_ERR_INTERNAL;
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0 ||
	    syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &progs[kind]) < 0) {
		pr_err("seccomp: cannot install the %s filter: %s", kinds[kind].name,
		       strerror(errno));
		return -VMM_ERR_INTERNAL;
	}
	return 0;
}
