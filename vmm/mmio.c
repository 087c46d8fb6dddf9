#include <errno.h>
#include <string.h>

#include "vmm/mmio.h"

void mmio__init(struct mmio_bus *bus)
{
	memset(bus, 0, sizeof(*bus));
	pthread_rwlock_init(&bus->lock, NULL);
}

static bool overlaps(const struct mmio_region *r, uint64_t base, uint64_t size)
{
	return base < r->base + r->size && r->base < base + size;
}

int mmio__register(struct mmio_bus *bus, uint64_t base, uint64_t size,
		   mmio_handler_t handler, void *dev, const char *name)
{
	unsigned i, pos;
	int err = 0;

	if (!size || !handler || base + size < base)
		return -EINVAL;
	pthread_rwlock_wrlock(&bus->lock);
	if (bus->count == MMIO_MAX_REGIONS) {
		err = -ENOSPC;
		goto out;
	}
	for (pos = 0; pos < bus->count && bus->regions[pos].base < base; pos++)
		;
	for (i = 0; i < bus->count; i++) {
		if (overlaps(&bus->regions[i], base, size)) {
			err = -EEXIST;
			goto out;
		}
	}
	memmove(&bus->regions[pos + 1], &bus->regions[pos],
		(bus->count - pos) * sizeof(bus->regions[0]));
	bus->regions[pos] = (struct mmio_region){
		.base = base, .size = size, .handler = handler, .dev = dev, .name = name,
	};
	bus->count++;
out:
	pthread_rwlock_unlock(&bus->lock);
	return err;
}

/* Binary search over the sorted regions; the caller holds the lock. */
static struct mmio_region *find_locked(struct mmio_bus *bus, uint64_t addr, uint32_t len)
{
	unsigned lo = 0, hi = bus->count;

	while (lo < hi) {
		unsigned mid = lo + (hi - lo) / 2;
		struct mmio_region *r = &bus->regions[mid];

		if (addr < r->base) {
			hi = mid;
		} else if (addr - r->base >= r->size) {
			lo = mid + 1;
		} else {
			/* The access must not run past the region's end. */
			return len <= r->size - (addr - r->base) ? r : NULL;
		}
	}
	return NULL;
}

struct mmio_region *mmio__find(struct mmio_bus *bus, uint64_t addr, uint32_t len)
{
	struct mmio_region *r;

	pthread_rwlock_rdlock(&bus->lock);
	r = find_locked(bus, addr, len);
	pthread_rwlock_unlock(&bus->lock);
	return r;
}

bool mmio__dispatch(struct mmio_bus *bus, uint64_t addr, uint8_t *data,
		    uint32_t len, bool is_write)
{
	struct mmio_region *r;

	pthread_rwlock_rdlock(&bus->lock);
	r = find_locked(bus, addr, len);
	if (r)
		r->handler(r, addr - r->base, data, len, is_write);
	pthread_rwlock_unlock(&bus->lock);
	if (r)
		return true;
	pr_debug("unclaimed MMIO %s of %u bytes at 0x%llx", is_write ? "write" : "read",
		 len, (unsigned long long)addr);
	if (!is_write)
		memset(data, 0, len);
	return false;
}
