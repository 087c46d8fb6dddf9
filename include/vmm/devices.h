#ifndef VMM_DEVICES_H
#define VMM_DEVICES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vmm/compiler.h"

#include "vmm/config.h"

struct vm;
struct fdt_params;
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
	void (*fdt_node)(struct vm *vm, struct fdt_params *p);	/* describes itself */
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

extern const struct device_ops pl011_device;
extern const struct device_ops pl031_device;
extern const struct device_ops testdev_device;

int devices__init(struct vm *vm) __must_check;
void devices__exit(struct vm *vm);
/* Devices stop their I/O (finishing what is in flight) and start it again. */
void devices__pause(struct vm *vm);
void devices__resume(struct vm *vm);
void devices__fdt(struct vm *vm, struct fdt_params *p);
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
/* Adds a device node to the FDT parameters (no-op when full). */
void devices__add_fdt(struct fdt_params *p, const char *name, const char *compatible,
		      size_t compatible_len, uint64_t base, uint64_t size, int spi,
		      bool primecell_clocks);

#endif
