/*
 * Guest physical memory: the one bounds check (see vmm/guest-mem.h).
 */
#include <endian.h>
#include <errno.h>
#include <string.h>

#include "vmm/dirty.h"
#include "vmm/guest-mem.h"

void guest_mem__init(struct guest_mem *m, void *host, uint64_t base, uint64_t size)
{
	m->host = host;
	m->base = base;
	m->size = host ? size : 0;
	m->dirty = NULL;
}

void *guest_mem__ptr(const struct guest_mem *m, uint64_t gpa, uint64_t len)
{
	uint64_t off;

	if (!m->host || gpa < m->base)
		return NULL;
	off = gpa - m->base;
	if (off > m->size || len > m->size - off)
		return NULL;
	return m->host + off;
}

/*
 * Dirty marking lives here, beside the writes it follows, so that every user
 * of guest memory links it (the rest of dirty tracking is vmm/dirty.c).
 * Release: a collector that takes the bit (acquire) then sees the data.
 */
void dirty__mark(const struct guest_mem *m, uint64_t gpa, uint64_t len)
{
	struct dirty_log *log = m->dirty;
	uint64_t first, last, end;

	if (!log || !len || !__atomic_load_n(&log->on, __ATOMIC_ACQUIRE))
		return;
	end = log->pages << DIRTY_PAGE_SHIFT;
	if (gpa < log->base || gpa - log->base >= end)
		return;		/* outside RAM: nothing of it to mark (only a part is clipped) */
	first = (gpa - log->base) >> DIRTY_PAGE_SHIFT;
	last = (len - 1 > end - 1 - (gpa - log->base) ? end - 1 : gpa - log->base + len - 1)
	       >> DIRTY_PAGE_SHIFT;
	for (uint64_t w = first / 64; w <= last / 64; w++) {
		uint64_t lo = w == first / 64 ? first % 64 : 0;
		uint64_t hi = w == last / 64 ? last % 64 : 63;
		uint64_t mask = (~0ULL >> (63 - hi)) & (~0ULL << lo);

		__atomic_fetch_or(&log->bits[w], mask, __ATOMIC_RELEASE);
	}
}

static bool aligned(const void *p, size_t n)
{
	return !((uintptr_t)p & (n - 1));
}

/*
 * The little-endian load and store of one width: one relaxed atomic access
 * when aligned (a ring index the guest updates is never torn), else memcpy.
 */
#define GUEST_MEM_ACCESSORS(bits)							\
int guest_mem__read##bits(const struct guest_mem *m, uint64_t gpa, uint##bits##_t *v)	\
{											\
	uint##bits##_t *p = guest_mem__ptr(m, gpa, sizeof(*v));				\
	uint##bits##_t x;								\
											\
	if (!p)										\
		return -EFAULT;								\
	if (aligned(p, sizeof(x)))							\
		x = __atomic_load_n(p, __ATOMIC_RELAXED);				\
	else										\
		memcpy(&x, p, sizeof(x));						\
	*v = le##bits##toh(x);								\
	return 0;									\
}											\
											\
int guest_mem__write##bits(const struct guest_mem *m, uint64_t gpa, uint##bits##_t v)	\
{											\
	uint##bits##_t *p = guest_mem__ptr(m, gpa, sizeof(v));				\
	uint##bits##_t x = htole##bits(v);						\
											\
	if (!p)										\
		return -EFAULT;								\
	if (aligned(p, sizeof(x)))							\
		__atomic_store_n(p, x, __ATOMIC_RELAXED);				\
	else										\
		memcpy(p, &x, sizeof(x));						\
	dirty__mark(m, gpa, sizeof(v));							\
	return 0;									\
}

GUEST_MEM_ACCESSORS(16)
GUEST_MEM_ACCESSORS(32)
GUEST_MEM_ACCESSORS(64)
