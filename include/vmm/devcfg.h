#ifndef VMM_DEVCFG_H
#define VMM_DEVCFG_H

/*
 * The devices of a snapshot (vmm/devcfg.c): the SNAP_SEC_DEVICES section,
 * which lists the devices the VM was started with, and the stable keys of
 * the device sections (docs/snapshot.md).
 */
#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vmm/compiler.h"
#include "vmm/config.h"

struct pbuf;
struct snap_reader;

/* The SNAP_SEC_DEVICES section. A snapshot without it has no virtio device. */
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

int devcfg__save(const struct vm_config *cfg, struct pbuf *b) __must_check;
/* -2 with the field named in err. */
int devcfg__parse(const struct snap_reader *r, struct saved_devices *d, char *err, size_t errlen)
	__must_check;
/* Each disk is there, openable as saved (ro or rw) and of the saved size; -2 if not. */
int devcfg__check_disks(const struct saved_devices *d, char *err, size_t errlen)
	__must_check;
/* Fills the device fields of cfg (pointing into d). */
void devcfg__to_config(const struct saved_devices *d, struct vm_config *cfg);

/*
 * The SNAP_SEC_DEVICE instance of the n-th device named name (in slot
 * order) in format 1.1: SNAP_DEVICE_KEY of its type. 0 (never a 1.1 key)
 * for a device name that has no snapshot type.
 */
uint32_t devcfg__device_key(const char *name, unsigned n);
/*
 * The instance format 1.0 gave the device named name (a virtio one in
 * virtio slot slot), whatever vmm/devices.c's table now holds.
 */
uint32_t devcfg__device_key_1_0(const char *name, unsigned slot);

#endif
