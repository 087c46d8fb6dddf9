/*
 * Guest physical memory: the one bounds check (see vmm/guest-mem.h).
 */
#include <endian.h>
#include <errno.h>
#include <string.h>

#include "vmm/guest-mem.h"

void guest_mem__init(struct guest_mem *m, void *host, uint64_t base, uint64_t size)
{
	m->host = host;
	m->base = base;
	m->size = host ? size : 0;
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

static bool aligned(const void *p, size_t n)
{
	return !((uintptr_t)p & (n - 1));
}

int guest_mem__read16(const struct guest_mem *m, uint64_t gpa, uint16_t *v)
{
	uint16_t *p = guest_mem__ptr(m, gpa, sizeof(*v));
	uint16_t x;

	if (!p)
		return -EFAULT;
	if (aligned(p, sizeof(x)))
		x = __atomic_load_n(p, __ATOMIC_RELAXED);
	else
		memcpy(&x, p, sizeof(x));
	*v = le16toh(x);
	return 0;
}

int guest_mem__read32(const struct guest_mem *m, uint64_t gpa, uint32_t *v)
{
	uint32_t *p = guest_mem__ptr(m, gpa, sizeof(*v));
	uint32_t x;

	if (!p)
		return -EFAULT;
	if (aligned(p, sizeof(x)))
		x = __atomic_load_n(p, __ATOMIC_RELAXED);
	else
		memcpy(&x, p, sizeof(x));
	*v = le32toh(x);
	return 0;
}

int guest_mem__read64(const struct guest_mem *m, uint64_t gpa, uint64_t *v)
{
	uint64_t *p = guest_mem__ptr(m, gpa, sizeof(*v));
	uint64_t x;

	if (!p)
		return -EFAULT;
	if (aligned(p, sizeof(x)))
		x = __atomic_load_n(p, __ATOMIC_RELAXED);
	else
		memcpy(&x, p, sizeof(x));
	*v = le64toh(x);
	return 0;
}

int guest_mem__write16(const struct guest_mem *m, uint64_t gpa, uint16_t v)
{
	uint16_t *p = guest_mem__ptr(m, gpa, sizeof(v));
	uint16_t x = htole16(v);

	if (!p)
		return -EFAULT;
	if (aligned(p, sizeof(x)))
		__atomic_store_n(p, x, __ATOMIC_RELAXED);
	else
		memcpy(p, &x, sizeof(x));
	return 0;
}

int guest_mem__write32(const struct guest_mem *m, uint64_t gpa, uint32_t v)
{
	uint32_t *p = guest_mem__ptr(m, gpa, sizeof(v));
	uint32_t x = htole32(v);

	if (!p)
		return -EFAULT;
	if (aligned(p, sizeof(x)))
		__atomic_store_n(p, x, __ATOMIC_RELAXED);
	else
		memcpy(p, &x, sizeof(x));
	return 0;
}

int guest_mem__write64(const struct guest_mem *m, uint64_t gpa, uint64_t v)
{
	uint64_t *p = guest_mem__ptr(m, gpa, sizeof(v));
	uint64_t x = htole64(v);

	if (!p)
		return -EFAULT;
	if (aligned(p, sizeof(x)))
		__atomic_store_n(p, x, __ATOMIC_RELAXED);
	else
		memcpy(p, &x, sizeof(x));
	return 0;
}
