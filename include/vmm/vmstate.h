#ifndef VMM_VMSTATE_H
#define VMM_VMSTATE_H

/* Pausing, snapshotting and restoring a whole VM (docs/snapshot.md). */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <limits.h>

#include "vmm/compiler.h"

#include "vmm/config.h"
#include "vmm/devcfg.h"
#include "arm64/sve.h"

struct vm;
struct snap_reader;

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

/* Each returns an exit status (0 ok) and a reply text in out. */
int vmstate__pause(struct vm *vm, char *out, size_t outlen);
int vmstate__resume(struct vm *vm, char *out, size_t outlen);
int vmstate__snapshot(struct vm *vm, const char *dir, bool stop, char *out, size_t outlen);

/* Reads the config section; -2 with the field named in err. */
int vmstate__parse_config(const struct snap_reader *r, struct vm_saved_config *c,
			  char *err, size_t errlen);

/* The memory file at path exists and holds size bytes; -2 with why in err. */
int vmstate__check_memory(const char *path, uint64_t size, char *err, size_t errlen);

/* `vmm restore` and `vmm snapshot-info` */
int restore__main(int argc, char **argv);
int snapinfo__main(int argc, char **argv);

#endif
