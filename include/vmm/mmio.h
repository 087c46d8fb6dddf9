#ifndef VMM_MMIO_H
#define VMM_MMIO_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "vmm/util.h"

/*
 * The MMIO bus: guest-physical ranges claimed by devices. A vcpu's MMIO
 * exit is dispatched to the region that holds the whole access.
 */
struct mmio_region;

/* Handles one access of len bytes (1, 2, 4 or 8) at offset from the region base. */
typedef void (*mmio_handler_t)(struct mmio_region *region, uint64_t offset,
			       uint8_t *data, uint32_t len, bool is_write);

struct mmio_region {
	uint64_t base, size;
	mmio_handler_t handler;
	void *dev;		/* the device that owns the region */
	const char *name;
};

#define MMIO_MAX_REGIONS 64

struct mmio_bus {
	pthread_rwlock_t lock;
	unsigned count;
	struct mmio_region regions[MMIO_MAX_REGIONS];	/* sorted by base */
};

void mmio__init(struct mmio_bus *bus);
/* Returns 0, -EEXIST when the range overlaps another, -EINVAL or -ENOSPC. */
int mmio__register(struct mmio_bus *bus, uint64_t base, uint64_t size,
		   mmio_handler_t handler, void *dev, const char *name) __must_check;
/* The region that holds [addr, addr + len), or NULL. */
struct mmio_region *mmio__find(struct mmio_bus *bus, uint64_t addr, uint32_t len);
/*
 * Runs the access. An unclaimed read returns zeros and an unclaimed write
 * is dropped (logged with --debug). Returns false when unclaimed.
 */
bool mmio__dispatch(struct mmio_bus *bus, uint64_t addr, uint8_t *data,
		    uint32_t len, bool is_write);

/* Little-endian helpers for handlers. */
static inline uint64_t mmio__get(const uint8_t *data, uint32_t len)
{
	return get_le(data, len < 8 ? len : 8);
}

static inline void mmio__put(uint8_t *data, uint32_t len, uint64_t v)
{
	put_le(data, v, len < 8 ? len : 8);
}

#endif
