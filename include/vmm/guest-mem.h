#ifndef VMM_GUEST_MEM_H
#define VMM_GUEST_MEM_H

/*
 * Guest physical memory as the host sees it: one range [base, base + size)
 * mapped at host. Everything the guest hands us (ring addresses, descriptor
 * addresses and lengths) is untrusted, so every guest-physical access goes
 * through guest_mem__ptr(), the one bounds check. Nothing else turns a guest
 * address into a host pointer.
 */
#include <stdint.h>

#include "vmm/util.h"

struct dirty_log;

struct guest_mem {
	uint8_t *host;		/* host mapping of guest address base */
	uint64_t base, size;
	struct dirty_log *dirty;	/* where vmm's writes are marked (vmm/dirty.h), or NULL */
};

/* dirty starts NULL: the VM's log is set by whoever owns one (virtio__alloc). */
void guest_mem__init(struct guest_mem *m, void *host, uint64_t base, uint64_t size);

/*
 * The host address of guest range [gpa, gpa + len), or NULL unless the whole
 * range lies inside guest memory. The check never computes gpa + len, so a
 * range that wraps the 64-bit address space is simply outside.
 *
 * len 0 is allowed: the empty range at gpa is inside when
 * base <= gpa <= base + size, and the pointer (possibly one past the end of
 * the mapping) must not be dereferenced.
 */
void *guest_mem__ptr(const struct guest_mem *m, uint64_t gpa, uint64_t len);

/*
 * Little-endian loads and stores at a guest address: 0, or -EFAULT when the
 * bytes are not all guest memory. A naturally aligned access is done as one
 * (relaxed) atomic access, so a field the guest updates concurrently (a ring
 * index) is never torn; ordering is the caller's, with explicit fences.
 */
int guest_mem__read16(const struct guest_mem *m, uint64_t gpa, uint16_t *v) __must_check;
int guest_mem__read32(const struct guest_mem *m, uint64_t gpa, uint32_t *v) __must_check;
int guest_mem__read64(const struct guest_mem *m, uint64_t gpa, uint64_t *v) __must_check;
int guest_mem__write16(const struct guest_mem *m, uint64_t gpa, uint16_t v) __must_check;
int guest_mem__write32(const struct guest_mem *m, uint64_t gpa, uint32_t v) __must_check;
int guest_mem__write64(const struct guest_mem *m, uint64_t gpa, uint64_t v) __must_check;

#endif
