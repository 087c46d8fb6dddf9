#ifndef VMM_SNAPCHAIN_H
#define VMM_SNAPCHAIN_H

/*
 * Incremental snapshots (docs/snapshot.md, "Incremental snapshots"). Every
 * snapshot this vmm writes has a chain section: a random id, and for an
 * increment its base's id and path, its depth, and a bitmap of the pages
 * its memory file holds. A full snapshot is depth 0 and holds every page in
 * `memory`; an increment holds only the pages dirtied since its base, in
 * `memory-incr` (sparse: a held page that is zero is a hole; a page it does
 * not hold is its base's). `vmm restore` follows the chain down to the full
 * snapshot and lays the increments over it, oldest first.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vmm/compiler.h"

struct pbuf;
struct snap_reader;
struct snap_section;

#define SNAP_ID_BYTES		16
#define SNAP_CHAIN_MAX		64	/* increments on one full snapshot */
#define SNAP_BASE_PATH_MAX	4095	/* bytes of a base's path */

/* The chain section of one snapshot. */
struct snap_chain {
	uint8_t id[SNAP_ID_BYTES];
	uint8_t base_id[SNAP_ID_BYTES];	/* all zero in a full snapshot */
	uint32_t depth;			/* 0 full; n: the n-th increment on it */
	char *base_path;		/* the base's directory, absolute ("" when full) */
	uint64_t pages;			/* 4 KiB pages of guest RAM */
	uint64_t *held;			/* an increment's pages (NULL when full: every page) */
	uint64_t nr_held;		/* bits set in held */
};

/* ---- the section (pure: unit tested and fuzzed) ---- */

void snapchain__encode(const struct snap_chain *c, struct pbuf *b);
/*
 * Parses a chain section's payload for a VM of ram_size bytes: -2 with the
 * field named in err when it is not a valid one (c is then empty), -1 out
 * of memory. snapchain__free() after success.
 */
int snapchain__parse(const uint8_t *data, size_t len, uint64_t ram_size, struct snap_chain *c,
		     char *err, size_t errlen) __must_check;
void snapchain__free(struct snap_chain *c);
/*
 * The chain section of r (0), none (1: a snapshot of an older vmm, which is
 * full and has no id), or -2/-1 as snapchain__parse, naming the section.
 */
int snapchain__read(const struct snap_reader *r, uint64_t ram_size, struct snap_chain *c,
		    char *err, size_t errlen) __must_check;
/* The id as 32 hex digits (out: 33 bytes). */
void snapchain__id_hex(const uint8_t id[SNAP_ID_BYTES], char out[2 * SNAP_ID_BYTES + 1]);

/* ---- following a chain (restore, snapshot-info) ---- */

/* One snapshot of a chain, from the newest (0) to the full one. */
struct snap_link {
	char *dir;
	struct snap_chain chain;
};

struct snap_links {
	struct snap_link link[SNAP_CHAIN_MAX + 1];
	unsigned nr;
};

/*
 * Follows the chain of the snapshot r (already parsed and its config read)
 * down to its full snapshot: each base is found at the path recorded, or
 * else beside the increment's directory under the same name; it must be a
 * snapshot whose id is the recorded base id, one depth lower, of the same
 * memory size. links[0] is r itself (a snapshot without a chain section is
 * full, alone). -2 with one line in err for a broken chain (a base missing,
 * another id, damaged; the chain section of r damaged), -1 internal.
 */
int snapchain__follow(const struct snap_reader *r, uint64_t ram_size, struct snap_links *links,
		      char *err, size_t errlen) __must_check;
void snapchain__free_links(struct snap_links *links);
/*
 * Opens the memory file of links[i], read-only: `memory` of the full
 * snapshot, `memory-incr` of an increment, of ram_size bytes. A base (i >
 * 0) is a directory the snapshot named: opened as saved_open__regular
 * does. Returns the fd, or -2 with one line in err.
 */
int snapchain__open_memory(const struct snap_links *links, unsigned i, uint64_t ram_size,
			   char *err, size_t errlen) __must_check;

/*
 * Lays the increments of links (links[nr - 2] .. links[0]) over RAM that
 * holds the full snapshot's memory: each held page read from the
 * increment's memory-incr. 0, or -2 with why in err.
 */
int snapchain__apply(const struct snap_links *links, uint8_t *ram, uint64_t ram_size,
		     char *err, size_t errlen) __must_check;

#endif
