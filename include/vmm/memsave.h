#ifndef VMM_MEMSAVE_H
#define VMM_MEMSAVE_H

#include <stdbool.h>
#include <stdint.h>

#include "vmm/compiler.h"

/* What memsave__write() did, for the --debug line and the benchmarks. */
struct memsave_stats {
	uint64_t read;		/* bytes of RAM read: the pages that may hold data */
	uint64_t written;	/* bytes written: the read pages that are not zero */
	unsigned writes;	/* write calls (runs of non-zero pages) */
	double write_ms;	/* of the time taken, the time in those calls */
	bool pagemap;		/* /proc/self/pagemap told which pages were populated */
};

/*
 * Writes size bytes of guest RAM mapped at ram to fd, each at its own
 * offset, as runs of non-zero 4 KiB pages; zero pages stay holes and the
 * file is truncated to size. Pages the host never populated are known to
 * be zero without reading them: anonymous memory with no page behind it,
 * or, in a private file mapping (a restored VM), a page the VM never wrote
 * over a hole of the file. Returns 0 or -errno; stats may be NULL.
 */
int memsave__write(int fd, const void *ram, uint64_t size, struct memsave_stats *stats)
	__must_check;
/*
 * The same for only the 4 KiB pages set in the bitmap held (bit i: the page
 * at offset i * 4096; NULL: every page); the others are left holes and not
 * read (an increment's memory file, vmm/snapchain.c).
 */
int memsave__write_pages(int fd, const void *ram, uint64_t size, const uint64_t *held,
			 struct memsave_stats *stats) __must_check;

/*
 * Which 4 KiB pages of the size bytes of guest RAM at ram may hold data:
 * sets bit i of bitmap ((size / 4096 + 63) / 64 words, overwritten) unless
 * page i is known to be zero without reading it (never populated, as
 * memsave__write() tells), so no page is read or populated here. Whatever
 * cannot be told (no /proc/self/pagemap, RAM not on a host page) is set.
 * Returns the number of bits set, or -errno; *used_pagemap (may be NULL)
 * says whether pagemap told. The snapshot writer and the first round of a
 * live migration (vmm/migrate.c) both ask it.
 */
int64_t memsave__populated(const void *ram, uint64_t size, uint64_t *bitmap, bool *used_pagemap)
	__must_check;

#endif
