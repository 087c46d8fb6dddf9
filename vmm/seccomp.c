/*
 * seccomp filters per thread kind (include/vmm/seccomp.h). The lists name
 * what each kind of thread calls, glibc's own calls included; they were
 * found by running the test-bed suite with vmm built `make
 * SECCOMP_DEFAULT=log` and reading the kernel's audit lines (type=1326:
 * comm= names the thread kind, syscall= the arm64 number).
 *
 * A feature that makes a new system call adds it to the list of the kind
 * of thread that makes it, with a comment saying who needs it. A new kind
 * of thread gets a SECCOMP_THREAD_ value (include/vmm/seccomp.h), a row in
 * kinds[] below, and calls seccomp__enter() with it first thing in its
 * thread function. Threads are created before the filter of the thread
 * creating them: a filter binds the threads created after it, and no list
 * allows clone. docs/security.md says more.
 */
#include <errno.h>
#include <linux/if_tun.h>
#include <linux/kvm.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <linux/userfaultfd.h>
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
	REQUEST,	/* ioctl: only the request in the rule (argument 1) */
	NO_EXEC,	/* mmap, mprotect: never PROT_EXEC (argument 2) */
	OWN_PROCESS,	/* tgkill: only threads of vmm itself (argument 0) */
	ENOSYS_ANSWER,	/* fails with ENOSYS, so glibc falls back to an older call */
};

struct rule {
	const char *name;
	enum how how;
	unsigned long request;	/* for REQUEST */
};

#define ANY(call)		{ #call, ALLOW, 0 }
#define RULE(call, how)		{ #call, how, 0 }
#define IOCTL(request)		{ "ioctl", REQUEST, request }
#define END			{ NULL, ALLOW, 0 }

/* Every thread: glibc's threads, locks, memory, time, messages and exit. */
static const struct rule common_rules[] = {
	ANY(futex), ANY(rt_sigprocmask), ANY(rt_sigreturn),
	ANY(restart_syscall), ANY(sched_yield), ANY(rseq),
	ANY(brk), RULE(mmap, NO_EXEC), RULE(mprotect, NO_EXEC), ANY(munmap),
	ANY(madvise), ANY(write), ANY(clock_gettime),
	ANY(clock_nanosleep), ANY(gettid), ANY(getpid),
	RULE(tgkill, OWN_PROCESS), ANY(exit), ANY(exit_group),
	/* pthread_create tries clone3 first; no thread creates threads once filtered */
	RULE(clone3, ENOSYS_ANSWER),
	END,
};

/*
 * KVM_RUN and the MMIO exits it handles: device registers, a UART's or the
 * RTC's interrupt line (arch__set_spi: KVM_IRQ_LINE), a virtio device's
 * status; a reset waits for the disk's requests in flight (io_getevents)
 * and stops watching the tap (epoll_ctl). The guest's MMIO writes reach
 * this thread first, so its ioctls are only these few.
 */
static const struct rule vcpu_rules[] = {
	IOCTL(KVM_RUN), IOCTL(KVM_IRQ_LINE),
	ANY(read), ANY(epoll_ctl), ANY(io_getevents), ANY(io_pgetevents),
	/* virtio-net: the driver's features (or a reset) set the tap's offloads */
	IOCTL(TUNSETOFFLOAD),
	/* KVM_RUN's EFAULT: is the restored VM's memory file truncated? (fstat) */
	ANY(fstat), ANY(newfstatat),
	END,
};

/* A virtio device's I/O thread: its queues, eventfds, disk, tap, entropy. */
static const struct rule io_rules[] = {
	ANY(epoll_pwait), ANY(epoll_ctl), ANY(read),
	ANY(readv), ANY(writev), ANY(pread64), ANY(pwrite64),
	ANY(io_submit), ANY(io_getevents), ANY(io_pgetevents),
	ANY(fdatasync), ANY(fsync), ANY(fallocate),
	ANY(getrandom),
	END,
};

/*
 * The control socket's thread: its clients, and their requests: pause (the
 * vcpus' registers; each device drains: the disk's requests in flight, a
 * frame held from the tap), resume, snapshots.
 */
static const struct rule api_rules[] = {
	/* its clients: SO_PEERCRED (root or vmm's geteuid), lines in (recv), answers out (send) */
	ANY(accept4), ANY(getsockopt), ANY(geteuid), ANY(recvfrom), ANY(sendto),
	ANY(ppoll), ANY(read), ANY(close), ANY(readv), ANY(io_getevents), ANY(io_pgetevents),
	/* a snapshot's memory scan: /proc/self/pagemap, the memory file's own pages */
	ANY(pread64),
	ANY(ioctl), ANY(openat), ANY(mkdirat), ANY(unlinkat),
	ANY(renameat), ANY(renameat2), ANY(fstat),
	ANY(newfstatat), ANY(statx), ANY(lseek), ANY(pwrite64),
	ANY(ftruncate), ANY(fsync), ANY(fdatasync), ANY(fcntl),
	ANY(getdents64), ANY(uname),
	ANY(getrandom),	/* mkdtemp's name for a snapshot's temporary directory */
	/* the boot files' blocks not in guest RAM yet, moved in first (lazy_load__wait) */
	ANY(mremap),
	END,
};

/* The console writer: it waits for stdout to take bytes, and writes them. */
static const struct rule console_rules[] = {
	ANY(ppoll),
	END,
};

/*
 * A live migration's source: what a snapshot does (the api list: pause,
 * the vcpus' registers, the devices' drain, KVM's dirty log through ioctl),
 * and the link to the destination.
 */
static const struct rule migrate_rules[] = {
	ANY(socket), ANY(connect), ANY(setsockopt), ANY(sendto), ANY(recvfrom),
	END,
};

/*
 * The boot files' loaders and the thread that serves the guest's faults on
 * them (vmm/lazyload.c): the files (pread), each 2 MiB block moved into
 * guest RAM (mremap), the userfaultfd's messages (ppoll, read) and wakes;
 * UFFDIO_COPY where a block could not be moved.
 */
static const struct rule loader_rules[] = {
	ANY(pread64), ANY(mremap), ANY(ppoll), ANY(read),
	IOCTL(UFFDIO_WAKE), IOCTL(UFFDIO_COPY),
	END,
};

/*
 * The main loop: signals, console input, stopping the vcpus, the control
 * socket's and the devices' threads, the teardown.
 */
static const struct rule main_rules[] = {
	ANY(ppoll), ANY(read), ANY(ioctl), ANY(close),
	ANY(io_getevents), ANY(io_pgetevents), ANY(io_destroy), ANY(epoll_ctl), ANY(openat),
	ANY(unlinkat), ANY(fstat), ANY(newfstatat),
	ANY(lseek), ANY(mincore),
	ANY(shutdown),	/* ends a migration in flight at teardown (vmm/migrate.c) */
	END,
};

static const struct kind {
	const char *name;
	const char *comm;	/* the thread's name; NULL: it keeps vmm's */
	const struct rule *rules[3];
} kinds[SECCOMP_NR_THREADS] = {
	[SECCOMP_THREAD_MAIN] = { "main", NULL, { common_rules, main_rules } },
	[SECCOMP_THREAD_VCPU] = { "vcpu", "vmm-vcpu", { common_rules, vcpu_rules } },
	[SECCOMP_THREAD_IO] = { "device I/O", "vmm-io", { common_rules, io_rules } },
	[SECCOMP_THREAD_API] = { "api", "vmm-api", { common_rules, api_rules } },
	[SECCOMP_THREAD_CONSOLE] = { "console", "vmm-console", { common_rules, console_rules } },
	[SECCOMP_THREAD_MIGRATE] = { "migrate", "vmm-migrate", { common_rules, api_rules, migrate_rules } },
	[SECCOMP_THREAD_LOADER] = { "boot loader", "vmm-loader", { common_rules, loader_rules } },
};

#ifndef VMM_SECCOMP_DEFAULT
#define VMM_SECCOMP_DEFAULT	SECCOMP_KILL	/* the Makefile's SECCOMP_DEFAULT */
#endif

static enum seccomp_mode mode = SECCOMP_OFF;	/* until seccomp__prepare() */
static struct sock_fprog progs[SECCOMP_NR_THREADS];

int seccomp__parse_mode(const char *arg, enum seccomp_mode *out, char *err, size_t errlen)
{
	static const char *const names[] = { [SECCOMP_KILL] = "kill", [SECCOMP_LOG] = "log",
					     [SECCOMP_OFF] = "off" };

	for (size_t i = 0; i < ARRAY_SIZE(names); i++) {
		if (names[i] && !strcmp(arg, names[i])) {
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
	case REQUEST:
		return seccomp_rule_add(ctx, SCMP_ACT_ALLOW, nr, 1,
					SCMP_A1(SCMP_CMP_EQ, (scmp_datum_t)r->request));
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
	uint32_t action;
	int err;

	if (m == SECCOMP_DEFAULT)
		m = VMM_SECCOMP_DEFAULT;
	action = m == SECCOMP_LOG ? SCMP_ACT_LOG : SCMP_ACT_KILL_PROCESS;
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
	if (kind < SECCOMP_NR_THREADS && kinds[kind].comm)
		prctl(PR_SET_NAME, kinds[kind].comm, 0, 0, 0);
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
