#ifndef VMM_VMSTATE_H
#define VMM_VMSTATE_H

/* Pausing, snapshotting and restoring a whole VM (docs/snapshot.md). */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vmm/compiler.h"

#include "vmm/config.h"
#include "vmm/devcfg.h"
#include "arch/snapshot-arch.h"

struct vm;
struct pbuf;
struct preader;
struct snap_reader;
struct snap_writer;

/* The SNAP_SEC_CONFIG section: what it takes to rebuild the VM. */
struct vm_saved_config {
	uint32_t nr_vcpus;
	uint64_t ram_size;
	uint32_t ipa_bits;
	bool testdev;
	struct arch_saved_config arch;	/* the arch's fields (arch/snapshot-arch.h) */
	char name[VMM_NAME_MAX + 1];
	struct saved_devices dev;	/* from SNAP_SEC_DEVICES */
};

/* Bits of the config section's flags word that are not the arch's. */
#define VMSTATE_CFG_TESTDEV	2

/* Each returns an exit status (0 ok) and a reply text in out. */
int vmstate__pause(struct vm *vm, char *out, size_t outlen);
int vmstate__resume(struct vm *vm, char *out, size_t outlen);
int vmstate__snapshot(struct vm *vm, const char *dir, bool stop, char *out, size_t outlen);
/*
 * The same, as an increment on base (NULL: a full snapshot): base must be
 * the VM's latest snapshot (docs/snapshot.md, "Incremental snapshots").
 */
int vmstate__snapshot_on(struct vm *vm, const char *dir, const char *base, bool stop,
			 char *out, size_t outlen);

/*
 * Adds every section but memory (config, host, vcpus, GIC, devices) to w;
 * the VM paused. A snapshot and a migration write the same sections.
 */
int vmstate__save_state(struct vm *vm, struct snap_writer *w) __must_check;
/* Writes the config section of a running VM. */
void vmstate__encode_config(const struct vm *vm, struct pbuf *b);
/*
 * Checks every section's version (snap__check_versions), then reads the
 * config section and the devices section; -2 with the field named in err.
 */
int vmstate__parse_config(const struct snap_reader *r, struct vm_saved_config *c,
			  char *err, size_t errlen);

/*
 * Opens the memory file at path read-only: a regular file (never a symlink
 * or a FIFO) of size bytes. Returns the fd, or -2 with why in err.
 */
int vmstate__open_memory(const char *path, uint64_t size, char *err, size_t errlen)
	__must_check;
/*
 * After KVM_RUN failed with EFAULT: true (and says so once, naming the
 * file) when the memory file a restored VM maps has lost pages under it,
 * which ends the VM with exit status 1 (vmm/restore.c).
 */
bool vmstate__memory_lost(void);

/*
 * Adds a section with b's bytes (frees b either way); says why on stderr
 * when it fails.
 */
int vmstate__add_pbuf(struct snap_writer *w, uint32_t id, uint32_t instance, uint32_t version,
		      struct pbuf *b) __must_check;

/*
 * Hooks each architecture provides for snapshots (arm64/snapshot*.c), in
 * the order vmm calls them. Errors are -2 (bad input) or -3 (this host
 * cannot) with one line in err, or -1.
 */
/* Config section: the arch's fields, between the IPA size and the name. */
void arch__save_config(const struct vm *vm, uint32_t flags, struct pbuf *b);
/* Reads what arch__save_config wrote; returns the flags word. */
uint32_t arch__read_config(struct preader *p, struct arch_saved_config *a);
/* The first field of c that this arch cannot take ("vcpu count", ...), or NULL. */
const char *arch__check_config(const struct vm_saved_config *c);
/* Adds the host section (what the host could give; informational). */
int arch__save_host(struct snap_writer *w) __must_check;
/* Adds the vcpu sections and the interrupt controller's, the VM paused. */
int arch__save_state(struct vm *vm, struct snap_writer *w) __must_check;
/* Reads the vcpu and interrupt controller sections that c needs. */
int arch__read_saved(const struct snap_reader *r, const struct vm_saved_config *c,
		     struct arch_saved_state *st, char *err, size_t errlen) __must_check;
void arch__free_saved(struct arch_saved_state *st);
/* This host can give what the snapshot needs (-3 naming what it cannot). */
int arch__restore_check(struct vm *vm, const struct vm_saved_config *c,
			const struct arch_saved_state *st, char *err, size_t errlen)
	__must_check;
/* The arch's part of the config to rebuild the VM with. */
void arch__config_from_saved(const struct arch_saved_config *a, struct arch_config *cfg);
/* Before the VM is created: what the vcpus are to be initialised with. */
void arch__restore_prepare(struct vm *vm, const struct arch_saved_config *a);
/* After every vcpu is created and the VM finished: registers, then the GIC. */
int arch__restore_state(struct vm *vm, const struct arch_saved_state *st, char *err,
			size_t errlen) __must_check;
/* `vmm snapshot-info`: the saving host, the arch's config, every register. */
void arch__info_host(const struct snap_reader *r, bool json);
void arch__info_config(const struct arch_saved_config *a, bool json);
void arch__info_regs(const struct snap_reader *r, unsigned nr_vcpus);

#endif
