#ifndef VMM_LAZYLOAD_H
#define VMM_LAZYLOAD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vmm/compiler.h"

struct vm;

/*
 * Boot files put into guest RAM while the guest already runs
 * (vmm/lazyload.c): the 2 MiB blocks of RAM they cover are registered with
 * userfaultfd, loaded in order by two threads, and a guest access to a
 * block not yet there waits until it is (that block is loaded next).
 */
struct lazy_seg {
	uint8_t *dst;		/* where in guest RAM's host mapping */
	size_t len;
	int fd;			/* read from fd at offset 0 */
	const uint8_t *mem;	/* or copied from here when fd < 0 */
	const char *name;	/* for a read error: "kernel PATH" */
};

struct lazy_load;

/*
 * Prepares loading nr segments (in address order, not overlapping, none in
 * the 2 MiB block of another's end unless they share it) into vm's RAM.
 * registering the blocks they cover with a userfaultfd; nothing is loaded
 * before lazy_load__go(). Returns 0, or -errno with why when this host
 * gives no userfaultfd that KVM's faults reach (then nothing was changed:
 * copy the files instead).
 * ksm: RAM is MADV_MERGEABLE (--ksm), the loaded blocks must be too.
 */
int lazy_load__start(struct vm *vm, const struct lazy_seg *segs, unsigned nr, bool ksm,
		     struct lazy_load **out, char *why, size_t whylen) __must_check;

/*
 * Starts the threads that load the blocks and serve the guest's faults on
 * them (ll NULL or already going: nothing). Called once the vcpus are
 * started: a vcpu's fault waits in the userfaultfd until the fault thread
 * reads it, and vmm's own set-up does not share the CPUs with the loaders.
 */
void lazy_load__go(struct lazy_load *ll);

/*
 * Returns once every block is in RAM (ll NULL: at once), loading on the
 * calling thread the ones no other thread has taken yet: what reads guest
 * RAM through /proc/self/pagemap or KVM's dirty log (a snapshot, a
 * migration) calls it first, since a block not moved in yet looks empty
 * and its move is no guest write. Returns 0, or the first read error (a
 * block that failed is in RAM too, with zeros for what was not read).
 * ll stays in use: lazy_load__finish frees it. Needs the calling thread's
 * seccomp filter to allow pread64, mremap, ioctl (UFFDIO_WAKE, UFFDIO_COPY)
 * and futex.
 */
int lazy_load__wait(struct lazy_load *ll) __must_check;

/*
 * Waits for the threads lazy_load__go() started (every block is then in
 * RAM; without them, at teardown, the rest never loads) and frees ll
 * (NULL: nothing). A read
 * error while the guest runs was reported then, and stopped the VM with
 * VMM_ERR_INPUT (the block was given to the guest as zeros, so no vcpu
 * waits for it forever).
 */
void lazy_load__finish(struct lazy_load *ll);

#endif
