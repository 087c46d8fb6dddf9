#ifndef VMM_VMSTATE_H
#define VMM_VMSTATE_H

/* Pausing, snapshotting and restoring a whole VM (docs/snapshot.md). */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <limits.h>

#include "vmm/compiler.h"

#include "vmm/config.h"
#include "arm64/sve.h"

struct vm;
struct snap_reader;

/*
 * The SNAP_SEC_DEVICES section: the devices the VM was started with. A
 * snapshot without it (from before virtio) has none of them.
 */
struct saved_devices {
	enum console_kind console;
	bool rng;
	uint32_t nr_disks, nr_nets;
	struct {
		char path[PATH_MAX];
		bool ro;
		uint64_t size;		/* bytes, when the snapshot was taken */
	} disks[VMM_MAX_DISKS];
	struct {
		char tap[16];
		uint8_t mac[6];
	} nets[VMM_MAX_NETS];
};

/* The SNAP_SEC_CONFIG section: what it takes to rebuild the VM. */
struct vm_saved_config {
	uint32_t nr_vcpus;
	uint64_t ram_size;
	uint32_t ipa_bits;
	vq_mask_t sve_set;
	uint32_t features[7];
	bool pmu, testdev, ptrauth;
	uint32_t gic_version, gic_nr_irqs;
	char name[64];
	struct saved_devices dev;	/* from SNAP_SEC_DEVICES */
};

#define VM_CONFIG_VERSION 1

/* Each returns an exit status (0 ok) and a reply text in out. */
int vmstate__pause(struct vm *vm, char *out, size_t outlen);
int vmstate__resume(struct vm *vm, char *out, size_t outlen);
int vmstate__snapshot(struct vm *vm, const char *dir, bool stop, char *out, size_t outlen);

/* Reads the config section; -2 with the field named in err. */
int vmstate__parse_config(const struct snap_reader *r, struct vm_saved_config *c,
			  char *err, size_t errlen);

/* vmm/devcfg.c: the SNAP_SEC_DEVICES section */
struct pbuf;
int devcfg__save(const struct vm_config *cfg, struct pbuf *b) __must_check;
/* -2 with the field named in err. */
int devcfg__parse(const struct snap_reader *r, struct saved_devices *d, char *err, size_t errlen)
	__must_check;
/* Each disk is there, openable as saved (ro or rw) and of the saved size; -2 if not. */
int devcfg__check_disks(const struct saved_devices *d, char *err, size_t errlen)
	__must_check;
/* Fills the device fields of cfg (pointing into d). */
void devcfg__to_config(const struct saved_devices *d, struct vm_config *cfg);

/* The memory file at path exists and holds size bytes; -2 with why in err. */
int vmstate__check_memory(const char *path, uint64_t size, char *err, size_t errlen);

#endif
