#ifndef VMM_SNAPSHOT_H
#define VMM_SNAPSHOT_H

/*
 * The snapshot container (docs/snapshot.md). A snapshot is a directory:
 *   state   header (magic "VMMSNAP\0" + "ARM64\0\0\0", format major.minor),
 *           then sections {id, instance, version, length, payload, crc32}
 *   memory  guest RAM, raw, page-aligned; pages of zeros are holes
 * Everything is written into a temporary directory beside DIR, fsynced,
 * then renamed to DIR: a failure or a kill leaves no partial DIR.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vmm/compiler.h"

/*
 * The format this vmm writes. 1.1 keys device sections by device type and
 * instance (SNAP_DEVICE_KEY); 1.0 keyed them by table index and is still
 * read (docs/snapshot.md, "Versions").
 */
#define SNAP_FORMAT_MAJOR	1
#define SNAP_FORMAT_MINOR	1

/* Section ids. A reader skips ids it does not know (optional sections). */
enum snap_section_id {
	SNAP_SEC_CONFIG = 1,	/* the VM config needed to rebuild it */
	SNAP_SEC_HOST = 2,	/* caps of the host it was saved on (informational) */
	SNAP_SEC_VCPU = 3,	/* one per vcpu (instance = vcpu id) */
	SNAP_SEC_GIC = 4,	/* the vGICv3 */
	SNAP_SEC_DEVICE = 5,	/* one per device (instance = SNAP_DEVICE_KEY) */
	SNAP_SEC_MEMORY = 6,	/* format 1.0 only: the memory size (read, not written) */
	SNAP_SEC_DEVICES = 7,	/* the devices asked for: console, disks, nets, rng */
	SNAP_SEC_CPU_PLAN = 8,	/* the --cpu-plan file the VM was started with (optional) */
	SNAP_SEC_CHAIN = 9,	/* the snapshot's id; an increment's base and pages */
};

/*
 * Each section's payload version: the writer writes it and the reader
 * refuses any other (snap__check_versions). A component that changes its
 * payload bumps its constant here and, to read old snapshots, lowers the
 * oldest one snapshot.c accepts.
 */
#define SNAP_VER_CONFIG		1
#define SNAP_VER_HOST		1
#define SNAP_VER_VCPU		2
#define SNAP_VER_GIC		1
#define SNAP_VER_DEVICE		1
#define SNAP_VER_MEMORY		1
#define SNAP_VER_DEVICES	2	/* 2: the boot id, each disk's device and inode */
#define SNAP_VER_CPU_PLAN	1
#define SNAP_VER_CHAIN		1

/*
 * Device section instances (format 1.1): the device type in the high 16
 * bits, the instance of that type (0, 1, ... in slot order) in the low 16.
 * Types are fixed numbers, never reused; a virtio device's is 0x100 plus
 * its virtio device id.
 */
enum snap_device_type {
	SNAP_DEV_PL011 = 1,
	SNAP_DEV_PL031 = 2,
	SNAP_DEV_TESTDEV = 3,
	SNAP_DEV_VIRTIO = 0x100,	/* + VIRTIO_ID_* */
};
#define SNAP_DEVICE_KEY(type, n)	((uint32_t)(type) << 16 | (uint32_t)(n))

struct snap_writer;
struct memsave_stats;
struct snap_section;

/*
 * The framing, shared with the migration stream (vmm/migstream.c), which
 * carries the same sections over a socket: a 32-byte header (magic, arch,
 * major, minor, section count, CRC), then sections of a 32-byte header
 * (id, instance, version, 0, length, payload CRC, header CRC), the payload
 * and zeros up to a multiple of 8 bytes.
 */
#define SNAP_HEADER_SIZE	32
#define SNAP_SEC_HEADER_SIZE	32
uint32_t snap__crc(const void *data, size_t n);
/* The zeros after a payload of len bytes. */
size_t snap__pad_len(uint64_t len);
/* A state file's header for nr_sections sections. */
void snap__state_header(uint8_t out[SNAP_HEADER_SIZE], unsigned nr_sections);
/* A section's header for the payload data (len bytes). */
void snap__section_header(uint8_t out[SNAP_SEC_HEADER_SIZE], uint32_t id, uint32_t instance,
			  uint32_t version, const void *data, uint64_t len);
/*
 * Decodes a section header into s's id, instance and version, *len and the
 * payload's CRC; false when the header's own CRC does not match.
 */
bool snap__read_section_header(const uint8_t in[SNAP_SEC_HEADER_SIZE], struct snap_section *s,
			       uint64_t *len, uint32_t *payload_crc);

/*
 * Starts a snapshot that will become dir. Fails with -EEXIST when dir
 * exists, or -errno. The temporary directory is dir's parent.
 */
int snap__begin(const char *dir, struct snap_writer **w) __must_check;
/*
 * A writer that only collects sections in memory (snap__sections), for
 * the migration stream: no directory, no memory file; snap__abort frees it.
 */
int snap__begin_memory(struct snap_writer **w) __must_check;
/* The encoded sections added so far (*len bytes, *nr of them). */
const uint8_t *snap__sections(const struct snap_writer *w, size_t *len, unsigned *nr);
/* Adds a section (the payload is copied). */
int snap__add(struct snap_writer *w, uint32_t id, uint32_t instance, uint32_t version,
	      const void *data, size_t len) __must_check;
/*
 * Writes the memory file: size bytes of guest RAM, zero pages left as holes
 * (vmm/memsave.c); what it did goes to stats unless NULL.
 */
int snap__write_memory(struct snap_writer *w, const void *ram, uint64_t size,
		       struct memsave_stats *stats) __must_check;
/*
 * An increment's memory file instead (memory-incr): only the pages set in
 * held (a 4 KiB-page bitmap) are written, zero ones as holes, the rest
 * left holes too (the chain section says which pages it holds).
 */
int snap__write_memory_pages(struct snap_writer *w, const void *ram, uint64_t size,
			     const uint64_t *held, struct memsave_stats *stats) __must_check;
/* Writes state, fsyncs everything, renames into place. Frees w either way. */
int snap__commit(struct snap_writer *w) __must_check;
/* Removes the temporary directory and frees w. */
void snap__abort(struct snap_writer *w);

struct snap_section {
	uint32_t id, instance, version;
	const uint8_t *data;
	size_t len;
};

struct snap_reader {
	char *dir;
	uint8_t *state;			/* the whole state file */
	size_t state_len;
	uint32_t major, minor;
	unsigned nr_sections;
	struct snap_section *sections;
};

/*
 * Opens dir/state and checks the magic, the format version and every
 * section's bounds and CRC. On failure returns -2 (VMM_ERR_INPUT) with a
 * one-line reason naming the section (e.g. "section 3 (vcpu 1): CRC
 * mismatch") in err, or -1 for an internal failure.
 */
int snap__open(const char *dir, struct snap_reader *r, char *err, size_t errlen)
	__must_check;
/* Parses a state file already in memory (what snap__open and the fuzzer use). */
int snap__parse(const uint8_t *state, size_t len, struct snap_reader *r, char *err,
		size_t errlen) __must_check;
/* The section with this id and instance, or NULL. */
const struct snap_section *snap__find(const struct snap_reader *r, uint32_t id,
				      uint32_t instance);
/*
 * Every section whose id this vmm knows has a version it reads; -2 with
 * "state: section 3 (vcpu 1): version 2, this vmm reads version 1" in err
 * if not. Sections of unknown ids are not checked (they are skipped).
 */
int snap__check_versions(const struct snap_reader *r, char *err, size_t errlen)
	__must_check;
/* "config", "vcpu", ... for messages. */
const char *snap__section_name(uint32_t id);
void snap__close(struct snap_reader *r);

/* The path of the memory file of a snapshot directory (malloc'd). */
char *snap__memory_path(const char *dir);
/* The path of an increment's memory file (malloc'd). */
char *snap__memory_incr_path(const char *dir);

#endif
