#ifndef VMM_SECCOMP_H
#define VMM_SECCOMP_H

#include <stddef.h>

#include "vmm/compiler.h"

/*
 * seccomp filters, one per kind of thread (docs/security.md). Each lists
 * only the system calls that kind makes, by name: libseccomp resolves the
 * names for the arch vmm is built for. Anything else kills the whole
 * process (--seccomp=kill, the default) or is logged by the kernel and
 * allowed (--seccomp=log); --seccomp=off installs none.
 *
 * seccomp__prepare() builds every filter once, on the main thread, before
 * any other thread exists; each thread then calls seccomp__enter() with its
 * kind once its own setup is done. A filter binds the calling thread and
 * the threads it creates afterwards, so the main thread enters last, once
 * every other thread has started.
 */
/*
 * SECCOMP_DEFAULT (0, so a zeroed config has it) is the build's default:
 * kill, or log when built with `make SECCOMP_DEFAULT=log` (how the lists
 * are derived from a test-bed run: docs/security.md).
 */
enum seccomp_mode { SECCOMP_DEFAULT = 0, SECCOMP_KILL, SECCOMP_LOG, SECCOMP_OFF };

enum seccomp_thread {
	SECCOMP_THREAD_MAIN,	/* the main loop: signals, console input, teardown */
	SECCOMP_THREAD_VCPU,	/* KVM_RUN and the MMIO exits it handles */
	SECCOMP_THREAD_IO,	/* a virtio device's I/O thread */
	SECCOMP_THREAD_API,	/* the control socket: pause, resume, snapshot */
	SECCOMP_THREAD_CONSOLE,	/* the console writer: guest output to stdout */
	SECCOMP_THREAD_MIGRATE,	/* a live migration's source (vmm/migrate.c) */
	SECCOMP_THREAD_LOADER,	/* boot files into guest RAM as the guest runs (vmm/lazyload.c) */
	SECCOMP_NR_THREADS,
};

/* "off", "log" or "kill" into *mode; -VMM_ERR_INPUT with a reason in err if not. */
int seccomp__parse_mode(const char *arg, enum seccomp_mode *mode, char *err,
			size_t errlen) __must_check;

/*
 * Builds the filters for mode (nothing for SECCOMP_OFF; SECCOMP_DEFAULT is
 * the build's default). Returns 0,
 * -VMM_ERR_HOST when the kernel has no seccomp filters, or
 * -VMM_ERR_INTERNAL; says why on stderr.
 */
int seccomp__prepare(enum seccomp_mode mode) __must_check;

/*
 * Names the calling thread after kind ("vmm-vcpu", "vmm-api": ps -T and
 * the kernel's audit lines show it; the main thread keeps vmm's name),
 * sets no-new-privs and installs kind's filter on it (no filter when
 * prepared with SECCOMP_OFF, or not prepared). Returns 0 or
 * -VMM_ERR_INTERNAL, having said why.
 */
int seccomp__enter(enum seccomp_thread kind) __must_check;

/* The thread kind's name, for messages. */
const char *seccomp__thread_name(enum seccomp_thread kind);

#endif
