#ifndef VMM_DEVICES_H
#define VMM_DEVICES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vmm/compiler.h"

#include "vmm/config.h"

struct vm;
struct fdt_params;	/* vmm/fdt.h */
struct pbuf;
struct preader;
struct snap_writer;
struct snap_reader;

/*
 * A device model. Each device file defines one of these; vmm/devices.c
 * lists them in the order they are set up.
 */
struct device_ops {
	const char *name;
	/* Whether this VM has the device; NULL means always. */
	bool (*wanted)(const struct vm_config *cfg);
	int (*init)(struct vm *vm);			/* claims MMIO, starts threads */
	void (*exit)(struct vm *vm);
	/* Describes itself in the device tree (vmm/fdt.h). */
	int (*fdt_node)(struct vm *vm, struct fdt_params *p);
	/* Around a pause: stop and restart I/O (a snapshot is written between). */
	void (*pause)(struct vm *vm);
	void (*resume)(struct vm *vm);
	/* Persist pair (NULL when stateless); restore runs after init. */
	void (*save)(struct vm *vm, struct pbuf *b);
	int (*restore)(struct vm *vm, struct preader *r);
	/*
	 * A type with several devices (virtio): count of them, each with its
	 * own name and persist pair, and its own section.
	 */
	unsigned (*count)(struct vm *vm);
	const char *(*instance_name)(struct vm *vm, unsigned k);
	void (*save_one)(struct vm *vm, unsigned k, struct pbuf *b);
	int (*restore_one)(struct vm *vm, unsigned k, struct preader *r);
};

/*
 * Where a device sits: the arch lays out the guest's memory map and wires
 * the interrupt lines, and each device asks for its place when it is set up.
 */
enum device_kind {
	DEVICE_UART,		/* 0 the console; 1, 2 vmm exec's stdout and stderr */
	DEVICE_RTC,
	DEVICE_TESTDEV,
	DEVICE_EXEC_DOORBELL,	/* vmm exec's exit doorbell (no device-tree node) */
	DEVICE_VIRTIO_MMIO,	/* one place per slot */
};

struct device_place {
	uint64_t base, size;	/* the device's MMIO range */
	int irq;		/* its interrupt line (arch__set_spi, arch__irqfd_gsi), or -1 */
};

/*
 * The place of the index-th device of a kind (index 0 for the single ones).
 * Returns 0, or -ENOSPC when the memory map has no room that far.
 */
int arch__device_place(enum device_kind kind, unsigned index, struct device_place *out)
	__must_check;

extern const struct device_ops pl011_device;
extern const struct device_ops pl031_device;
extern const struct device_ops testdev_device;
extern const struct device_ops exec_doorbell_device;

int devices__init(struct vm *vm) __must_check;
void devices__exit(struct vm *vm);
/* Devices stop their I/O (finishing what is in flight) and start it again. */
void devices__pause(struct vm *vm);
void devices__resume(struct vm *vm);
/* Each device's node; 0 or the first error. */
int devices__fdt(struct vm *vm, struct fdt_params *p) __must_check;
/*
 * Adds one SNAP_SEC_DEVICE section per device with state, keyed by device
 * type and instance (devcfg__device_key); restore also reads the format
 * 1.0 keys (docs/snapshot.md).
 */
int devices__save(struct vm *vm, struct snap_writer *w) __must_check;
/* Restores each device from its section; -2 with the device named in err. */
int devices__restore(struct vm *vm, const struct snap_reader *r, char *err, size_t errlen)
	__must_check;

/* Bytes typed on the console, for the UART. */
void pl011__input(const uint8_t *buf, size_t len);
#endif
