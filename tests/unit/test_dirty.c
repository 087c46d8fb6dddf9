/*
 * Unit tests of dirty tracking's own side (vmm/dirty.c, dirty__mark in
 * vmm/guest-mem.c): marking ranges into the log, taking the marks, KVM's
 * host-page bits as 4 KiB pages, and the virtqueue marking what a device
 * wrote when it pushes a chain. KVM's side needs /dev/kvm: the test bed
 * (tests/bed/snapshot-incr.sh) shows the guest's own writes collected.
 */
#include <stdlib.h>
#include <string.h>

#include "unit.h"
#include "vmm/dirty.h"
#include "vmm/guest-mem.h"
#include "vmm/virtqueue.h"

#define BASE		0x40000000ULL
#define PAGES		200			/* 4 words, the last one partly */
#define SIZE		(PAGES * DIRTY_PAGE_SIZE)
#define PG(n)		(BASE + (uint64_t)(n) * DIRTY_PAGE_SIZE)

struct fx {
	struct dirty_log *log;
	struct guest_mem mem;
	uint8_t *ram;
	uint64_t got[4];
};

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	f->log = dirty_log__new(BASE, SIZE);
	f->ram = calloc(1, SIZE);
	assert_non_null(f->log);
	assert_non_null(f->ram);
	assert_int_equal(f->log->words, 4);
	assert_int_equal(f->log->pages, PAGES);
	guest_mem__init(&f->mem, f->ram, BASE, SIZE);
	f->mem.dirty = f->log;
	dirty_log__set_marking(f->log, true);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	dirty_log__free(f->log);
	free(f->ram);
	free(f);
	return 0;
}

/* The pages set in f->got after taking the marks, as a count. */
static uint64_t take(struct fx *f)
{
	memset(f->got, 0, sizeof(f->got));
	return dirty_log__take(f->log, f->got);
}

static void mark_one_byte_sets_its_page(void **state)
{
	struct fx *f = *state;

	dirty__mark(&f->mem, PG(70) + 4095, 1);
	assert_int_equal(take(f), 1);
	assert_true(dirty__test(f->got, 70));
	assert_int_equal(f->got[1], 1ULL << 6);
	/* taken: the log is clear */
	assert_int_equal(take(f), 0);
}

static void mark_range_across_words(void **state)
{
	struct fx *f = *state;

	/* from the last byte of page 60 to the first of page 130: pages 60..130 */
	dirty__mark(&f->mem, PG(60) + 4095, PG(130) - (PG(60) + 4095) + 1);
	assert_int_equal(take(f), 71);
	assert_false(dirty__test(f->got, 59));
	assert_true(dirty__test(f->got, 60));
	assert_int_equal(f->got[1], ~0ULL);
	assert_true(dirty__test(f->got, 130));
	assert_false(dirty__test(f->got, 131));
	assert_int_equal(dirty__count(f->got, 4), 71);
}

static void mark_clips_to_ram(void **state)
{
	struct fx *f = *state;

	dirty__mark(&f->mem, PG(198), 100 * DIRTY_PAGE_SIZE);	/* past the end */
	assert_int_equal(take(f), 2);
	assert_true(dirty__test(f->got, 198) && dirty__test(f->got, 199));
	assert_int_equal(f->got[3] >> (PAGES % 64), 0);		/* nothing past the last page */
	dirty__mark(&f->mem, BASE - DIRTY_PAGE_SIZE, DIRTY_PAGE_SIZE);	/* below RAM */
	dirty__mark(&f->mem, PG(PAGES), 1);				/* just past it */
	dirty__mark(&f->mem, ~0ULL, ~0ULL);				/* wraps */
	dirty__mark(&f->mem, PG(3), 0);					/* empty */
	assert_int_equal(take(f), 0);
	dirty__mark(&f->mem, PG(199), ~0ULL);		/* a length that would wrap */
	assert_int_equal(take(f), 1);
}

static void mark_is_off_unless_tracking(void **state)
{
	struct fx *f = *state;

	dirty_log__set_marking(f->log, false);
	dirty__mark(&f->mem, PG(5), 1);
	assert_int_equal(take(f), 0);
	f->mem.dirty = NULL;
	dirty_log__set_marking(f->log, true);
	dirty__mark(&f->mem, PG(5), 1);
	assert_int_equal(take(f), 0);
}

static void take_ors_into_the_bitmap(void **state)
{
	struct fx *f = *state;

	f->got[0] = 1;			/* page 0, from an earlier collect */
	dirty__mark(&f->mem, PG(1), 1);
	assert_int_equal(dirty_log__take(f->log, f->got), 1);
	assert_int_equal(f->got[0], 3);
}

static void starting_marking_forgets_old_marks(void **state)
{
	struct fx *f = *state;

	dirty__mark(&f->mem, PG(9), 1);
	dirty_log__set_marking(f->log, false);
	dirty_log__set_marking(f->log, true);
	assert_int_equal(take(f), 0);
}

static void guest_mem_writes_mark(void **state)
{
	struct fx *f = *state;

	assert_int_equal(guest_mem__write16(&f->mem, PG(10) + 8, 1), 0);
	assert_int_equal(guest_mem__write32(&f->mem, PG(11) + 4094, 1), 0);	/* straddles */
	assert_int_equal(guest_mem__write64(&f->mem, PG(40), 1), 0);
	assert_int_not_equal(guest_mem__write64(&f->mem, PG(PAGES), 1), 0);
	assert_int_equal(take(f), 4);
	assert_true(dirty__test(f->got, 10) && dirty__test(f->got, 11) &&
		    dirty__test(f->got, 12) && dirty__test(f->got, 40));
}

static void expand_host_pages(void **state)
{
	uint64_t host[2] = { 1ULL | 1ULL << 5, 1ULL << 63 }, out[32];

	(void)state;
	dirty__expand_host_bits(out, 2, host, 2, 1);
	assert_int_equal(out[0], host[0]);
	assert_int_equal(out[1], host[1]);
	/* 16 KiB host pages: 4 bits each */
	dirty__expand_host_bits(out, 8, host, 2, 4);
	assert_int_equal(out[0], 0xfULL | 0xfULL << 20);
	assert_int_equal(dirty__count(out, 8), 12);
	assert_int_equal(out[7], 0xfULL << 60);
	/* 64 KiB host pages: 16 bits each, host page 127 is 4 KiB pages 2032..2047 */
	dirty__expand_host_bits(out, 32, host, 2, 16);
	assert_int_equal(out[0], 0xffffULL);
	assert_int_equal(out[1], 0xffffULL << 16);	/* host page 5: pages 80..95 */
	assert_int_equal(out[31], 0xffffULL << 48);
	assert_int_equal(dirty__count(out, 32), 48);
	/* out shorter than the host bits: the rest is left out */
	dirty__expand_host_bits(out, 1, host, 2, 16);
	assert_int_equal(out[0], 0xffffULL);
}

/* ---- the virtqueue marks a pushed chain's writable buffers ---- */

#define NUM	4
#define DESC	PG(0)
#define AVAIL	PG(1)
#define USED	PG(2)
#define TABLE	PG(3)

static void put(struct fx *f, uint64_t gpa, uint64_t v, unsigned n)
{
	uint8_t *p = f->ram + (gpa - BASE);

	for (unsigned i = 0; i < n; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static void desc_at(struct fx *f, uint64_t table, unsigned i, uint64_t addr, uint32_t len,
		    uint16_t flags, uint16_t next)
{
	uint64_t d = table + 16 * (uint64_t)i;

	put(f, d, addr, 8);
	put(f, d + 8, len, 4);
	put(f, d + 12, flags, 2);
	put(f, d + 14, next, 2);
}

/* Offers head 0 as the ring's first entry and pops it into c (8 elements). */
static void offer_and_pop(struct fx *f, struct virtqueue *vq, struct vq_chain *c,
			  struct vq_elem *elem, enum vq_expect expect)
{
	put(f, AVAIL + 4, 0, 2);
	put(f, AVAIL + 2, 1, 2);
	vq__chain_init(c, elem, 8);
	assert_int_equal(vq__pop(vq, c, expect), 1);
}

/* A queue with no features whose head 0 is one writable page, PG(30), popped. */
static void pop_writable_page(struct fx *f, struct virtqueue *vq, struct vq_chain *c,
			      struct vq_elem *elem)
{
	vq__init(vq, &f->mem);
	assert_int_equal(vq__setup(vq, NUM, DESC, AVAIL, USED, 0), 0);
	desc_at(f, DESC, 0, PG(30), 4096, VRING_DESC_F_WRITE, 0);
	offer_and_pop(f, vq, c, elem, VQ_IN);
}

static void push_marks_writable_buffers(void **state)
{
	struct fx *f = *state;
	struct virtqueue vq;
	struct vq_elem elem[8];
	struct vq_chain c;

	vq__init(&vq, &f->mem);
	assert_int_equal(vq__setup(&vq, NUM, DESC, AVAIL, USED,
				   1ULL << VIRTIO_RING_F_INDIRECT_DESC), 0);
	/* head 0: readable page 20, writable pages 30..32 (12 KiB from 30), then indirect */
	desc_at(f, DESC, 0, PG(20), 100, VRING_DESC_F_NEXT, 1);
	desc_at(f, DESC, 1, PG(30), 3 * 4096, VRING_DESC_F_WRITE | VRING_DESC_F_NEXT, 2);
	desc_at(f, DESC, 2, TABLE, 32, VRING_DESC_F_INDIRECT, 0);
	desc_at(f, TABLE, 0, PG(50) + 10, 1, VRING_DESC_F_WRITE | VRING_DESC_F_NEXT, 1);
	desc_at(f, TABLE, 1, PG(60), 4096 + 1, VRING_DESC_F_WRITE, 0);
	offer_and_pop(f, &vq, &c, elem, VQ_ANY);
	assert_int_equal(take(f), 0);		/* popping writes nothing */
	assert_int_equal(vq__push(&vq, c.head, 5), 0);
	take(f);
	/* the used ring's page, the writable buffers; not the readable one */
	assert_true(dirty__test(f->got, 2));
	assert_true(dirty__test(f->got, 30) && dirty__test(f->got, 31) &&
		    dirty__test(f->got, 32));
	assert_true(dirty__test(f->got, 50) && dirty__test(f->got, 60) &&
		    dirty__test(f->got, 61));
	assert_false(dirty__test(f->got, 20));
	assert_int_equal(dirty__count(f->got, 4), 7);
}

static void push_marks_nothing_when_off(void **state)
{
	struct fx *f = *state;
	struct virtqueue vq;
	struct vq_elem elem[8];
	struct vq_chain c;

	pop_writable_page(f, &vq, &c, elem);
	dirty_log__set_marking(f->log, false);
	assert_int_equal(vq__push(&vq, c.head, 5), 0);
	dirty_log__set_marking(f->log, true);
	assert_int_equal(take(f), 0);
}

/* A chain the guest turned into a loop after pop: marking stops, no hang. */
static void push_survives_a_rewritten_loop(void **state)
{
	struct fx *f = *state;
	struct virtqueue vq;
	struct vq_elem elem[8];
	struct vq_chain c;

	pop_writable_page(f, &vq, &c, elem);
	desc_at(f, DESC, 0, PG(30), 4096, VRING_DESC_F_WRITE | VRING_DESC_F_NEXT, 0);
	assert_int_equal(vq__push(&vq, c.head, 5), 0);
	take(f);
	assert_true(dirty__test(f->got, 30));
}

/* dirty__next walks the set pages in order, within the bitmap's pages only. */
static void next_walks_set_pages(void **state)
{
	uint64_t bm[4] = { 0 };
	const uint64_t set[] = { 0, 63, 64, 130, 199 };
	uint64_t got[8], n = 0;

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(set); i++)
		dirty__set(bm, set[i]);
	bm[3] |= 1ULL << 20;		/* page 212: past the 200 pages */
	for (uint64_t p = dirty__next(bm, PAGES, 0); p < PAGES; p = dirty__next(bm, PAGES, p + 1))
		got[n++] = p;
	assert_int_equal(n, ARRAY_SIZE(set));
	assert_memory_equal(got, set, sizeof(set));
	assert_int_equal(dirty__next(bm, PAGES, 131), 199);
	assert_int_equal(dirty__next(bm, PAGES, 200), PAGES);
	memset(bm, 0, sizeof(bm));
	assert_int_equal(dirty__next(bm, PAGES, 0), PAGES);
	assert_int_equal(dirty__next(bm, 0, 0), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(mark_one_byte_sets_its_page, setup, teardown),
		cmocka_unit_test_setup_teardown(mark_range_across_words, setup, teardown),
		cmocka_unit_test_setup_teardown(mark_clips_to_ram, setup, teardown),
		cmocka_unit_test_setup_teardown(mark_is_off_unless_tracking, setup, teardown),
		cmocka_unit_test_setup_teardown(take_ors_into_the_bitmap, setup, teardown),
		cmocka_unit_test_setup_teardown(starting_marking_forgets_old_marks, setup, teardown),
		cmocka_unit_test_setup_teardown(guest_mem_writes_mark, setup, teardown),
		cmocka_unit_test(expand_host_pages),
		cmocka_unit_test(next_walks_set_pages),
		cmocka_unit_test_setup_teardown(push_marks_writable_buffers, setup, teardown),
		cmocka_unit_test_setup_teardown(push_marks_nothing_when_off, setup, teardown),
		cmocka_unit_test_setup_teardown(push_survives_a_rewritten_loop, setup, teardown),
	};

	return cmocka_run_group_tests_name("dirty", tests, NULL, NULL);
}
