/*
 * libFuzzer target: the split virtqueue (virtio/virtqueue.c) against a
 * hostile guest.
 *
 * An input is a 16-byte header and a guest memory image. The image becomes
 * guest RAM at RAM_BASE, in a buffer of exactly its size (so ASan catches
 * any access outside guest memory). The header picks the queue:
 *
 *   0     log2 of the queue size (bits 0-3); bit 7: take the size from 12-13
 *   1     bit 0 EVENT_IDX, bit 1 INDIRECT_DESC, bits 2-3 the direction
 *         policy, bit 4 save and restore midway, bit 5 also restore the
 *         image's last 40 bytes as a saved queue
 *   2-3   descriptor table offset in RAM / 16
 *   4-5   available ring offset / 2
 *   6-7   used ring offset / 4
 *   8     most buffers the device takes (0: the queue size)
 *   9     bit 0-2: misalign the descriptor table, available, used ring
 *   10-11 the starting index (last_avail_idx and used_idx)
 *   12-13 a raw queue size (with bit 7 of byte 0)
 *
 * The queue is set up, then popped and pushed until it is empty or broken
 * (at most MAX_ROUNDS chains). Every chain must lie inside guest memory,
 * readable before writable, within the queue size and the device's limit;
 * a broken queue must say why. Anything else aborts.
 *
 * Built with -DFUZZ_SEED_MAIN this file is instead a program that writes
 * seed inputs into the directory given as its argument.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vmm/guest-mem.h"
#include "arm64/layout.h"
#include "vmm/persist.h"
#include "vmm/virtqueue.h"

#define HDR		16
#define MAX_ROUNDS	256
#define SAVED_LEN	40	/* what vq__save() writes */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct vq_elem elems[VQ_MAX_SIZE];
static volatile uint8_t sink;

static uint16_t le16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

/* A chain must be what vq.h promises, inside guest memory. */
static void check_chain(const struct virtqueue *vq, const struct vq_chain *c)
{
	const struct guest_mem *m = vq->mem;
	uint64_t out = 0, in = 0, off;
	uint32_t i;

	if (c->head >= vq->num || !c->nr || c->nr > vq->num || c->nr > c->max ||
	    c->nr_out > c->nr)
		abort();
	for (i = 0; i < c->nr; i++) {
		const struct vq_elem *e = &c->elem[i];
		uint8_t *p = e->host;

		if (e->writable != (i >= c->nr_out) || e->gpa < m->base)
			abort();
		off = e->gpa - m->base;
		if (off > m->size || e->len > m->size - off || p != m->host + off)
			abort();
		if (e->writable)
			in += e->len;
		else
			out += e->len;
		if (!e->len)
			continue;
		/* touch both ends: ASan knows where guest memory ends */
		if (e->writable) {
			p[0] ^= 0x5a;
			p[e->len - 1] ^= 0xa5;
		} else {
			sink ^= p[0] ^ p[e->len - 1];
		}
	}
	if (out != c->out_len || in != c->in_len || out + in > UINT32_MAX)
		abort();
}

static void check_broken(struct virtqueue *vq)
{
	struct vq_chain c;

	vq__chain_init(&c, elems, VQ_MAX_SIZE);
	if (!vq->broken || !vq->why[0] || !memchr(vq->why, 0, sizeof(vq->why)))
		abort();
	if (vq__pop(vq, &c, VQ_ANY) != -EINVAL || vq__push(vq, 0, 0) != -EINVAL ||
	    vq__enable_notify(vq) != -EINVAL)
		abort();
}

/* Pops and pushes until empty, broken or rounds run out. */
static void run(struct virtqueue *vq, enum vq_expect expect, uint32_t max, unsigned rounds)
{
	struct vq_chain c;
	unsigned i;
	int ret = 0;

	vq__chain_init(&c, elems, max);
	for (i = 0; i < rounds; i++) {
		ret = vq__pop(vq, &c, expect);
		if (ret <= 0)
			break;
		check_chain(vq, &c);
		if (vq__push(vq, c.head, c.in_len))
			abort();
		(void)vq__should_notify(vq);
		if (i % 3 == 1)
			vq__disable_notify(vq);
		if (i % 3 == 2 && vq__enable_notify(vq) < 0)
			break;
	}
	if (ret < 0 || vq->broken)
		check_broken(vq);
	else if (ret != 0 && ret != 1)
		abort();
}

static void same(const struct virtqueue *a, const struct virtqueue *b)
{
	if (a->ready != b->ready || a->broken != b->broken || a->num != b->num ||
	    a->desc != b->desc || a->avail != b->avail || a->used != b->used ||
	    a->last_avail_idx != b->last_avail_idx || a->used_idx != b->used_idx ||
	    a->event_idx != b->event_idx || a->indirect != b->indirect)
		abort();
}

/* Save, restore, compare: a saved queue always restores. */
static void round_trip(struct virtqueue *vq, const struct guest_mem *mem)
{
	struct virtqueue back;
	struct preader r;
	struct pbuf b;
	char err[200];

	pbuf__init(&b);
	vq__save(vq, &b);
	if (b.failed || b.len != SAVED_LEN)
		abort();
	preader__init(&r, b.data, b.len);
	if (vq__restore(&back, mem, &r, err, sizeof(err)) || !preader__done(&r))
		abort();
	same(vq, &back);
	pbuf__free(&b);
	*vq = back;
}

/* Untrusted saved state: restored and usable, or refused with a message. */
static void raw_restore(const struct guest_mem *mem, const uint8_t *p, size_t len,
			enum vq_expect expect)
{
	struct virtqueue vq;
	struct preader r;
	char err[200];

	err[0] = '\0';
	preader__init(&r, p, len);
	if (vq__restore(&vq, mem, &r, err, sizeof(err))) {
		if (!err[0] || vq.ready || vq.broken)
			abort();
		return;
	}
	run(&vq, expect, VQ_MAX_SIZE, 16);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *h = data;
	struct guest_mem mem;
	struct virtqueue vq;
	uint64_t desc, avail, used, features = 0;
	enum vq_expect expect;
	uint32_t num, max;
	size_t mem_size;
	uint8_t *ram;

	if (size < HDR)
		return 0;
	mem_size = size - HDR;
	ram = malloc(mem_size ? mem_size : 1);
	if (!ram)
		return 0;
	memcpy(ram, data + HDR, mem_size);
	guest_mem__init(&mem, ram, RAM_BASE, mem_size);

	num = h[0] & 0x80 ? le16(h + 12) : 1u << (h[0] & 15);
	if (h[1] & 1)
		features |= 1ULL << VIRTIO_RING_F_EVENT_IDX;
	if (h[1] & 2)
		features |= 1ULL << VIRTIO_RING_F_INDIRECT_DESC;
	expect = (enum vq_expect)((h[1] >> 2) & 3);
	desc = RAM_BASE + 16 * (uint64_t)le16(h + 2) + (h[9] & 1 ? 8 : 0);
	avail = RAM_BASE + 2 * (uint64_t)le16(h + 4) + (h[9] & 2 ? 1 : 0);
	used = RAM_BASE + 4 * (uint64_t)le16(h + 6) + (h[9] & 4 ? 2 : 0);
	max = h[8] ? h[8] : VQ_MAX_SIZE;

	vq__init(&vq, &mem);
	if (vq__setup(&vq, num, desc, avail, used, features)) {
		check_broken(&vq);
	} else {
		vq.last_avail_idx = vq.used_idx = le16(h + 10);
		run(&vq, expect, max, MAX_ROUNDS / 2);
		if (h[1] & 0x10)
			round_trip(&vq, &mem);
		if (!vq.broken)
			run(&vq, expect, max, MAX_ROUNDS / 2);
	}
	if (h[1] & 0x20 && mem_size >= SAVED_LEN)
		raw_restore(&mem, ram + mem_size - SAVED_LEN, SAVED_LEN, expect);
	free(ram);
	return 0;
}

#ifdef FUZZ_SEED_MAIN
/*
 * Seeds: a queue of 8 at RAM offset 0 (descriptors), 0x100 (available),
 * 0x200 (used), an indirect table at 0x300 and buffers from 0x400, in 2 KiB
 * of RAM, with the chains a real driver makes.
 */
#define S_RAM		0x800
#define S_NUM		8
#define S_DESC		0x000
#define S_AVAIL		0x100
#define S_USED		0x200
#define S_TABLE		0x300
#define S_DATA		0x400

struct seed {
	uint8_t buf[HDR + S_RAM];
	uint16_t avail_idx;
};

static void put(uint8_t *p, uint64_t v, unsigned n)
{
	while (n--) {
		*p++ = (uint8_t)v;
		v >>= 8;
	}
}

static void seed_init(struct seed *s, uint8_t flags, uint16_t start)
{
	memset(s, 0, sizeof(*s));
	s->buf[0] = 3;				/* 8 entries */
	s->buf[1] = flags;
	put(s->buf + 2, S_DESC / 16, 2);
	put(s->buf + 4, S_AVAIL / 2, 2);
	put(s->buf + 6, S_USED / 4, 2);
	put(s->buf + 10, start, 2);
	s->avail_idx = start;
	put(s->buf + HDR + S_AVAIL + 2, start, 2);
}

static void seed_desc(struct seed *s, unsigned table, unsigned i, uint32_t off, uint32_t len,
		      uint16_t flags, uint16_t next)
{
	uint8_t *p = s->buf + HDR + table + 16 * i;

	put(p, RAM_BASE + off, 8);
	put(p + 8, len, 4);
	put(p + 12, flags, 2);
	put(p + 14, next, 2);
}

static void seed_offer(struct seed *s, uint16_t head)
{
	put(s->buf + HDR + S_AVAIL + 4 + 2 * (s->avail_idx % S_NUM), head, 2);
	put(s->buf + HDR + S_AVAIL + 2, ++s->avail_idx, 2);
}

/* The queue's saved state at the end of RAM, for the raw restore. */
static void seed_saved(struct seed *s)
{
	struct guest_mem mem;
	struct virtqueue vq;
	struct pbuf b;

	guest_mem__init(&mem, s->buf + HDR, RAM_BASE, S_RAM);
	vq__init(&vq, &mem);
	if (vq__setup(&vq, S_NUM, RAM_BASE + S_DESC, RAM_BASE + S_AVAIL, RAM_BASE + S_USED,
		      1ULL << VIRTIO_RING_F_INDIRECT_DESC))
		abort();
	vq.last_avail_idx = s->avail_idx - 1;
	pbuf__init(&b);
	vq__save(&vq, &b);
	if (b.failed || b.len != SAVED_LEN)
		abort();
	memcpy(s->buf + sizeof(s->buf) - SAVED_LEN, b.data, SAVED_LEN);
	pbuf__free(&b);
}

static int write_seed(const char *dir, const char *name, const struct seed *s)
{
	char *path;
	FILE *f;
	int err;

	if (asprintf(&path, "%s/seed-%s", dir, name) < 0)
		return -ENOMEM;
	f = fopen(path, "wb");
	err = !f || fwrite(s->buf, 1, sizeof(s->buf), f) != sizeof(s->buf) ? -EIO : 0;
	if (f && fclose(f))
		err = -EIO;
	free(path);
	return err;
}

/* A readable buffer, a request (readable, writable, writable), an indirect one. */
static void seed_chains(struct seed *s)
{
	seed_desc(s, S_DESC, 0, S_DATA, 64, 0, 0);
	seed_offer(s, 0);
	seed_desc(s, S_DESC, 1, S_DATA + 0x40, 16, VRING_DESC_F_NEXT, 2);
	seed_desc(s, S_DESC, 2, S_DATA + 0x80, 512, VRING_DESC_F_WRITE | VRING_DESC_F_NEXT, 3);
	seed_desc(s, S_DESC, 3, S_DATA + 0x280, 1, VRING_DESC_F_WRITE, 0);
	seed_offer(s, 1);
	seed_desc(s, S_DESC, 4, S_TABLE, 3 * 16, VRING_DESC_F_INDIRECT, 0);
	seed_desc(s, S_TABLE, 0, S_DATA + 0x300, 16, VRING_DESC_F_NEXT, 1);
	seed_desc(s, S_TABLE, 1, S_DATA + 0x310, 64, VRING_DESC_F_WRITE | VRING_DESC_F_NEXT, 2);
	seed_desc(s, S_TABLE, 2, S_DATA + 0x350, 1, VRING_DESC_F_WRITE, 0);
	seed_offer(s, 4);
}

int main(int argc, char **argv)
{
	struct seed s;
	int err;

	if (argc != 2) {
		fprintf(stderr, "usage: %s CORPUS-DIR\n", argv[0]);
		return 2;
	}
	seed_init(&s, 0x02 | 0x10, 0);		/* indirect, any direction, save midway */
	seed_chains(&s);
	err = write_seed(argv[1], "chains", &s);

	seed_init(&s, 0x03, 0xfffe);		/* event idx, wrapping indices */
	seed_chains(&s);
	put(s.buf + HDR + S_AVAIL + 4 + 2 * S_NUM, 0xffff, 2);	/* used_event */
	if (!err)
		err = write_seed(argv[1], "event-idx", &s);

	seed_init(&s, 0x02 | 0x20, 0);		/* and a saved queue to restore */
	seed_chains(&s);
	seed_saved(&s);
	if (!err)
		err = write_seed(argv[1], "restore", &s);

	seed_init(&s, VQ_IN << 2, 0);		/* receive-like: writable only */
	seed_desc(&s, S_DESC, 5, S_DATA, 256, VRING_DESC_F_WRITE | VRING_DESC_F_NEXT, 6);
	seed_desc(&s, S_DESC, 6, S_DATA + 256, 256, VRING_DESC_F_WRITE, 0);
	seed_offer(&s, 5);
	seed_desc(&s, S_DESC, 7, S_DATA + 512, 128, VRING_DESC_F_WRITE, 0);
	seed_offer(&s, 7);
	if (!err)
		err = write_seed(argv[1], "rx", &s);
	if (err) {
		fprintf(stderr, "%s: cannot write the seeds: %s\n", argv[0], strerror(-err));
		return 1;
	}
	return 0;
}
#endif
