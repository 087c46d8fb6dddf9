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

/*
 * The SNAP_SEC_DEVICES section. A snapshot without it has no virtio device.
 * Version 2 adds the saving host's boot id and each disk's device and
 * inode (the disk's size alone does not tell one file from another).
 */
struct saved_devices {
	enum console_kind console;
	bool rng;
	uint32_t nr_disks, nr_nets;
	char boot_id[40];		/* "" in version 1 */
	struct {
		char path[PATH_MAX];
		bool ro;
		uint64_t size;		/* bytes, when the snapshot was taken */
		uint64_t dev, ino;	/* version 2; 0 in version 1 */
	} disks[VMM_MAX_DISKS];
	struct {
		char tap[16];
		uint8_t mac[6];
	} nets[VMM_MAX_NETS];
	/* What restore requires of each disk (devcfg__expect). */
	struct disk_expect expect[VMM_MAX_DISKS];
};

/* The backing `vmm restore -d PATH[,ro] -n tap=NAME` names, in device order. */
struct restore_backing {
	unsigned nr_disks, nr_nets;
	struct disk_config disks[VMM_MAX_DISKS];
	const char *taps[VMM_MAX_NETS];
};

int devcfg__save(const struct vm_config *cfg, struct pbuf *b) __must_check;
/* -2 with the field named in err. */
int devcfg__parse(const struct snap_reader *r, struct saved_devices *d, char *err, size_t errlen)
	__must_check;
/*
 * What restore requires of each disk: the backing named with -d and -n
 * (b, NULL for none) replaces the snapshot's, in order, with the same
 * read-only flag; boot_id is this boot's (the same boot then also requires
 * the same device and inode). -2 with why in err.
 */
int devcfg__expect(struct saved_devices *d, const struct restore_backing *b, const char *boot_id,
		   char *err, size_t errlen) __must_check;
/*
 * Each disk opens as devcfg__expect requires (vmm/saved-open.c); -2 naming
 * the path and why if not.
 */
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
