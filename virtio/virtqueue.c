/*
 * The device side of a split virtqueue (virtio 1.x, section "Split
 * Virtqueues"); see include/vmm/virtqueue.h and docs/virtio.md.
 *
 * Every guest access goes through guest_mem__ptr() or the guest_mem__read
 * and write helpers built on it. A descriptor is copied out of guest memory
 * once and only the copy is checked and used, so a guest that rewrites it
 * meanwhile changes nothing we rely on.
 *
 * Ordering with the guest (which runs on other CPUs):
 * - pop: read avail->idx, then an acquire fence, then the ring entry and
 *   the descriptors the driver wrote before it published that idx.
 * - push: write the used element, a release fence, then used->idx.
 * - should_notify / enable_notify: a store (used->idx, avail_event) then a
 *   load of what the driver wrote (used_event, avail->idx) needs a full
 *   fence between them, or each side can miss the other's update.
 */
#include <endian.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "vmm/dirty.h"
#include "vmm/persist.h"
#include "vmm/virtqueue.h"

#define DESC_SIZE		16
#define AVAIL_RING		4	/* offset of avail->ring[] */
#define USED_RING		4	/* offset of used->ring[] */
#define USED_ELEM_SIZE		8

/* Flags of the saved state */
#define SAVE_READY		(1u << 0)
#define SAVE_EVENT_IDX		(1u << 1)
#define SAVE_INDIRECT		(1u << 2)
#define SAVE_BROKEN		(1u << 3)
#define SAVE_ALL		(SAVE_READY | SAVE_EVENT_IDX | SAVE_INDIRECT | SAVE_BROKEN)

/* A descriptor, copied out of guest memory. */
struct desc {
	uint64_t addr;
	uint32_t len;
	uint16_t flags, next;
};

/* Breaks the queue; the first reason is kept. Always -EINVAL. */
static int __printf(2, 3) bad(struct virtqueue *vq, const char *fmt, ...)
{
	va_list ap;

	if (!vq->broken) {
		va_start(ap, fmt);
		vsnprintf(vq->why, sizeof(vq->why), fmt, ap);
		va_end(ap);
		vq->broken = true;
	}
	return -EINVAL;
}

/* ---- layout ---- */

static uint64_t avail_size(uint32_t num)
{
	return 6 + 2 * (uint64_t)num;
}

static uint64_t used_size(uint32_t num)
{
	return 6 + USED_ELEM_SIZE * (uint64_t)num;
}

static bool part_ok(const struct guest_mem *mem, const char *what, uint64_t gpa,
		    uint64_t align, uint64_t size, char *why, size_t len)
{
	if (gpa & (align - 1)) {
		snprintf(why, len, "%s at 0x%" PRIx64 " is not %" PRIu64 "-byte aligned", what,
			 gpa, align);
		return false;
	}
	if (!guest_mem__ptr(mem, gpa, size)) {
		snprintf(why, len, "%s [0x%" PRIx64 ", +0x%" PRIx64 ") is outside guest memory",
			 what, gpa, size);
		return false;
	}
	return true;
}

/* The rules vq__setup() and vq__restore() check; why says what is wrong. */
static bool layout_ok(const struct guest_mem *mem, uint32_t num, uint64_t desc,
		      uint64_t avail, uint64_t used, char *why, size_t len)
{
	if (!num || num > VQ_MAX_SIZE || (num & (num - 1))) {
		snprintf(why, len, "queue size %" PRIu32 " is not a power of 2 up to %u", num,
			 VQ_MAX_SIZE);
		return false;
	}
	return part_ok(mem, "descriptor table", desc, 16, DESC_SIZE * (uint64_t)num, why, len) &&
	       part_ok(mem, "available ring", avail, 2, avail_size(num), why, len) &&
	       part_ok(mem, "used ring", used, 4, used_size(num), why, len);
}

/* ---- set-up ---- */

void vq__reset(struct virtqueue *vq)
{
	const struct guest_mem *mem = vq->mem;

	memset(vq, 0, sizeof(*vq));
	vq->mem = mem;
}

void vq__init(struct virtqueue *vq, const struct guest_mem *mem)
{
	vq->mem = mem;
	vq__reset(vq);
}

int vq__setup(struct virtqueue *vq, uint32_t num, uint64_t desc, uint64_t avail,
	      uint64_t used, uint64_t features)
{
	char why[sizeof(vq->why)];

	vq__reset(vq);
	if (!layout_ok(vq->mem, num, desc, avail, used, why, sizeof(why)))
		return bad(vq, "%s", why);
	vq->num = num;
	vq->desc = desc;
	vq->avail = avail;
	vq->used = used;
	vq->event_idx = features & (1ULL << VIRTIO_RING_F_EVENT_IDX);
	vq->indirect = features & (1ULL << VIRTIO_RING_F_INDIRECT_DESC);
	vq->ready = true;
	return 0;
}

void vq__chain_init(struct vq_chain *c, struct vq_elem *elem, uint32_t max)
{
	memset(c, 0, sizeof(*c));
	c->elem = elem;
	c->max = max;
}

/* ---- walking a chain ---- */

/* Copies descriptor i of a table out of guest memory; false if it is outside. */
static bool read_desc(const struct guest_mem *mem, uint64_t table, uint32_t i, struct desc *d)
{
	const uint8_t *p = guest_mem__ptr(mem, table + (uint64_t)i * DESC_SIZE, DESC_SIZE);
	uint8_t raw[DESC_SIZE];

	if (!p)
		return false;
	memcpy(raw, p, sizeof(raw));		/* once: the guest may change it */
	memcpy(&d->addr, raw, 8);
	memcpy(&d->len, raw + 8, 4);
	memcpy(&d->flags, raw + 12, 2);
	memcpy(&d->next, raw + 14, 2);
	d->addr = le64toh(d->addr);
	d->len = le32toh(d->len);
	d->flags = le16toh(d->flags);
	d->next = le16toh(d->next);
	return true;
}

/* Appends the buffer of descriptor d (index i) to the chain. */
static int add_elem(struct virtqueue *vq, struct vq_chain *c, const struct desc *d, uint32_t i)
{
	bool writable = d->flags & VRING_DESC_F_WRITE;
	struct vq_elem *e;
	void *host;

	if (!writable && c->nr > c->nr_out)
		return bad(vq, "descriptor %" PRIu32 ": device-readable after a "
			   "device-writable one", i);
	if (c->nr >= vq->num)
		return bad(vq, "chain at head %u: longer than the queue size %" PRIu32,
			   c->head, vq->num);
	if (c->nr >= c->max)
		return bad(vq, "chain at head %u: more than the %" PRIu32 " buffers the "
			   "device takes", c->head, c->max);
	host = guest_mem__ptr(vq->mem, d->addr, d->len);
	if (!host)
		return bad(vq, "descriptor %" PRIu32 ": buffer [0x%" PRIx64 ", +0x%" PRIx32
			   ") %s", i, d->addr, d->len, d->len && d->addr + d->len - 1 < d->addr ?
			   "wraps the address space" : "is outside guest memory");
	if ((uint64_t)c->out_len + c->in_len + d->len > UINT32_MAX)
		return bad(vq, "chain at head %u: more than 4 GiB - 1 in total", c->head);
	e = &c->elem[c->nr++];
	e->gpa = d->addr;
	e->host = host;
	e->len = d->len;
	e->writable = writable;
	if (writable) {
		c->in_len += d->len;
	} else {
		c->out_len += d->len;
		c->nr_out++;
	}
	return 0;
}

static int walk_table(struct virtqueue *vq, struct vq_chain *c, uint64_t table, uint32_t size,
		      uint32_t i, bool in_indirect);

/* Descriptor d (index i) refers to an indirect table: the rest of the chain. */
static int follow_indirect(struct virtqueue *vq, struct vq_chain *c, const struct desc *d,
			   uint32_t i)
{
	if (!vq->indirect)
		return bad(vq, "descriptor %" PRIu32 ": indirect, but INDIRECT_DESC was not "
			   "negotiated", i);
	if (d->flags & VRING_DESC_F_NEXT)
		return bad(vq, "descriptor %" PRIu32 ": both INDIRECT and NEXT", i);
	if (!d->len || d->len % DESC_SIZE)
		return bad(vq, "descriptor %" PRIu32 ": an indirect table of %" PRIu32 " bytes, "
			   "not a non-zero multiple of 16", i, d->len);
	if (d->len / DESC_SIZE > vq->num)
		return bad(vq, "descriptor %" PRIu32 ": an indirect table of %" PRIu32
			   " descriptors, more than the queue size %" PRIu32, i,
			   d->len / DESC_SIZE, vq->num);
	if (!guest_mem__ptr(vq->mem, d->addr, d->len))
		return bad(vq, "descriptor %" PRIu32 ": indirect table [0x%" PRIx64 ", +0x%" PRIx32
			   ") is outside guest memory", i, d->addr, d->len);
	return walk_table(vq, c, d->addr, d->len / DESC_SIZE, 0, true);
}

/*
 * Follows the chain from descriptor i of a table of size descriptors (the
 * ring's own, or an indirect one). A chain visits each descriptor at most
 * once, so a walk longer than the table is a loop.
 */
static int walk_table(struct virtqueue *vq, struct vq_chain *c, uint64_t table, uint32_t size,
		      uint32_t i, bool in_indirect)
{
	struct desc d;
	uint32_t seen;
	int ret;

	for (seen = 0;; seen++) {
		if (seen == size)
			return bad(vq, "chain at head %u: a loop, or longer than the %s of %"
				   PRIu32 " descriptors", c->head,
				   in_indirect ? "indirect table" : "queue", size);
		if (!read_desc(vq->mem, table, i, &d))
			return bad(vq, "descriptor %" PRIu32 " of the table at 0x%" PRIx64
				   " is outside guest memory", i, table);
		if (d.flags & VRING_DESC_F_INDIRECT) {
			if (in_indirect)
				return bad(vq, "indirect descriptor %" PRIu32 ": a nested indirect "
					   "table", i);
			return follow_indirect(vq, c, &d, i);
		}
		ret = add_elem(vq, c, &d, i);
		if (ret)
			return ret;
		if (!(d.flags & VRING_DESC_F_NEXT))
			return 0;
		if (d.next >= size)
			return bad(vq, "descriptor %" PRIu32 ": next %u is past the %s of %" PRIu32
				   " descriptors", i, d.next,
				   in_indirect ? "indirect table" : "queue", size);
		i = d.next;
	}
}

static int check_expect(struct virtqueue *vq, const struct vq_chain *c, enum vq_expect expect)
{
	uint32_t nr_in = c->nr - c->nr_out;

	switch (expect) {
	case VQ_ANY:
		return 0;
	case VQ_OUT:
		if (nr_in)
			return bad(vq, "chain at head %u: device-writable buffers where the device "
				   "only reads", c->head);
		return 0;
	case VQ_IN:
		if (c->nr_out)
			return bad(vq, "chain at head %u: device-readable buffers where the device "
				   "only writes", c->head);
		return 0;
	case VQ_OUT_IN:
		if (!c->nr_out || !nr_in)
			return bad(vq, "chain at head %u: %" PRIu32 " readable and %" PRIu32
				   " writable buffers, the device needs both", c->head,
				   c->nr_out, nr_in);
		return 0;
	}
	return bad(vq, "unknown direction policy %d", (int)expect);
}

/* ---- the rings ---- */

static uint64_t used_event_gpa(const struct virtqueue *vq)
{
	return vq->avail + AVAIL_RING + 2 * (uint64_t)vq->num;
}

static uint64_t avail_event_gpa(const struct virtqueue *vq)
{
	return vq->used + USED_RING + USED_ELEM_SIZE * (uint64_t)vq->num;
}

/* The rings were checked at set-up; a failed access here is still not a crash. */
static int read16(struct virtqueue *vq, uint64_t gpa, uint16_t *v)
{
	if (guest_mem__read16(vq->mem, gpa, v))
		return bad(vq, "ring field at 0x%" PRIx64 " is outside guest memory", gpa);
	return 0;
}

static int write16(struct virtqueue *vq, uint64_t gpa, uint16_t v)
{
	if (guest_mem__write16(vq->mem, gpa, v))
		return bad(vq, "ring field at 0x%" PRIx64 " is outside guest memory", gpa);
	return 0;
}

int vq__pop(struct virtqueue *vq, struct vq_chain *c, enum vq_expect expect)
{
	uint16_t avail_idx, pending, head;
	int ret;

	if (vq->broken)
		return -EINVAL;
	if (!vq->ready)
		return 0;
	ret = read16(vq, vq->avail + 2, &avail_idx);
	if (ret)
		return ret;
	pending = avail_idx - vq->last_avail_idx;
	if (!pending)
		return 0;
	if (pending > vq->num)
		return bad(vq, "available idx %u is %u ahead of %u, more than the queue size %"
			   PRIu32, avail_idx, pending, vq->last_avail_idx, vq->num);
	/* The entry and its descriptors were written before idx. */
	__atomic_thread_fence(__ATOMIC_ACQUIRE);
	ret = read16(vq, vq->avail + AVAIL_RING + 2 * (uint64_t)(vq->last_avail_idx &
								  (vq->num - 1)), &head);
	if (ret)
		return ret;
	if (head >= vq->num)
		return bad(vq, "available entry %u: head %u is past the queue size %" PRIu32,
			   vq->last_avail_idx, head, vq->num);
	c->nr = c->nr_out = 0;
	c->out_len = c->in_len = 0;
	c->head = head;
	ret = walk_table(vq, c, vq->desc, vq->num, head, false);
	if (!ret)
		ret = check_expect(vq, c, expect);
	if (ret)
		return ret;
	vq->last_avail_idx++;
	return 1;
}

/*
 * Dirty tracking (vmm/dirty.h): KVM does not see what the device wrote into
 * a chain's device-writable buffers, so once the device is done with the
 * chain (at push, after its writes) every writable buffer is marked, whole.
 * The chain is walked again from its descriptors, quietly: pop checked it,
 * and a guest that rewrote descriptors it had handed over only loses
 * tracking of its own buffers. Bounded like pop's walk.
 */
static void mark_table(struct virtqueue *vq, uint64_t table, uint32_t size, uint32_t i,
		       bool in_indirect)
{
	struct desc d;

	for (uint32_t seen = 0; seen < size && read_desc(vq->mem, table, i, &d); seen++) {
		if (d.flags & VRING_DESC_F_INDIRECT) {
			if (!in_indirect && vq->indirect && d.len / DESC_SIZE <= vq->num)
				mark_table(vq, d.addr, d.len / DESC_SIZE, 0, true);
			return;
		}
		if (d.flags & VRING_DESC_F_WRITE)
			dirty__mark(vq->mem, d.addr, d.len);
		if (!(d.flags & VRING_DESC_F_NEXT) || d.next >= size)
			return;
		i = d.next;
	}
}

static void mark_written(struct virtqueue *vq, uint16_t head)
{
	const struct dirty_log *log = vq->mem->dirty;

	if (log && __atomic_load_n(&log->on, __ATOMIC_ACQUIRE))
		mark_table(vq, vq->desc, vq->num, head, false);
}

int vq__push_many(struct virtqueue *vq, const struct vq_used *u, unsigned n)
{
	uint64_t elem;

	if (!vq->ready || vq->broken || n > (uint16_t)(vq->last_avail_idx - vq->used_idx))
		return -EINVAL;
	for (unsigned i = 0; i < n; i++) {
		if (u[i].head >= vq->num)
			return -EINVAL;
		elem = vq->used + USED_RING +
		       USED_ELEM_SIZE * (uint64_t)((uint16_t)(vq->used_idx + i) & (vq->num - 1));
		if (guest_mem__write32(vq->mem, elem, u[i].head) ||
		    guest_mem__write32(vq->mem, elem + 4, u[i].len))
			return bad(vq, "used ring element at 0x%" PRIx64 " is outside guest memory",
				   elem);
		mark_written(vq, u[i].head);
	}
	/* The elements before the index that publishes them, all at once. */
	__atomic_thread_fence(__ATOMIC_RELEASE);
	vq->used_idx = (uint16_t)(vq->used_idx + n);
	return write16(vq, vq->used + 2, vq->used_idx);
}

int vq__push(struct virtqueue *vq, uint16_t head, uint32_t len)
{
	struct vq_used u = { head, len };

	return vq__push_many(vq, &u, 1);
}

/* virtio's vring_need_event(): did [old, new) pass event? */
static bool need_event(uint16_t event, uint16_t new_idx, uint16_t old)
{
	return (uint16_t)(new_idx - event - 1) < (uint16_t)(new_idx - old);
}

bool vq__should_notify(struct virtqueue *vq)
{
	uint16_t old = vq->signalled_used, v;
	bool valid = vq->signalled_valid;

	if (!vq->ready)
		return false;
	vq->signalled_used = vq->used_idx;
	vq->signalled_valid = true;
	/* Our used->idx store before the driver's used_event / flags load. */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	if (vq->event_idx) {
		if (read16(vq, used_event_gpa(vq), &v))
			return true;
		return !valid || need_event(v, vq->used_idx, old);
	}
	if (read16(vq, vq->avail, &v))
		return true;
	return !(v & VRING_AVAIL_F_NO_INTERRUPT);
}

void vq__disable_notify(struct virtqueue *vq)
{
	if (vq->ready && !vq->broken && !vq->event_idx)
		write16(vq, vq->used, VRING_USED_F_NO_NOTIFY);
}

int vq__enable_notify(struct virtqueue *vq)
{
	uint16_t avail_idx;
	int ret;

	if (vq->broken)
		return -EINVAL;
	if (!vq->ready)
		return 0;
	if (vq->event_idx)
		ret = write16(vq, avail_event_gpa(vq), vq->last_avail_idx);
	else
		ret = write16(vq, vq->used, 0);
	if (ret)
		return ret;
	/* Our request before the driver's avail->idx load. */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	ret = read16(vq, vq->avail + 2, &avail_idx);
	if (ret)
		return ret;
	return avail_idx != vq->last_avail_idx;
}

/* ---- persist ---- */

unsigned vq__elems_iov(const struct vq_elem *e, unsigned n, uint64_t off, uint64_t len,
		       struct iovec *iov)
{
	unsigned nr = 0;

	for (unsigned i = 0; i < n && len; i++) {
		uint64_t take;

		if (off >= e[i].len) {
			off -= e[i].len;
			continue;
		}
		take = e[i].len - off < len ? e[i].len - off : len;
		iov[nr].iov_base = (uint8_t *)e[i].host + off;
		iov[nr].iov_len = take;
		nr++;
		len -= take;
		off = 0;
	}
	return nr;
}

void vq__elems_copy(const struct vq_elem *e, unsigned n, uint64_t off, void *buf, size_t len,
		    bool to_guest)
{
	uint8_t *b = buf;

	for (unsigned i = 0; i < n && len; i++) {
		size_t take;

		if (off >= e[i].len) {
			off -= e[i].len;
			continue;
		}
		take = e[i].len - off < len ? e[i].len - off : len;
		if (to_guest)
			memcpy((uint8_t *)e[i].host + off, b, take);
		else
			memcpy(b, (uint8_t *)e[i].host + off, take);
		b += take;
		len -= take;
		off = 0;
	}
}

void vq__save(const struct virtqueue *vq, struct pbuf *b)
{
	uint32_t flags = (vq->ready ? SAVE_READY : 0) | (vq->event_idx ? SAVE_EVENT_IDX : 0) |
			 (vq->indirect ? SAVE_INDIRECT : 0) | (vq->broken ? SAVE_BROKEN : 0);

	pbuf__put_u32(b, flags);
	pbuf__put_u32(b, vq->num);
	pbuf__put_u64(b, vq->desc);
	pbuf__put_u64(b, vq->avail);
	pbuf__put_u64(b, vq->used);
	pbuf__put_u32(b, vq->last_avail_idx);
	pbuf__put_u32(b, vq->used_idx);
}

static int restore_fail(struct virtqueue *vq, char *err, size_t errlen, const char *fmt, ...)
	__printf(4, 5);

static int restore_fail(struct virtqueue *vq, char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	vq__reset(vq);
	va_start(ap, fmt);
	vset_err(err, errlen, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

int vq__restore(struct virtqueue *vq, const struct guest_mem *mem, struct preader *r,
		char *err, size_t errlen)
{
	uint32_t flags, num, last_avail, used_idx;
	uint64_t desc, avail, used;
	char why[sizeof(vq->why)];

	vq__init(vq, mem);
	flags = preader__get_u32(r);
	num = preader__get_u32(r);
	desc = preader__get_u64(r);
	avail = preader__get_u64(r);
	used = preader__get_u64(r);
	last_avail = preader__get_u32(r);
	used_idx = preader__get_u32(r);
	if (!preader__ok(r))
		return restore_fail(vq, err, errlen, "queue: truncated");
	if (flags & ~SAVE_ALL)
		return restore_fail(vq, err, errlen, "queue: flags 0x%" PRIx32 ": unknown bits",
				    flags);
	if (last_avail > UINT16_MAX || used_idx > UINT16_MAX)
		return restore_fail(vq, err, errlen, "queue: index %" PRIu32 ": more than 16 bits",
				    last_avail > UINT16_MAX ? last_avail : used_idx);
	if (!(flags & SAVE_READY)) {
		if ((flags & ~SAVE_BROKEN) || num || desc || avail || used || last_avail ||
		    used_idx)
			return restore_fail(vq, err, errlen, "queue: not ready, but has a size, "
					    "addresses, indices or features");
	} else {
		if (!layout_ok(mem, num, desc, avail, used, why, sizeof(why)))
			return restore_fail(vq, err, errlen, "queue: %s", why);
		if ((uint16_t)(last_avail - used_idx) > num)
			return restore_fail(vq, err, errlen, "queue: used idx %" PRIu32 " is more "
					    "than the queue size %" PRIu32 " behind available idx %"
					    PRIu32, used_idx, num, last_avail);
	}
	vq->num = num;
	vq->desc = desc;
	vq->avail = avail;
	vq->used = used;
	vq->last_avail_idx = (uint16_t)last_avail;
	vq->used_idx = (uint16_t)used_idx;
	vq->ready = flags & SAVE_READY;
	vq->event_idx = flags & SAVE_EVENT_IDX;
	vq->indirect = flags & SAVE_INDIRECT;
	if (flags & SAVE_BROKEN)
		bad(vq, "broken before the snapshot");
	return 0;
}
