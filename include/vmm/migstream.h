#ifndef VMM_MIGSTREAM_H
#define VMM_MIGSTREAM_H

/*
 * The live-migration stream (docs/migration.md): the snapshot format's
 * sections (include/vmm/snapshot.h), carried over a socket instead of a
 * file. After the transport's authentication (vmm/migrate-net.c) the
 * source sends a stream header, then:
 *   1. the check batch: the config, host, vcpu, GIC and devices sections
 *      (what `vmm restore --check` reads), then MIG_SEC_CHECK; the
 *      destination answers MIG_SEC_REPLY (status 0, or the refusal);
 *   2. rounds of MIG_SEC_PAGES sections, each round ended by MIG_SEC_ROUND;
 *   3. the final batch: the last pages, the state sections of the paused
 *      VM, then MIG_SEC_COMMIT; the destination answers MIG_SEC_REPLY
 *      once the VM is built (status 0) or refused.
 * This file reads the stream, untrusted, from any byte source (a socket,
 * or a fuzzer's buffer), and keeps the destination's side of the protocol.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vmm/compiler.h"
#include "vmm/persist.h"

#define MIG_FORMAT_MAJOR	1
#define MIG_FORMAT_MINOR	0

/* Section ids of the stream alone, beside the snapshot's (enum snap_section_id). */
enum mig_section_id {
	MIG_SEC_PAGES = 0x40,	/* u64 gpa, then whole 4 KiB pages */
	MIG_SEC_CHECK = 0x41,	/* the check batch is complete (empty) */
	MIG_SEC_ROUND = 0x42,	/* u32 round: a round of pages is complete */
	MIG_SEC_COMMIT = 0x43,	/* u64 ns paused so far, u32 flags (MIG_COMMIT_*) */
	MIG_SEC_REPLY = 0x44,	/* u32 status, string: destination to source */
};
#define MIG_COMMIT_ADVANCE_CLOCK	1	/* the guest's counter moves by the downtime */

#define MIG_PAGE		4096
#define MIG_PAGES_MAX		64		/* pages in one MIG_SEC_PAGES */
#define MIG_SECTION_MAX		(256ULL << 20)	/* the longest payload read */

/* Reads exactly n bytes into buf: 0, or -1 (end of stream or error). */
typedef int (*mig_read_fn)(void *ctx, void *buf, size_t n);

struct mig_reader {
	mig_read_fn read;
	void *ctx;
	uint8_t *buf;		/* the last section: header, payload, padding */
	size_t cap;
	uint64_t bytes;		/* read so far */
};

/* A section read: data points into the reader's buffer until the next read. */
struct mig_section {
	uint32_t id, instance, version;
	const uint8_t *data;
	size_t len;
	const uint8_t *raw;	/* the section as framed: header, payload, padding */
	size_t raw_len;
};

void mig_reader__init(struct mig_reader *r, mig_read_fn read, void *ctx);
void mig_reader__free(struct mig_reader *r);
/* Encodes the stream header (SNAP_HEADER_SIZE bytes) into out. */
void mig__stream_header(uint8_t *out);
/*
 * Reads and checks the stream header, then one section with its CRCs and
 * padding. -2 (VMM_ERR_INPUT) with a one-line reason ("stream: ...") for a
 * corrupted or truncated stream.
 */
int mig__read_header(struct mig_reader *r, char *err, size_t errlen) __must_check;
int mig__read_section(struct mig_reader *r, struct mig_section *s, char *err, size_t errlen)
	__must_check;

/* Appends a framed section to b. */
void mig__put_section(struct pbuf *b, uint32_t id, uint32_t instance, uint32_t version,
		      const void *data, size_t len);
/* A MIG_SEC_REPLY's payload; false if it is not one. */
bool mig__parse_reply(const struct mig_section *s, int *status, char *text, size_t len);

/* ---- the destination's side ---- */

enum mig_event {
	MIG_EV_NONE = 0,	/* read the next section */
	MIG_EV_CHECK,		/* the check batch is complete: mig_dest__state() */
	MIG_EV_COMMIT,		/* the final batch is complete: mig_dest__state() */
};

struct mig_dest {
	uint8_t *ram;			/* guest RAM, once the check said yes */
	uint64_t ram_base, ram_size;
	bool checked, committed;
	struct pbuf state;		/* the batch being collected, as a state file */
	unsigned nr_state;
	uint64_t pages, rounds;		/* received */
	uint64_t paused_ns;		/* from the commit */
	uint32_t commit_flags;
};

void mig_dest__init(struct mig_dest *d);
void mig_dest__free(struct mig_dest *d);
/* After a yes to the check: where received pages go. */
void mig_dest__set_ram(struct mig_dest *d, uint8_t *ram, uint64_t base, uint64_t size);
/*
 * Takes one section; returns an event (>= 0) or -2 with why in err (a
 * section out of place, pages outside RAM, a bad marker).
 */
int mig_dest__take(struct mig_dest *d, const struct mig_section *s, char *err, size_t errlen)
	__must_check;
/*
 * The batch just completed, as a snapshot state file (snap__parse reads
 * it); the caller frees *state. The next batch starts empty.
 */
int mig_dest__state(struct mig_dest *d, uint8_t **state, size_t *len) __must_check;

#endif
