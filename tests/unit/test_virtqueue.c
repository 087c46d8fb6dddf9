/*
 * Unit tests of guest memory (vmm/guest-mem.c) and the split virtqueue
 * (virtio/virtqueue.c) over a fake guest memory: a calloc'd buffer that
 * stands for RAM at RAM_BASE. Under ASan, any access outside that buffer
 * (outside "guest memory") aborts the test.
 *
 * Good chains (single, NEXT, indirect, mixed), pushes and the used index,
 * notification suppression with and without event idx, every malformation
 * (each must break the queue and touch nothing), and the persist pair.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "unit.h"
#include "vmm/guest-mem.h"
#include "arm64/layout.h"
#include "vmm/persist.h"
#include "vmm/virtqueue.h"

#define BASE		RAM_BASE
#define MEM_SIZE	0x100000ULL		/* 1 MiB */
#define NUM		8
#define DESC		(BASE + 0x0000)
#define AVAIL		(BASE + 0x1000)
#define USED		(BASE + 0x2000)
#define TABLE		(BASE + 0x3000)		/* an indirect table */
#define TABLE2		(BASE + 0x3800)
#define DATA		(BASE + 0x8000)		/* buffers */
#define FEAT_INDIRECT	(1ULL << VIRTIO_RING_F_INDIRECT_DESC)
#define FEAT_EVENT_IDX	(1ULL << VIRTIO_RING_F_EVENT_IDX)
#define R		0			/* device-readable */
#define W		VRING_DESC_F_WRITE
#define N		VRING_DESC_F_NEXT
#define I		VRING_DESC_F_INDIRECT
#define MAX_ELEMS	64
#define SAVED_EVENT_IDX	(1u << 1)		/* a flag of the saved state */

struct fx {
	uint8_t *buf;
	struct guest_mem mem;
	struct virtqueue vq;
	struct vq_elem elem[MAX_ELEMS];
	struct vq_chain chain;
	uint16_t avail_idx;		/* the fake driver's */
};

/* ---- the fake guest ---- */

static uint8_t *at(struct fx *f, uint64_t gpa, uint64_t len)
{
	if (gpa < BASE || gpa - BASE > MEM_SIZE || len > MEM_SIZE - (gpa - BASE))
		fail_msg("test bug: 0x%llx+%llu outside the fake memory", (unsigned long long)gpa,
			 (unsigned long long)len);
	return f->buf + (gpa - BASE);
}

static void put16(struct fx *f, uint64_t gpa, uint16_t v)
{
	put_le(at(f, gpa, 2), v, 2);
}

static uint16_t get16(struct fx *f, uint64_t gpa)
{
	return (uint16_t)get_le(at(f, gpa, 2), 2);
}

static uint32_t get32(struct fx *f, uint64_t gpa)
{
	return (uint32_t)get_le(at(f, gpa, 4), 4);
}

/* Descriptor i of the table at table. */
static void desc_at(struct fx *f, uint64_t table, unsigned i, uint64_t addr, uint32_t len,
		    uint16_t flags, uint16_t next)
{
	uint8_t *p = at(f, table + 16 * (uint64_t)i, 16);

	put_le(p, addr, 8);
	put_le(p + 8, len, 4);
	put_le(p + 12, flags, 2);
	put_le(p + 14, next, 2);
}

static void desc(struct fx *f, unsigned i, uint64_t addr, uint32_t len, uint16_t flags,
		 uint16_t next)
{
	desc_at(f, DESC, i, addr, len, flags, next);
}

/* The driver makes head available (the entry, then the index). */
static void offer(struct fx *f, uint16_t head)
{
	put16(f, AVAIL + 4 + 2 * (f->avail_idx % NUM), head);
	put16(f, AVAIL + 2, ++f->avail_idx);
}

static void set_avail_idx(struct fx *f, uint16_t idx)
{
	f->avail_idx = idx;
	put16(f, AVAIL + 2, idx);
}

static void set_used_event(struct fx *f, uint16_t v)
{
	put16(f, AVAIL + 4 + 2 * NUM, v);
}

static uint16_t used_idx(struct fx *f)
{
	return get16(f, USED + 2);
}

static void check_used(struct fx *f, uint16_t slot, uint32_t id, uint32_t len)
{
	assert_int_equal(get32(f, USED + 4 + 8 * (slot % NUM)), id);
	assert_int_equal(get32(f, USED + 8 + 8 * (slot % NUM)), len);
}

static void setup_vq(struct fx *f, uint64_t features)
{
	assert_int_equal(vq__setup(&f->vq, NUM, DESC, AVAIL, USED, features), 0);
	assert_true(f->vq.ready);
	assert_false(f->vq.broken);
}

static void check_elem(struct fx *f, unsigned n, uint64_t gpa, uint32_t len, bool writable)
{
	const struct vq_elem *e = &f->chain.elem[n];

	assert_true(n < f->chain.nr);
	assert_int_equal(e->gpa, gpa);
	assert_int_equal(e->len, len);
	assert_int_equal(e->writable, writable);
	assert_ptr_equal(e->host, f->buf + (gpa - BASE));
}

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	if (!f)
		return -1;
	f->buf = calloc(1, MEM_SIZE);	/* exactly guest memory: ASan guards the rest */
	if (!f->buf) {
		free(f);
		return -1;
	}
	guest_mem__init(&f->mem, f->buf, BASE, MEM_SIZE);
	vq__init(&f->vq, &f->mem);
	vq__chain_init(&f->chain, f->elem, MAX_ELEMS);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	free(f->buf);
	free(f);
	return 0;
}

/* ---- guest memory ---- */

static void test_guest_mem_ptr(void **state)
{
	struct fx *f = *state;
	const struct guest_mem *m = &f->mem;
	struct guest_mem top, none;
	uint8_t small[16];

	assert_ptr_equal(guest_mem__ptr(m, BASE, MEM_SIZE), f->buf);
	assert_ptr_equal(guest_mem__ptr(m, BASE + 5, 7), f->buf + 5);
	assert_ptr_equal(guest_mem__ptr(m, BASE + MEM_SIZE - 1, 1), f->buf + MEM_SIZE - 1);
	assert_null(guest_mem__ptr(m, BASE, MEM_SIZE + 1));
	assert_null(guest_mem__ptr(m, BASE + MEM_SIZE - 1, 2));
	assert_null(guest_mem__ptr(m, BASE + MEM_SIZE, 1));
	assert_null(guest_mem__ptr(m, BASE - 1, 1));
	assert_null(guest_mem__ptr(m, BASE - 1, 2));	/* straddles the start */
	assert_null(guest_mem__ptr(m, 0, BASE + 1));
	/* len 0: inside when base <= gpa <= base + size */
	assert_ptr_equal(guest_mem__ptr(m, BASE, 0), f->buf);
	assert_ptr_equal(guest_mem__ptr(m, BASE + MEM_SIZE, 0), f->buf + MEM_SIZE);
	assert_null(guest_mem__ptr(m, BASE + MEM_SIZE + 1, 0));
	assert_null(guest_mem__ptr(m, BASE - 1, 0));
	/* ranges that wrap the address space */
	assert_null(guest_mem__ptr(m, BASE + 16, UINT64_MAX));
	assert_null(guest_mem__ptr(m, BASE + 16, UINT64_MAX - 15));
	assert_null(guest_mem__ptr(m, UINT64_MAX, 2));
	assert_null(guest_mem__ptr(m, UINT64_MAX, UINT64_MAX));

	/* memory that ends at 2^64 */
	guest_mem__init(&top, small, UINT64_MAX - 15, 16);
	assert_ptr_equal(guest_mem__ptr(&top, UINT64_MAX, 1), small + 15);
	assert_ptr_equal(guest_mem__ptr(&top, UINT64_MAX - 15, 16), small);
	assert_null(guest_mem__ptr(&top, UINT64_MAX, 2));
	assert_null(guest_mem__ptr(&top, UINT64_MAX - 15, 17));
	assert_null(guest_mem__ptr(&top, 0, 1));

	guest_mem__init(&none, NULL, BASE, MEM_SIZE);
	assert_null(guest_mem__ptr(&none, BASE, 1));
	assert_null(guest_mem__ptr(&none, BASE, 0));
}

static void test_guest_mem_rw(void **state)
{
	struct fx *f = *state;
	const struct guest_mem *m = &f->mem;
	uint16_t v16;
	uint32_t v32;
	uint64_t v64;

	assert_int_equal(guest_mem__write16(m, BASE + 0x10, 0x1234), 0);
	assert_int_equal(guest_mem__write32(m, BASE + 0x20, 0x12345678), 0);
	assert_int_equal(guest_mem__write64(m, BASE + 0x30, 0x0102030405060708ULL), 0);
	assert_memory_equal(f->buf + 0x10, "\x34\x12", 2);
	assert_memory_equal(f->buf + 0x20, "\x78\x56\x34\x12", 4);
	assert_memory_equal(f->buf + 0x30, "\x08\x07\x06\x05\x04\x03\x02\x01", 8);
	assert_int_equal(guest_mem__read16(m, BASE + 0x10, &v16), 0);
	assert_int_equal(v16, 0x1234);
	assert_int_equal(guest_mem__read32(m, BASE + 0x20, &v32), 0);
	assert_int_equal(v32, 0x12345678);
	assert_int_equal(guest_mem__read64(m, BASE + 0x30, &v64), 0);
	assert_int_equal(v64, 0x0102030405060708ULL);

	/* unaligned */
	assert_int_equal(guest_mem__write32(m, BASE + 0x41, 0xa1b2c3d4), 0);
	assert_memory_equal(f->buf + 0x41, "\xd4\xc3\xb2\xa1", 4);
	assert_int_equal(guest_mem__read32(m, BASE + 0x41, &v32), 0);
	assert_int_equal(v32, 0xa1b2c3d4);
	assert_int_equal(guest_mem__write64(m, BASE + 0x53, 7), 0);
	assert_int_equal(guest_mem__read64(m, BASE + 0x53, &v64), 0);
	assert_int_equal(v64, 7);
	assert_int_equal(guest_mem__read16(m, BASE + 0x11, &v16), 0);
	assert_int_equal(v16, 0x0012);

	/* the last bytes, and one past */
	assert_int_equal(guest_mem__write64(m, BASE + MEM_SIZE - 8, 1), 0);
	assert_int_equal(guest_mem__write64(m, BASE + MEM_SIZE - 7, 1), -EFAULT);
	assert_int_equal(guest_mem__write32(m, BASE + MEM_SIZE - 3, 1), -EFAULT);
	assert_int_equal(guest_mem__write16(m, BASE + MEM_SIZE - 1, 1), -EFAULT);
	assert_int_equal(guest_mem__write16(m, BASE - 1, 1), -EFAULT);
	assert_int_equal(guest_mem__read16(m, BASE + MEM_SIZE - 1, &v16), -EFAULT);
	assert_int_equal(guest_mem__read32(m, BASE - 2, &v32), -EFAULT);
	assert_int_equal(guest_mem__read64(m, UINT64_MAX - 3, &v64), -EFAULT);
	assert_int_equal(f->buf[MEM_SIZE - 1], 0);
}

/* ---- set-up ---- */

static void expect_setup_fails(struct fx *f, uint32_t num, uint64_t desc_gpa, uint64_t avail,
			       uint64_t used, const char *part)
{
	int ret;

	ret = vq__setup(&f->vq, num, desc_gpa, avail, used, 0);
	if (ret != -EINVAL)
		fail_msg("want \"%s\": vq__setup returned %d", part, ret);
	assert_true(f->vq.broken);
	assert_false(f->vq.ready);
	if (!strstr(f->vq.why, part))
		fail_msg("why \"%s\" lacks \"%s\"", f->vq.why, part);
	assert_int_equal(vq__pop(&f->vq, &f->chain, VQ_ANY), -EINVAL);
	vq__reset(&f->vq);
	assert_false(f->vq.broken);
}

static void test_setup(void **state)
{
	struct fx *f = *state;
	const uint64_t end = BASE + MEM_SIZE;

	setup_vq(f, FEAT_INDIRECT | FEAT_EVENT_IDX);
	assert_true(f->vq.indirect);
	assert_true(f->vq.event_idx);
	setup_vq(f, 0);
	assert_false(f->vq.indirect);
	assert_false(f->vq.event_idx);
	/* the largest queue, filling memory exactly: 512 KiB of descriptors */
	assert_int_equal(vq__setup(&f->vq, VQ_MAX_SIZE, BASE, BASE + 0x80000, end - 8 - 8 * 32768,
				   0), 0);
	assert_int_equal(vq__setup(&f->vq, 1, end - 16, end - 8, end - 32, 0), 0);
	/* parts that end right at the end of memory (used: 2 bytes short, for alignment) */
	assert_int_equal(vq__setup(&f->vq, NUM, end - 16 * NUM, end - 6 - 2 * NUM,
				   end - 8 - 8 * NUM, 0), 0);

	expect_setup_fails(f, 0, DESC, AVAIL, USED, "queue size 0");
	expect_setup_fails(f, 3, DESC, AVAIL, USED, "queue size 3");
	expect_setup_fails(f, 24, DESC, AVAIL, USED, "queue size 24");
	expect_setup_fails(f, 65536, DESC, AVAIL, USED, "queue size 65536");
	expect_setup_fails(f, 1u << 31, DESC, AVAIL, USED, "not a power of 2");
	expect_setup_fails(f, NUM, DESC + 8, AVAIL, USED,
			   "descriptor table at 0x80000008 is not 16");
	expect_setup_fails(f, NUM, DESC, AVAIL + 1, USED, "available ring at 0x80001001 is not 2");
	expect_setup_fails(f, NUM, DESC, AVAIL, USED + 2, "used ring at 0x80002002 is not 4");
	expect_setup_fails(f, NUM, end - 16 * NUM + 16, AVAIL, USED, "descriptor table [");
	expect_setup_fails(f, NUM, DESC, end - 6 - 2 * NUM + 2, USED, "available ring [");
	expect_setup_fails(f, NUM, DESC, AVAIL, end - 8 - 8 * NUM + 4, "used ring [");
	expect_setup_fails(f, NUM, BASE - 16, AVAIL, USED, "outside guest memory");
	expect_setup_fails(f, NUM, 0, AVAIL, USED, "outside guest memory");
	expect_setup_fails(f, NUM, UINT64_MAX - 15, AVAIL, USED, "outside guest memory");
	expect_setup_fails(f, NUM, DESC, UINT64_MAX - 1, USED, "outside guest memory");
	expect_setup_fails(f, NUM, DESC, AVAIL, UINT64_MAX - 3, "outside guest memory");
	expect_setup_fails(f, VQ_MAX_SIZE, BASE + 0x18, AVAIL, USED, "not 16-byte aligned");
	expect_setup_fails(f, VQ_MAX_SIZE, BASE + 0x80010, AVAIL, USED, "descriptor table [");
	expect_setup_fails(f, VQ_MAX_SIZE, BASE, end - 0x10000, USED, "available ring [");
}

/* ---- good chains ---- */

static void test_pop_empty(void **state)
{
	struct fx *f = *state;

	assert_int_equal(vq__pop(&f->vq, &f->chain, VQ_ANY), 0);	/* not ready */
	setup_vq(f, 0);
	assert_int_equal(vq__pop(&f->vq, &f->chain, VQ_ANY), 0);
	assert_int_equal(f->vq.last_avail_idx, 0);
	assert_false(f->vq.broken);
}

static void test_pop_single(void **state)
{
	struct fx *f = *state;

	setup_vq(f, 0);
	desc(f, 5, DATA, 100, R, 0);
	offer(f, 5);
	assert_int_equal(vq__pop(&f->vq, &f->chain, VQ_OUT), 1);
	assert_int_equal(f->chain.head, 5);
	assert_int_equal(f->chain.nr, 1);
	assert_int_equal(f->chain.nr_out, 1);
	assert_int_equal(f->chain.out_len, 100);
	assert_int_equal(f->chain.in_len, 0);
	check_elem(f, 0, DATA, 100, false);
	assert_int_equal(f->vq.last_avail_idx, 1);
	assert_int_equal(vq__pop(&f->vq, &f->chain, VQ_OUT), 0);

	/* a writable one, and a zero-length one inside memory */
	desc(f, 2, DATA + 0x100, 0x40, W, 0);
	offer(f, 2);
	desc(f, 3, BASE + MEM_SIZE, 0, R, 0);
	offer(f, 3);
	assert_int_equal(vq__pop(&f->vq, &f->chain, VQ_IN), 1);
	check_elem(f, 0, DATA + 0x100, 0x40, true);
	assert_int_equal(f->chain.in_len, 0x40);
	assert_int_equal(vq__pop(&f->vq, &f->chain, VQ_ANY), 1);
	assert_int_equal(f->chain.nr, 1);
	assert_int_equal(f->chain.elem[0].len, 0);
	assert_false(f->vq.broken);
}

static void test_pop_next_chain(void **state)
{
	struct fx *f = *state;

	setup_vq(f, 0);
	/* 7 -> 0 -> 3 -> 1: readable, readable, writable, writable */
	desc(f, 7, DATA, 16, R | N, 0);
	desc(f, 0, DATA + 0x1000, 512, R | N, 3);
	desc(f, 3, DATA + 0x2000, 4096, W | N, 1);
	desc(f, 1, DATA + 0x3000, 1, W, 6);	/* no NEXT: next is ignored */
	offer(f, 7);
	assert_int_equal(vq__pop(&f->vq, &f->chain, VQ_OUT_IN), 1);
	assert_int_equal(f->chain.head, 7);
	assert_int_equal(f->chain.nr, 4);
	assert_int_equal(f->chain.nr_out, 2);
	assert_int_equal(f->chain.out_len, 528);
	assert_int_equal(f->chain.in_len, 4097);
	check_elem(f, 0, DATA, 16, false);
	check_elem(f, 1, DATA + 0x1000, 512, false);
	check_elem(f, 2, DATA + 0x2000, 4096, true);
	check_elem(f, 3, DATA + 0x3000, 1, true);
}

/* A chain of exactly the queue size is the longest allowed. */
static void test_pop_longest_chain(void **state)
{
	struct fx *f = *state;
	unsigned i;

	setup_vq(f, 0);
	for (i = 0; i < NUM; i++)
		desc(f, i, DATA + 0x10 * i, 0x10, (i < NUM / 2 ? R : W) | (i + 1 < NUM ? N : 0),
		     (uint16_t)(i + 1));
	offer(f, 0);
	assert_int_equal(vq__pop(&f->vq, &f->chain, VQ_OUT_IN), 1);
	assert_int_equal(f->chain.nr, NUM);
	assert_int_equal(f->chain.nr_out, NUM / 2);
}

static void test_pop_indirect(void **state)
{
	struct fx *f = *state;

	setup_vq(f, FEAT_INDIRECT);
	/* WRITE on the descriptor of a table is ignored */
	desc(f, 4, TABLE, 3 * 16, I | W, 0);
	desc_at(f, TABLE, 0, DATA, 16, R | N, 2);
	desc_at(f, TABLE, 2, DATA + 0x100, 32, W | N, 1);
	desc_at(f, TABLE, 1, DATA + 0x200, 64, W, 0);
	offer(f, 4);
	assert_int_equal(vq__pop(&f->vq, &f->chain, VQ_OUT_IN), 1);
	assert_int_equal(f->chain.head, 4);
	assert_int_equal(f->chain.nr, 3);
	assert_int_equal(f->chain.nr_out, 1);
	check_elem(f, 0, DATA, 16, false);
	check_elem(f, 1, DATA + 0x100, 32, true);
	check_elem(f, 2, DATA + 0x200, 64, true);
	assert_int_equal(f->chain.in_len, 96);

	/* a table of the queue size, all in one go */
	desc(f, 6, TABLE2, NUM * 16, I, 0);
	for (unsigned i = 0; i < NUM; i++)
		desc_at(f, TABLE2, i, DATA + i, 1, W | (i + 1 < NUM ? N : 0), (uint16_t)(i + 1));
	offer(f, 6);
	assert_int_equal(vq__pop(&f->vq, &f->chain, VQ_IN), 1);
	assert_int_equal(f->chain.nr, NUM);
	assert_int_equal(f->chain.in_len, NUM);
}

/* Direct descriptors, then one that refers to a table. */
static void test_pop_mixed(void **state)
{
	struct fx *f = *state;

	setup_vq(f, FEAT_INDIRECT);
	desc(f, 0, DATA, 8, R | N, 1);
	desc(f, 1, DATA + 8, 8, R | N, 2);
	desc(f, 2, TABLE, 2 * 16, I, 0);
	desc_at(f, TABLE, 0, DATA + 0x100, 8, R | N, 1);
	desc_at(f, TABLE, 1, DATA + 0x200, 100, W, 0);
	offer(f, 0);
	assert_int_equal(vq__pop(&f->vq, &f->chain, VQ_OUT_IN), 1);
	assert_int_equal(f->chain.nr, 4);
	assert_int_equal(f->chain.nr_out, 3);
	check_elem(f, 0, DATA, 8, false);
	check_elem(f, 1, DATA + 8, 8, false);
	check_elem(f, 2, DATA + 0x100, 8, false);
	check_elem(f, 3, DATA + 0x200, 100, true);
	assert_int_equal(f->chain.out_len, 24);
	assert_int_equal(f->chain.in_len, 100);
}

/* ---- push ---- */

static void test_push(void **state)
{
	struct fx *f = *state;
	uint16_t a, b;

	setup_vq(f, 0);
	assert_int_equal(vq__push(&f->vq, 0, 0), -EINVAL);	/* nothing popped */
	desc(f, 1, DATA, 16, W, 0);
	desc(f, 2, DATA + 16, 16, W, 0);
	offer(f, 1);
	offer(f, 2);
	assert_int_equal(vq__pop(&f->vq, &f->chain, VQ_IN), 1);
	a = f->chain.head;
	assert_int_equal(vq__pop(&f->vq, &f->chain, VQ_IN), 1);
	b = f->chain.head;
	assert_int_equal(vq__push(&f->vq, NUM, 0), -EINVAL);	/* not a head */
	/* out of order is fine */
	assert_int_equal(vq__push(&f->vq, b, 7), 0);
	assert_int_equal(used_idx(f), 1);
	check_used(f, 0, 2, 7);
	assert_int_equal(vq__push(&f->vq, a, 16), 0);
	assert_int_equal(used_idx(f), 2);
	check_used(f, 1, 1, 16);
	assert_int_equal(vq__push(&f->vq, a, 16), -EINVAL);	/* more than popped */
	assert_int_equal(used_idx(f), 2);
	assert_false(f->vq.broken);
}

/* Indices run through 65535 to 0; ring slots follow modulo the size. */
static void test_index_wrap(void **state)
{
	struct fx *f = *state;
	unsigned i;

	setup_vq(f, 0);
	f->vq.last_avail_idx = f->vq.used_idx = 0xfffd;
	set_avail_idx(f, 0xfffd);
	for (i = 0; i < NUM; i++) {
		desc(f, i, DATA + 0x10 * i, 0x10, W, 0);
		offer(f, (uint16_t)i);
	}
	assert_int_equal(f->avail_idx, 5);
	for (i = 0; i < NUM; i++) {
		assert_int_equal(vq__pop(&f->vq, &f->chain, VQ_IN), 1);
		assert_int_equal(f->chain.head, i);
		assert_int_equal(vq__push(&f->vq, f->chain.head, i), 0);
		check_used(f, (uint16_t)(0xfffd + i), i, i);
	}
	assert_int_equal(vq__pop(&f->vq, &f->chain, VQ_IN), 0);
	assert_int_equal(f->vq.last_avail_idx, 5);
	assert_int_equal(used_idx(f), 5);
}

/* As many available as the queue size: fine; one more is not. */
static void test_avail_full(void **state)
{
	struct fx *f = *state;
	unsigned i;

	setup_vq(f, 0);
	desc(f, 0, DATA, 1, R, 0);
	for (i = 0; i < NUM; i++)
		offer(f, 0);
	for (i = 0; i < NUM; i++)
		assert_int_equal(vq__pop(&f->vq, &f->chain, VQ_OUT), 1);
	assert_int_equal(vq__pop(&f->vq, &f->chain, VQ_OUT), 0);
	assert_false(f->vq.broken);
}

/* ---- notifications ---- */

static void test_notify_flags(void **state)
{
	struct fx *f = *state;

	setup_vq(f, 0);
	put16(f, AVAIL, 0);
	assert_true(vq__should_notify(&f->vq));
	put16(f, AVAIL, VRING_AVAIL_F_NO_INTERRUPT);
	assert_false(vq__should_notify(&f->vq));
	set_used_event(f, 0);			/* ignored without event idx */
	assert_false(vq__should_notify(&f->vq));
	put16(f, AVAIL, 0);
	assert_true(vq__should_notify(&f->vq));
}

/* vring_need_event with old and new used indices set by hand. */
static bool notify_case(struct fx *f, uint16_t old, uint16_t new_idx, uint16_t event)
{
	bool ret;

	f->vq.signalled_used = old;
	f->vq.signalled_valid = true;
	f->vq.used_idx = new_idx;
	set_used_event(f, event);
	ret = vq__should_notify(&f->vq);
	assert_int_equal(f->vq.signalled_used, new_idx);
	return ret;
}

static void test_notify_event_idx(void **state)
{
	struct fx *f = *state;

	setup_vq(f, FEAT_EVENT_IDX);
	put16(f, AVAIL, VRING_AVAIL_F_NO_INTERRUPT);	/* ignored with event idx */
	/* the first call after set-up always notifies */
	set_used_event(f, 100);
	assert_true(vq__should_notify(&f->vq));
	/* one entry: notify when its index was used_event */
	assert_true(notify_case(f, 0, 1, 0));
	assert_false(notify_case(f, 1, 2, 0));
	assert_false(notify_case(f, 0, 1, 1));
	assert_true(notify_case(f, 1, 2, 1));
	/* a batch [old, new) notifies if it passed used_event */
	assert_true(notify_case(f, 10, 13, 10));
	assert_true(notify_case(f, 10, 13, 12));
	assert_false(notify_case(f, 10, 13, 13));
	assert_false(notify_case(f, 10, 13, 9));
	assert_false(notify_case(f, 10, 13, 0x8000));
	/* nothing new: never */
	assert_false(notify_case(f, 13, 13, 12));
	assert_false(notify_case(f, 13, 13, 13));
	/* across the wrap of the 16-bit index */
	assert_true(notify_case(f, 0xfffe, 0x0001, 0xfffe));
	assert_true(notify_case(f, 0xfffe, 0x0001, 0xffff));
	assert_true(notify_case(f, 0xfffe, 0x0001, 0x0000));
	assert_false(notify_case(f, 0xfffe, 0x0001, 0x0001));
	assert_false(notify_case(f, 0xfffe, 0x0001, 0xfffd));
	assert_true(notify_case(f, 0xffff, 0x0000, 0xffff));
	assert_false(notify_case(f, 0xffff, 0x0000, 0x0000));
	/* the driver is far behind (a full 2^15 away): no */
	assert_false(notify_case(f, 0x0000, 0x0004, 0x8003));
}

/* With real pops and pushes: used_event follows the driver. */
static void test_notify_event_idx_pushes(void **state)
{
	struct fx *f = *state;
	unsigned i;

	setup_vq(f, FEAT_EVENT_IDX);
	for (i = 0; i < 4; i++) {
		desc(f, i, DATA + i, 1, W, 0);
		offer(f, (uint16_t)i);
	}
	set_used_event(f, 0);
	assert_int_equal(vq__pop(&f->vq, &f->chain, VQ_IN), 1);
	assert_int_equal(vq__push(&f->vq, f->chain.head, 1), 0);
	assert_true(vq__should_notify(&f->vq));		/* used entry 0: used_event 0 */
	assert_int_equal(vq__pop(&f->vq, &f->chain, VQ_IN), 1);
	assert_int_equal(vq__push(&f->vq, f->chain.head, 1), 0);
	assert_false(vq__should_notify(&f->vq));	/* the driver has not moved it */
	set_used_event(f, 3);				/* wake me at entry 3 */
	assert_int_equal(vq__pop(&f->vq, &f->chain, VQ_IN), 1);
	assert_int_equal(vq__push(&f->vq, f->chain.head, 1), 0);
	assert_false(vq__should_notify(&f->vq));	/* entry 2 */
	assert_int_equal(vq__pop(&f->vq, &f->chain, VQ_IN), 1);
	assert_int_equal(vq__push(&f->vq, f->chain.head, 1), 0);
	assert_true(vq__should_notify(&f->vq));		/* entry 3 */
	assert_false(vq__should_notify(&f->vq));	/* no new entry */
}

static void test_enable_disable_notify(void **state)
{
	struct fx *f = *state;
	const uint64_t avail_event = USED + 4 + 8 * NUM;

	assert_int_equal(vq__enable_notify(&f->vq), 0);	/* not ready */
	setup_vq(f, 0);
	vq__disable_notify(&f->vq);
	assert_int_equal(get16(f, USED), VRING_USED_F_NO_NOTIFY);
	assert_int_equal(vq__enable_notify(&f->vq), 0);
	assert_int_equal(get16(f, USED), 0);
	desc(f, 0, DATA, 1, R, 0);
	offer(f, 0);
	assert_int_equal(vq__enable_notify(&f->vq), 1);	/* one came meanwhile */
	assert_int_equal(get16(f, avail_event), 0);	/* untouched without event idx */

	setup_vq(f, FEAT_EVENT_IDX);
	assert_int_equal(vq__pop(&f->vq, &f->chain, VQ_OUT), 1);
	vq__disable_notify(&f->vq);
	assert_int_equal(get16(f, USED), 0);
	assert_int_equal(vq__enable_notify(&f->vq), 0);
	assert_int_equal(get16(f, avail_event), 1);	/* kick me at entry 1 */
	offer(f, 0);
	offer(f, 0);
	assert_int_equal(vq__enable_notify(&f->vq), 1);
	assert_int_equal(vq__pop(&f->vq, &f->chain, VQ_OUT), 1);
	assert_int_equal(vq__pop(&f->vq, &f->chain, VQ_OUT), 1);
	assert_int_equal(vq__enable_notify(&f->vq), 0);
	assert_int_equal(get16(f, avail_event), 3);
}

/* ---- malformed chains ---- */

struct bad_case {
	const char *name;
	void (*build)(struct fx *f);
	uint64_t features;
	enum vq_expect expect;
	const char *why;		/* a part of vq->why */
};

static void b_head_past(struct fx *f)
{
	offer(f, NUM);
}

static void b_head_max(struct fx *f)
{
	offer(f, 0xffff);
}

static void b_next_past(struct fx *f)
{
	desc(f, 0, DATA, 1, R | N, NUM);
	offer(f, 0);
}

static void b_self_loop(struct fx *f)
{
	desc(f, 3, DATA, 1, R | N, 3);
	offer(f, 3);
}

static void b_loop(struct fx *f)
{
	desc(f, 0, DATA, 1, R | N, 1);
	desc(f, 1, DATA, 1, R | N, 2);
	desc(f, 2, DATA, 1, R | N, 0);
	offer(f, 1);
}

static void b_below_base(struct fx *f)
{
	desc(f, 0, BASE - 16, 16, R, 0);
	offer(f, 0);
}

static void b_straddles_start(struct fx *f)
{
	desc(f, 0, BASE - 1, 2, R, 0);
	offer(f, 0);
}

static void b_past_end(struct fx *f)
{
	desc(f, 0, BASE + MEM_SIZE - 8, 16, W, 0);
	offer(f, 0);
}

static void b_far_away(struct fx *f)
{
	desc(f, 0, DATA, 1, R | N, 1);
	desc(f, 1, 0x1000, 0x1000, R, 0);
	offer(f, 0);
}

static void b_huge_len(struct fx *f)
{
	desc(f, 0, DATA, UINT32_MAX, W, 0);
	offer(f, 0);
}

static void b_wraps(struct fx *f)
{
	desc(f, 0, UINT64_MAX - 7, 16, R, 0);
	offer(f, 0);
}

static void b_zero_len_outside(struct fx *f)
{
	desc(f, 0, BASE + MEM_SIZE + 1, 0, R, 0);
	offer(f, 0);
}

static void b_read_after_write(struct fx *f)
{
	desc(f, 0, DATA, 1, R | N, 1);
	desc(f, 1, DATA, 1, W | N, 2);
	desc(f, 2, DATA, 1, R, 0);
	offer(f, 0);
}

static void b_read_after_write_indirect(struct fx *f)
{
	desc(f, 0, DATA, 1, W | N, 1);
	desc(f, 1, TABLE, 16, I, 0);
	desc_at(f, TABLE, 0, DATA, 1, R, 0);
	offer(f, 0);
}

static void b_one_writable(struct fx *f)
{
	desc(f, 0, DATA, 1, R | N, 1);
	desc(f, 1, DATA, 1, W, 0);
	offer(f, 0);
}

static void b_one_readable(struct fx *f)
{
	desc(f, 0, DATA, 1, R, 0);
	offer(f, 0);
}

static void b_only_writable(struct fx *f)
{
	desc(f, 0, DATA, 1, W | N, 1);
	desc(f, 1, DATA, 1, W, 0);
	offer(f, 0);
}

static void b_indirect_table(struct fx *f, uint64_t addr, uint32_t len, uint16_t flags)
{
	desc(f, 0, addr, len, flags, 1);
	desc(f, 1, DATA, 1, R, 0);
	desc_at(f, TABLE, 0, DATA, 1, R, 0);
	offer(f, 0);
}

static void b_ind_not_negotiated(struct fx *f)
{
	b_indirect_table(f, TABLE, 16, I);
}

static void b_ind_and_next(struct fx *f)
{
	b_indirect_table(f, TABLE, 16, I | N);
}

static void b_ind_len_zero(struct fx *f)
{
	b_indirect_table(f, TABLE, 0, I);
}

static void b_ind_len_odd(struct fx *f)
{
	b_indirect_table(f, TABLE, 24, I);
}

static void b_ind_len_huge(struct fx *f)
{
	b_indirect_table(f, TABLE, UINT32_MAX - 15, I);
}

static void b_ind_too_many(struct fx *f)
{
	b_indirect_table(f, TABLE, 16 * (NUM + 1), I);
}

static void b_ind_outside(struct fx *f)
{
	b_indirect_table(f, BASE + MEM_SIZE - 16, 32, I);
}

static void b_ind_below(struct fx *f)
{
	b_indirect_table(f, BASE - 16, 16, I);
}

static void b_ind_wraps(struct fx *f)
{
	b_indirect_table(f, UINT64_MAX - 15, 32, I);
}

static void b_ind_nested(struct fx *f)
{
	desc(f, 0, TABLE, 32, I, 0);
	desc_at(f, TABLE, 0, DATA, 1, R | N, 1);
	desc_at(f, TABLE, 1, TABLE2, 16, I, 0);
	desc_at(f, TABLE2, 0, DATA, 1, R, 0);
	offer(f, 0);
}

static void b_ind_next_past(struct fx *f)
{
	desc(f, 0, TABLE, 32, I, 0);
	desc_at(f, TABLE, 0, DATA, 1, R | N, 2);
	desc_at(f, TABLE, 2, DATA, 1, R, 0);	/* there, but not in the table */
	offer(f, 0);
}

static void b_ind_loop(struct fx *f)
{
	desc(f, 0, TABLE, 48, I, 0);
	desc_at(f, TABLE, 0, DATA, 1, W | N, 1);
	desc_at(f, TABLE, 1, DATA, 1, W | N, 2);
	desc_at(f, TABLE, 2, DATA, 1, W | N, 1);
	offer(f, 0);
}

static void b_ind_buffer_outside(struct fx *f)
{
	desc(f, 0, TABLE, 32, I, 0);
	desc_at(f, TABLE, 0, DATA, 1, R | N, 1);
	desc_at(f, TABLE, 1, BASE + MEM_SIZE, 1, W, 0);
	offer(f, 0);
}

/* 3 direct buffers and a table of 6: 9 buffers on a queue of 8 */
static void b_longer_than_queue(struct fx *f)
{
	unsigned i;

	desc(f, 0, DATA, 1, R | N, 1);
	desc(f, 1, DATA, 1, R | N, 2);
	desc(f, 2, DATA, 1, R | N, 3);
	desc(f, 3, TABLE, 6 * 16, I, 0);
	for (i = 0; i < 6; i++)
		desc_at(f, TABLE, i, DATA, 1, W | (i < 5 ? N : 0), (uint16_t)(i + 1));
	offer(f, 0);
}

static void b_avail_jump(struct fx *f)
{
	desc(f, 0, DATA, 1, R, 0);
	offer(f, 0);
	set_avail_idx(f, NUM + 1);
}

static void b_avail_back(struct fx *f)
{
	set_avail_idx(f, 0xffff);		/* "decremented" from 0 */
}

static const struct bad_case bad_cases[] = {
	{ "head past the queue", b_head_past, 0, VQ_ANY, "head 8 is past the queue size 8" },
	{ "head 0xffff", b_head_max, 0, VQ_ANY, "head 65535" },
	{ "next past the queue", b_next_past, 0, VQ_ANY, "next 8 is past the queue" },
	{ "self loop", b_self_loop, 0, VQ_ANY, "a loop" },
	{ "loop", b_loop, 0, VQ_ANY, "a loop, or longer than the queue of 8" },
	{ "below base", b_below_base, 0, VQ_ANY, "is outside guest memory" },
	{ "straddles the start", b_straddles_start, 0, VQ_ANY, "[0x7fffffff, +0x2)" },
	{ "past the end", b_past_end, 0, VQ_ANY, "is outside guest memory" },
	{ "far away", b_far_away, 0, VQ_ANY, "descriptor 1: buffer [0x1000" },
	{ "4 GiB buffer", b_huge_len, 0, VQ_ANY, "is outside guest memory" },
	{ "wraps", b_wraps, 0, VQ_ANY, "wraps the address space" },
	{ "empty buffer outside", b_zero_len_outside, 0, VQ_ANY, "+0x0) is outside" },
	{ "readable after writable", b_read_after_write, 0, VQ_ANY,
	  "descriptor 2: device-readable after a device-writable" },
	{ "readable after writable, indirect", b_read_after_write_indirect, FEAT_INDIRECT, VQ_ANY,
	  "device-readable after a device-writable" },
	{ "writable on an out queue", b_one_writable, 0, VQ_OUT, "where the device only reads" },
	{ "readable on an in queue", b_one_readable, 0, VQ_IN, "where the device only writes" },
	{ "no writable for out-in", b_one_readable, 0, VQ_OUT_IN, "1 readable and 0 writable" },
	{ "no readable for out-in", b_only_writable, 0, VQ_OUT_IN, "0 readable and 2 writable" },
	{ "indirect not negotiated", b_ind_not_negotiated, 0, VQ_ANY, "was not negotiated" },
	{ "indirect and next", b_ind_and_next, FEAT_INDIRECT, VQ_ANY, "both INDIRECT and NEXT" },
	{ "indirect table of 0", b_ind_len_zero, FEAT_INDIRECT, VQ_ANY, "table of 0 bytes" },
	{ "indirect table of 24", b_ind_len_odd, FEAT_INDIRECT, VQ_ANY, "table of 24 bytes" },
	{ "indirect table of 4 GiB", b_ind_len_huge, FEAT_INDIRECT, VQ_ANY,
	  "more than the queue size" },
	{ "indirect table of 9", b_ind_too_many, FEAT_INDIRECT, VQ_ANY,
	  "table of 9 descriptors, more than the queue size 8" },
	{ "indirect table outside", b_ind_outside, FEAT_INDIRECT, VQ_ANY,
	  "indirect table [0x800ffff0, +0x20) is outside" },
	{ "indirect table below", b_ind_below, FEAT_INDIRECT, VQ_ANY, "is outside" },
	{ "indirect table wraps", b_ind_wraps, FEAT_INDIRECT, VQ_ANY, "is outside" },
	{ "nested indirect", b_ind_nested, FEAT_INDIRECT, VQ_ANY, "nested indirect" },
	{ "indirect next past the table", b_ind_next_past, FEAT_INDIRECT, VQ_ANY,
	  "next 2 is past the indirect table of 2" },
	{ "indirect loop", b_ind_loop, FEAT_INDIRECT, VQ_ANY,
	  "a loop, or longer than the indirect" },
	{ "indirect buffer outside", b_ind_buffer_outside, FEAT_INDIRECT, VQ_ANY,
	  "descriptor 1: buffer [0x80100000, +0x1) is outside" },
	{ "longer than the queue", b_longer_than_queue, FEAT_INDIRECT, VQ_ANY,
	  "longer than the queue size 8" },
	{ "avail idx jumps", b_avail_jump, 0, VQ_ANY, "available idx 9 is 9 ahead of 0" },
	{ "avail idx goes back", b_avail_back, 0, VQ_ANY, "available idx 65535" },
};

static void check_bad(struct fx *f, const struct bad_case *c)
{
	int ret;

	memset(f->buf, 0, MEM_SIZE);
	f->avail_idx = 0;
	vq__chain_init(&f->chain, f->elem, MAX_ELEMS);
	setup_vq(f, c->features);
	c->build(f);
	ret = vq__pop(&f->vq, &f->chain, c->expect);
	if (ret != -EINVAL)
		fail_msg("%s: pop returned %d, want %d", c->name, ret, -EINVAL);
	if (!f->vq.broken || !strstr(f->vq.why, c->why))
		fail_msg("%s: why \"%s\" lacks \"%s\"", c->name, f->vq.why, c->why);
	assert_int_equal(f->vq.last_avail_idx, 0);
	/* it stays broken and gives nothing back */
	assert_int_equal(vq__pop(&f->vq, &f->chain, c->expect), -EINVAL);
	assert_int_equal(vq__enable_notify(&f->vq), -EINVAL);
	assert_int_equal(vq__push(&f->vq, 0, 0), -EINVAL);
	assert_int_equal(used_idx(f), 0);
	assert_int_equal(get32(f, USED + 4), 0);
}

static void test_malformed(void **state)
{
	struct fx *f = *state;
	unsigned i;

	for (i = 0; i < ARRAY_SIZE(bad_cases); i++)
		check_bad(f, &bad_cases[i]);
}

/* The first reason is kept. */
static void test_first_reason_kept(void **state)
{
	struct fx *f = *state;

	setup_vq(f, 0);
	b_head_past(f);
	assert_int_equal(vq__pop(&f->vq, &f->chain, VQ_ANY), -EINVAL);
	assert_non_null(strstr(f->vq.why, "head 8"));
	set_avail_idx(f, 100);
	assert_int_equal(vq__pop(&f->vq, &f->chain, VQ_ANY), -EINVAL);
	assert_non_null(strstr(f->vq.why, "head 8"));
}

/* A device that takes fewer buffers than the queue size. */
static void test_chain_over_max(void **state)
{
	struct fx *f = *state;

	setup_vq(f, 0);
	vq__chain_init(&f->chain, f->elem, 2);
	desc(f, 0, DATA, 1, R | N, 1);
	desc(f, 1, DATA, 1, R, 0);
	offer(f, 0);
	assert_int_equal(vq__pop(&f->vq, &f->chain, VQ_OUT), 1);
	desc(f, 1, DATA, 1, R | N, 2);
	desc(f, 2, DATA, 1, R, 0);
	offer(f, 0);
	assert_int_equal(vq__pop(&f->vq, &f->chain, VQ_OUT), -EINVAL);
	assert_non_null(strstr(f->vq.why, "more than the 2 buffers the device takes"));
}

/*
 * The total length of a chain fits in 32 bits. Guest memory here is 2 GiB
 * of PROT_NONE (buffers are never touched by the queue code: it would
 * fault) after one page for the rings.
 */
static void test_total_length(void **state)
{
	const uint64_t size = 2 * SZ_1G + SZ_64K;
	struct guest_mem mem;
	struct vq_elem elem[4];
	struct vq_chain chain;
	struct virtqueue vq;
	struct fx f = { 0 };
	uint8_t *host;

	host = mmap(NULL, size, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	assert_true(host != MAP_FAILED);
	assert_int_equal(mprotect(host, SZ_64K, PROT_READ | PROT_WRITE), 0);
	f.buf = host;
	guest_mem__init(&mem, host, BASE, size);
	vq__init(&vq, &mem);
	vq__chain_init(&chain, elem, 4);
	assert_int_equal(vq__setup(&vq, NUM, DESC, AVAIL, USED, 0), 0);

	/* 2 GiB + (2 GiB - 1): exactly 4 GiB - 1, fine */
	desc(&f, 0, BASE + SZ_64K, 0x80000000u, R | N, 1);
	desc(&f, 1, BASE + SZ_64K, 0x7fffffffu, W, 0);
	offer(&f, 0);
	assert_int_equal(vq__pop(&vq, &chain, VQ_ANY), 1);
	assert_int_equal(chain.out_len, 0x80000000u);
	assert_int_equal(chain.in_len, 0x7fffffffu);
	/* the same buffer twice and one byte more: 4 GiB */
	desc(&f, 2, BASE + SZ_64K, 0x80000000u, R | N, 3);
	desc(&f, 3, BASE + SZ_64K, 0x7fffffffu, R | N, 4);
	desc(&f, 4, BASE + SZ_64K, 1, W, 0);
	offer(&f, 2);
	assert_int_equal(vq__pop(&vq, &chain, VQ_ANY), -EINVAL);
	assert_non_null(strstr(vq.why, "more than 4 GiB - 1 in total"));
	assert_int_equal(munmap(host, size), 0);
}

/* ---- persist ---- */

static void round_trip(struct fx *f, struct virtqueue *out)
{
	char err[128] = "";
	struct preader r;
	struct pbuf b;

	pbuf__init(&b);
	vq__save(&f->vq, &b);
	assert_false(b.failed);
	preader__init(&r, b.data, b.len);
	if (vq__restore(out, &f->mem, &r, err, sizeof(err)))
		fail_msg("restore: %s", err);
	assert_true(preader__done(&r));
	pbuf__free(&b);
}

static void test_persist(void **state)
{
	struct fx *f = *state;
	struct virtqueue back;
	unsigned i;

	/* a reset queue */
	round_trip(f, &back);
	assert_false(back.ready);
	assert_false(back.broken);
	assert_ptr_equal(back.mem, &f->mem);

	setup_vq(f, FEAT_INDIRECT | FEAT_EVENT_IDX);
	for (i = 0; i < 5; i++) {
		desc(f, i, DATA + i, 1, W, 0);
		offer(f, (uint16_t)i);
	}
	for (i = 0; i < 3; i++)
		assert_int_equal(vq__pop(&f->vq, &f->chain, VQ_IN), 1);
	assert_int_equal(vq__push(&f->vq, 0, 1), 0);
	set_used_event(f, 100);
	assert_true(vq__should_notify(&f->vq));		/* the first */
	assert_false(vq__should_notify(&f->vq));
	round_trip(f, &back);
	assert_true(back.ready);
	assert_false(back.broken);
	assert_int_equal(back.num, NUM);
	assert_int_equal(back.desc, DESC);
	assert_int_equal(back.avail, AVAIL);
	assert_int_equal(back.used, USED);
	assert_int_equal(back.last_avail_idx, 3);
	assert_int_equal(back.used_idx, 1);
	assert_true(back.event_idx);
	assert_true(back.indirect);
	/* it carries on where it was; the first notification goes out */
	assert_int_equal(vq__pop(&back, &f->chain, VQ_IN), 1);
	assert_int_equal(f->chain.head, 3);
	assert_int_equal(vq__push(&back, 1, 1), 0);
	assert_int_equal(used_idx(f), 2);
	assert_true(vq__should_notify(&back));
	assert_false(vq__should_notify(&back));

	/* a broken queue stays broken */
	b_head_past(f);
	while ((i = (unsigned)vq__pop(&f->vq, &f->chain, VQ_IN)) == 1)
		;
	assert_int_equal((int)i, -EINVAL);
	round_trip(f, &back);
	assert_true(back.broken);
	assert_non_null(strstr(back.why, "snapshot"));
	assert_int_equal(vq__pop(&back, &f->chain, VQ_IN), -EINVAL);

	/* so does one whose set-up failed */
	assert_int_equal(vq__setup(&f->vq, 3, DESC, AVAIL, USED, 0), -EINVAL);
	round_trip(f, &back);
	assert_false(back.ready);
	assert_true(back.broken);
}

/* A saved queue: flags, num, desc, avail, used, last_avail, used_idx. */
static void craft(struct pbuf *b, uint32_t flags, uint32_t num, uint64_t desc_gpa,
		  uint64_t avail, uint64_t used, uint32_t last_avail, uint32_t used_i)
{
	pbuf__init(b);
	pbuf__put_u32(b, flags);
	pbuf__put_u32(b, num);
	pbuf__put_u64(b, desc_gpa);
	pbuf__put_u64(b, avail);
	pbuf__put_u64(b, used);
	pbuf__put_u32(b, last_avail);
	pbuf__put_u32(b, used_i);
}

static void expect_restore_fails(struct fx *f, struct pbuf *b, size_t len, const char *part)
{
	char err[160] = "";
	struct virtqueue vq;
	struct preader r;

	memset(&vq, 0xa5, sizeof(vq));
	preader__init(&r, b->data, len);
	assert_int_equal(vq__restore(&vq, &f->mem, &r, err, sizeof(err)), -EINVAL);
	if (!strstr(err, part))
		fail_msg("err \"%s\" lacks \"%s\"", err, part);
	assert_false(vq.ready);
	assert_false(vq.broken);
	assert_int_equal(vq.num, 0);
	assert_ptr_equal(vq.mem, &f->mem);
	assert_int_equal(vq__pop(&vq, &f->chain, VQ_ANY), 0);
}

static void test_restore_bad(void **state)
{
	struct fx *f = *state;
	struct pbuf b;
	size_t len;

	craft(&b, 7, NUM, DESC, AVAIL, USED, 4, 2);
	for (len = 0; len < b.len; len++)
		expect_restore_fails(f, &b, len, "queue: truncated");
	pbuf__free(&b);

	craft(&b, 0x11, NUM, DESC, AVAIL, USED, 0, 0);
	expect_restore_fails(f, &b, b.len, "flags 0x11: unknown bits");
	pbuf__free(&b);
	craft(&b, 1, 3, DESC, AVAIL, USED, 0, 0);
	expect_restore_fails(f, &b, b.len, "queue: queue size 3 is not a power of 2");
	pbuf__free(&b);
	craft(&b, 1, 65536, DESC, AVAIL, USED, 0, 0);
	expect_restore_fails(f, &b, b.len, "queue size 65536");
	pbuf__free(&b);
	craft(&b, 1, NUM, DESC + 4, AVAIL, USED, 0, 0);
	expect_restore_fails(f, &b, b.len, "descriptor table at 0x80000004 is not 16-byte");
	pbuf__free(&b);
	craft(&b, 1, NUM, DESC, BASE + MEM_SIZE - 4, USED, 0, 0);
	expect_restore_fails(f, &b, b.len, "available ring [0x800ffffc, +0x16) is outside");
	pbuf__free(&b);
	craft(&b, 1, NUM, DESC, AVAIL, UINT64_MAX - 3, 0, 0);
	expect_restore_fails(f, &b, b.len, "used ring");
	pbuf__free(&b);
	craft(&b, 1, NUM, DESC, AVAIL, USED, 0x10000, 0);
	expect_restore_fails(f, &b, b.len, "index 65536: more than 16 bits");
	pbuf__free(&b);
	craft(&b, 1, NUM, DESC, AVAIL, USED, 0, UINT32_MAX);
	expect_restore_fails(f, &b, b.len, "more than 16 bits");
	pbuf__free(&b);
	craft(&b, 1, NUM, DESC, AVAIL, USED, 9, 0);
	expect_restore_fails(f, &b, b.len, "used idx 0 is more than the queue size 8 behind "
			     "available idx 9");
	pbuf__free(&b);
	craft(&b, 1, NUM, DESC, AVAIL, USED, 3, 4);	/* used ahead of available */
	expect_restore_fails(f, &b, b.len, "behind");
	pbuf__free(&b);
	craft(&b, 0, NUM, 0, 0, 0, 0, 0);
	expect_restore_fails(f, &b, b.len, "not ready, but has");
	pbuf__free(&b);
	craft(&b, SAVED_EVENT_IDX, 0, 0, 0, 0, 0, 0);
	expect_restore_fails(f, &b, b.len, "not ready, but has");
	pbuf__free(&b);
	craft(&b, 0, 0, 0, 0, 0, 1, 0);
	expect_restore_fails(f, &b, b.len, "not ready, but has");
	pbuf__free(&b);

	/* the edges that are fine: 8 in flight, wrapped indices */
	{
		struct virtqueue vq;
		struct preader r;
		char err[128];

		craft(&b, 1, NUM, DESC, AVAIL, USED, 3, 0xfffb);
		preader__init(&r, b.data, b.len);
		assert_int_equal(vq__restore(&vq, &f->mem, &r, err, sizeof(err)), 0);
		assert_int_equal(vq.last_avail_idx, 3);
		assert_int_equal(vq.used_idx, 0xfffb);
		pbuf__free(&b);
	}
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

/* A chain's elements as one byte stream, across element boundaries. */
static void test_elems_stream(void **state)
{
	uint8_t a[3] = "abc", b[1] = { 0 }, c[4] = "defg", out[6] = { 0 }, xy[2] = "XY";
	struct vq_elem e[] = {
		{ .host = a, .len = 3 }, { .host = b, .len = 0 }, { .host = c, .len = 4 },
	};
	struct iovec iov[3];

	/* bytes 2..6: "c" from a, nothing from the empty b, "defg" from c */
	assert_int_equal(vq__elems_iov(e, 3, 2, 5, iov), 2);
	assert_ptr_equal(iov[0].iov_base, a + 2);
	assert_int_equal(iov[0].iov_len, 1);
	assert_ptr_equal(iov[1].iov_base, c);
	assert_int_equal(iov[1].iov_len, 4);
	assert_int_equal(vq__elems_iov(e, 3, 0, UINT64_MAX, iov), 2);	/* the whole chain */
	assert_int_equal(iov[0].iov_len + iov[1].iov_len, 7);
	assert_int_equal(vq__elems_iov(e, 3, 7, 1, iov), 0);		/* past the end */

	vq__elems_copy(e, 3, 1, out, 4, false);
	assert_memory_equal(out, "bcde", 4);
	vq__elems_copy(e, 3, 2, xy, 2, true);
	assert_memory_equal(a, "abX", 3);
	assert_memory_equal(c, "Yefg", 4);
	memset(out, 0, sizeof(out));
	vq__elems_copy(e, 3, 5, out, 6, false);	/* only what the elements hold */
	assert_memory_equal(out, "fg\0\0\0\0", 6);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_elems_stream),
		T(test_guest_mem_ptr),
		T(test_guest_mem_rw),
		T(test_setup),
		T(test_pop_empty),
		T(test_pop_single),
		T(test_pop_next_chain),
		T(test_pop_longest_chain),
		T(test_pop_indirect),
		T(test_pop_mixed),
		T(test_push),
		T(test_index_wrap),
		T(test_avail_full),
		T(test_notify_flags),
		T(test_notify_event_idx),
		T(test_notify_event_idx_pushes),
		T(test_enable_disable_notify),
		T(test_malformed),
		T(test_first_reason_kept),
		T(test_chain_over_max),
		T(test_total_length),
		T(test_persist),
		T(test_restore_bad),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
