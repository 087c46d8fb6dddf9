/*
 * Unit tests of the virtio network device (virtio/net.c) over the fake
 * transport (tests/unit/fake-virtio.c): real virtqueues on a fake guest
 * memory, laid out by the test as a driver would, and a non-blocking
 * SOCK_SEQPACKET socketpair standing in for the tap (a tap needs
 * privileges; a seqpacket socket, like a tap, moves whole frames). The
 * test holds the socket's other end: what it reads is what the device
 * sent to the "tap", what it writes arrives as a frame from the "tap".
 *
 * Transmit (byte-exact, header included; bad and refused frames dropped
 * while the queue goes on), receive (num_buffers set, used length; no
 * buffer stops watching until a queue 0 kick; a short chain; a frame too
 * big for its chain), drain, reset, a broken queue, a tap that dies, and
 * the tap name checks of virtio_net__init.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "unit.h"
#include "fake-virtio.h"
#include "vmm/config.h"
#include "arm64/layout.h"
#include "vmm/virtio.h"
#include "vmm/vm.h"
#include "../../virtio/net.h"

#define BASE		RAM_BASE
#define MEM_SIZE	0x100000ULL		/* 1 MiB of guest memory */
#define NUM		8			/* entries per queue */
#define DATA		(BASE + 0x10000)	/* buffers, one BUF_SIZE slot each */
#define BUF_SIZE	0x1000
#define R		0			/* device-readable */
#define W		VRING_DESC_F_WRITE
#define HDR		VIRTIO_NET_HDR_LEN
#define RXQ		VIRTIO_NET_RXQ
#define TXQ		VIRTIO_NET_TXQ

/* The driver's view of one queue */
struct drv_queue {
	uint64_t desc, avail, used;
	uint16_t next_desc;		/* the next free descriptor (used round-robin) */
	uint16_t avail_idx;
};

struct fx {
	uint8_t *ram;
	struct vm vm;
	struct vm_config cfg;
	struct virtio_dev *dev;
	int peer;			/* the test's end of the "tap" */
	struct drv_queue q[2];
	unsigned next_buf;		/* the next free DATA slot */
};

static const uint8_t test_mac[6] = { 0x02, 0x11, 0x22, 0x33, 0x44, 0x55 };

/* ---- the fake driver ---- */

static uint8_t *at(struct fx *f, uint64_t gpa, uint64_t len)
{
	if (gpa < BASE || gpa - BASE > MEM_SIZE || len > MEM_SIZE - (gpa - BASE))
		fail_msg("test bug: 0x%llx+%llu outside the fake memory", (unsigned long long)gpa,
			 (unsigned long long)len);
	return f->ram + (gpa - BASE);
}

/* A fresh buffer of guest memory, filled with fill. */
static uint64_t new_buf(struct fx *f, uint8_t fill)
{
	uint64_t gpa = DATA + (uint64_t)f->next_buf++ * BUF_SIZE;

	memset(at(f, gpa, BUF_SIZE), fill, BUF_SIZE);
	return gpa;
}

struct seg {
	uint64_t gpa;
	uint32_t len;
	uint16_t flags;		/* R or W */
};

/* Makes a chain of n segments available on queue qi; returns its head. */
static uint16_t offer(struct fx *f, unsigned qi, const struct seg *s, unsigned n)
{
	struct drv_queue *q = &f->q[qi];
	uint16_t head = q->next_desc;

	for (unsigned i = 0; i < n; i++) {
		uint16_t d = (uint16_t)((head + i) % NUM), next = (uint16_t)((head + i + 1) % NUM);
		uint8_t *p = at(f, q->desc + 16 * (uint64_t)d, 16);

		put_le(p, s[i].gpa, 8);
		put_le(p + 8, s[i].len, 4);
		put_le(p + 12, s[i].flags | (i + 1 < n ? VRING_DESC_F_NEXT : 0), 2);
		put_le(p + 14, next, 2);
	}
	q->next_desc = (uint16_t)((head + n) % NUM);
	put_le(at(f, q->avail + 4 + 2 * (uint64_t)(q->avail_idx % NUM), 2), head, 2);
	put_le(at(f, q->avail + 2, 2), ++q->avail_idx, 2);
	return head;
}

/* One device-writable buffer of len bytes on the receive queue. */
static uint64_t offer_rx(struct fx *f, uint32_t len)
{
	struct seg s = { new_buf(f, 0xee), len, W };

	offer(f, RXQ, &s, 1);
	return s.gpa;
}

static uint16_t used_idx(struct fx *f, unsigned qi)
{
	return (uint16_t)get_le(at(f, f->q[qi].used + 2, 2), 2);
}

static void check_used(struct fx *f, unsigned qi, uint16_t slot, uint32_t id, uint32_t len)
{
	uint64_t e = f->q[qi].used + 4 + 8 * (uint64_t)(slot % NUM);

	assert_int_equal(get_le(at(f, e, 4), 4), id);
	assert_int_equal(get_le(at(f, e + 4, 4), 4), len);
}

/* ---- the "tap" ---- */

/* A frame of len bytes: a header of hdr_byte, then bytes counting from seed. */
static void make_frame(uint8_t *p, size_t len, uint8_t hdr_byte, uint8_t seed)
{
	for (size_t i = 0; i < len; i++)
		p[i] = i < HDR ? hdr_byte : (uint8_t)(seed + i);
}

static void tap_send(struct fx *f, const void *frame, size_t len)
{
	assert_int_equal(send(f->peer, frame, len, 0), (ssize_t)len);
}

/* The next frame the device sent, or -1 when there is none. */
static ssize_t tap_recv(struct fx *f, void *buf, size_t len)
{
	return recv(f->peer, buf, len, MSG_DONTWAIT);
}

/* ---- fixture ---- */

static void setup_queues(struct fx *f)
{
	for (unsigned qi = 0; qi < 2; qi++) {
		struct drv_queue *q = &f->q[qi];
		uint64_t base = BASE + 0x4000 * (uint64_t)qi;

		memset(at(f, base, 0x4000), 0, 0x4000);
		*q = (struct drv_queue){ .desc = base, .avail = base + 0x1000,
					 .used = base + 0x2000 };
		assert_int_equal(fake_virtio__setup_queue(f->dev, qi, NUM, q->desc, q->avail,
							  q->used), 0);
	}
}

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	int sv[2];

	if (!f)
		return -1;
	f->ram = calloc(1, MEM_SIZE);	/* exactly guest memory: ASan guards the rest */
	/* Both ends non-blocking: the device's as a tap opened O_NONBLOCK. */
	if (!f->ram || socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sv))
		return -1;
	f->vm.cfg = &f->cfg;
	f->vm.ram = f->ram;
	f->vm.ram_size = MEM_SIZE;
	f->peer = sv[1];
	if (virtio_net__create(&f->vm, sv[0], "test0", test_mac, &f->dev))
		return -1;
	setup_queues(f);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	fake_virtio__destroy_all();	/* closes the device's end */
	if (f->peer >= 0)
		close(f->peer);
	free(f->ram);
	free(f);
	return 0;
}

static struct fake_virtio_stats *stats(struct fx *f)
{
	return fake_virtio__stats(f->dev);
}

static void renegotiate(struct fx *f, uint64_t refused);

/* ---- the device ---- */

static void test_config(void **state)
{
	struct fx *f = *state;
	const struct virtio_dev_ops *ops = f->dev->ops;

	assert_int_equal(fake_virtio__nr_devs(), 1);
	assert_true(stats(f)->started);
	assert_int_equal(ops->device_id, VIRTIO_ID_NET);
	assert_int_equal(ops->nr_queues, 2);
	/* virtio 1.x bits: MAC 5, STATUS 16; CSUM 0, GUEST_CSUM 1, GUEST_TSO4/6 7-8,
	 * GUEST_ECN 9, HOST_TSO4/6 11-12, HOST_ECN 13, MRG_RXBUF 15; no UFO (10, 14). */
	assert_int_equal(ops->features, 0x1bba3);
	assert_int_equal(ops->config_size, 8);
	assert_memory_equal(f->dev->config, test_mac, 6);
	assert_int_equal(f->dev->config[6], VIRTIO_NET_S_LINK_UP);
	assert_int_equal(f->dev->config[7], 0);
	/* The tap is watched once the driver is up. */
	assert_true(f->dev->fds[0] >= 0);
}

/* ---- transmit ---- */

/* A header and a frame split over three buffers reach the tap as one, byte for byte. */
static void test_tx_byte_exact(void **state)
{
	struct fx *f = *state;
	uint8_t want[HDR + 80], got[256];
	struct seg s[3] = {
		{ new_buf(f, 0), HDR, R },
		{ new_buf(f, 0), 20, R },
		{ new_buf(f, 0), 60, R },
	};
	uint16_t head;

	make_frame(want, sizeof(want), 0, 7);
	/* A partial checksum at bytes 34+16 of the frame: a header with something in it. */
	want[0] = VIRTIO_NET_HDR_F_NEEDS_CSUM;
	want[6] = 34;
	want[8] = 16;
	want[10] = 0x5a;	/* num_buffers: the device ignores it on transmit */
	memcpy(at(f, s[0].gpa, HDR), want, HDR);
	memcpy(at(f, s[1].gpa, 20), want + HDR, 20);
	memcpy(at(f, s[2].gpa, 60), want + HDR + 20, 60);
	head = offer(f, TXQ, s, 3);
	fake_virtio__kick(f->dev, TXQ);

	assert_int_equal(tap_recv(f, got, sizeof(got)), sizeof(want));
	assert_memory_equal(got, want, sizeof(want));
	assert_int_equal(tap_recv(f, got, sizeof(got)), -1);
	assert_int_equal(used_idx(f, TXQ), 1);
	check_used(f, TXQ, 0, head, 0);
	assert_int_equal(stats(f)->notifies, 1);
	assert_false(stats(f)->failed);
}

/* Several frames in one kick: in order, one notification for the batch. */
static void test_tx_batch(void **state)
{
	struct fx *f = *state;
	uint8_t frame[HDR + 40], got[256];

	for (uint8_t i = 0; i < 3; i++) {
		struct seg s = { new_buf(f, 0), sizeof(frame), R };

		make_frame(at(f, s.gpa, sizeof(frame)), sizeof(frame), 0, i);
		offer(f, TXQ, &s, 1);
	}
	fake_virtio__kick(f->dev, TXQ);
	for (uint8_t i = 0; i < 3; i++) {
		make_frame(frame, sizeof(frame), 0, i);
		assert_int_equal(tap_recv(f, got, sizeof(got)), sizeof(frame));
		assert_memory_equal(got, frame, sizeof(frame));
	}
	assert_int_equal(used_idx(f, TXQ), 3);
	assert_int_equal(stats(f)->notifies, 1);
}

/* A chain shorter than the header is no frame: dropped, and the queue goes on. */
static void test_tx_short_chain(void **state)
{
	struct fx *f = *state;
	uint8_t frame[HDR + 30], got[256];
	struct seg bad = { new_buf(f, 0x11), HDR - 1, R };
	struct seg good = { new_buf(f, 0), sizeof(frame), R };
	uint16_t h1, h2;

	make_frame(frame, sizeof(frame), 0, 3);
	memcpy(at(f, good.gpa, sizeof(frame)), frame, sizeof(frame));
	h1 = offer(f, TXQ, &bad, 1);
	h2 = offer(f, TXQ, &good, 1);
	fake_virtio__kick(f->dev, TXQ);

	assert_int_equal(tap_recv(f, got, sizeof(got)), sizeof(frame));
	assert_memory_equal(got, frame, sizeof(frame));
	assert_int_equal(tap_recv(f, got, sizeof(got)), -1);
	assert_int_equal(used_idx(f, TXQ), 2);
	check_used(f, TXQ, 0, h1, 0);
	check_used(f, TXQ, 1, h2, 0);
	assert_false(stats(f)->failed);
}

/*
 * Frames the tap refuses (here: EAGAIN, a full socket buffer) are dropped,
 * never retried: every chain goes back, and the device sends again once
 * the tap takes frames.
 */
static void test_tx_refused(void **state)
{
	struct fx *f = *state;
	int sndbuf = 1;		/* the kernel's minimum: a frame or two */
	uint8_t got[4096];
	unsigned arrived = 0;
	struct seg s;

	assert_int_equal(setsockopt(f->dev->fds[0], SOL_SOCKET, SO_SNDBUF, &sndbuf,
				    sizeof(sndbuf)), 0);
	for (unsigned i = 0; i < NUM; i++) {
		s = (struct seg){ new_buf(f, (uint8_t)i), 3000, R };
		memset(at(f, s.gpa, HDR), 0, HDR);
		offer(f, TXQ, &s, 1);
	}
	fake_virtio__kick(f->dev, TXQ);
	assert_int_equal(used_idx(f, TXQ), NUM);
	while (tap_recv(f, got, sizeof(got)) == 3000)
		arrived++;
	assert_true(arrived >= 1);
	assert_true(arrived < NUM);
	assert_false(stats(f)->failed);

	/* Room again: the next frame goes out. */
	s = (struct seg){ new_buf(f, 0x77), 100, R };
	memset(at(f, s.gpa, HDR), 0, HDR);
	offer(f, TXQ, &s, 1);
	fake_virtio__kick(f->dev, TXQ);
	assert_int_equal(tap_recv(f, got, sizeof(got)), 100);
	assert_int_equal(got[99], 0x77);
	assert_int_equal(used_idx(f, TXQ), NUM + 1);
}

/* A device-writable buffer on the transmit queue breaks it, and nothing crashes. */
static void test_tx_writable_breaks(void **state)
{
	struct fx *f = *state;
	uint8_t got[64];
	struct seg s = { new_buf(f, 0), 64, W };

	offer(f, TXQ, &s, 1);
	fake_virtio__kick(f->dev, TXQ);
	assert_true(stats(f)->failed);
	assert_int_equal(used_idx(f, TXQ), 0);
	assert_int_equal(tap_recv(f, got, sizeof(got)), -1);
}

/* A header of the given fields (num_buffers 0). */
static void make_hdr(uint8_t *h, uint8_t flags, uint8_t gso, uint16_t hdr_len, uint16_t gso_size,
		     uint16_t csum_start, uint16_t csum_offset)
{
	memset(h, 0, HDR);
	h[0] = flags;
	h[1] = gso;
	put_le(h + 2, hdr_len, 2);
	put_le(h + 4, gso_size, 2);
	put_le(h + 6, csum_start, 2);
	put_le(h + 8, csum_offset, 2);
}

/* Sends one frame of len bytes after header h; true if it reached the tap unchanged. */
static bool tx_one(struct fx *f, const uint8_t *h, size_t len)
{
	static uint8_t frame[HDR + 3000], got[HDR + 3100];
	struct seg s = { new_buf(f, 0), (uint32_t)(HDR + len), R };
	uint16_t before = used_idx(f, TXQ);
	ssize_t n;

	make_frame(frame, HDR + len, 0, (uint8_t)len);
	memcpy(frame, h, HDR);
	memcpy(at(f, s.gpa, HDR + len), frame, HDR + len);
	offer(f, TXQ, &s, 1);
	fake_virtio__kick(f->dev, TXQ);
	/* Whatever happened to it, the chain went back and the queue is fine. */
	assert_int_equal(used_idx(f, TXQ), (uint16_t)(before + 1));
	assert_false(stats(f)->failed);
	n = tap_recv(f, got, sizeof(got));
	if (n < 0)
		return false;
	assert_int_equal(n, HDR + len);
	assert_memory_equal(got, frame, HDR + len);
	return true;
}

/* A 2000-byte TCPv4 segment to cut (TSO) with a partial checksum goes out as it is. */
static void test_tx_gso(void **state)
{
	struct fx *f = *state;
	uint8_t h[HDR];

	make_hdr(h, VIRTIO_NET_HDR_F_NEEDS_CSUM, VIRTIO_NET_HDR_GSO_TCPV4, 66, 1448, 34, 16);
	assert_true(tx_one(f, h, 2000));
	make_hdr(h, VIRTIO_NET_HDR_F_NEEDS_CSUM,
		 VIRTIO_NET_HDR_GSO_TCPV6 | VIRTIO_NET_HDR_GSO_ECN, 86, 1428, 54, 16);
	assert_true(tx_one(f, h, 2000));
	/* The checksum field's last byte is the frame's last: still inside. */
	make_hdr(h, VIRTIO_NET_HDR_F_NEEDS_CSUM, 0, 0, 0, 90, 8);
	assert_true(tx_one(f, h, 100));
}

/*
 * Headers that do not match the frame, or ask for what virtio does not
 * have, drop the frame (never the queue); the first is logged. The next
 * good frame goes out.
 */
static void test_tx_bad_headers(void **state)
{
	struct fx *f = *state;
	const uint8_t C = VIRTIO_NET_HDR_F_NEEDS_CSUM;
	struct { uint8_t flags, gso; uint16_t hdr_len, gso_size, start, off; } bad[] = {
		{ 2, 0, 0, 0, 0, 0 },			/* DATA_VALID: receive only */
		{ 0x80, 0, 0, 0, 0, 0 },		/* no such flag */
		{ C, 0, 0, 0, 90, 9 },			/* checksum's last byte past the frame */
		{ C, 0, 0, 0, 0xffff, 0xffff },		/* far past */
		{ C, 3, 66, 1448, 34, 6 },		/* UDP (UFO): not offered */
		{ C, 5, 66, 1448, 34, 16 },		/* no such type */
		{ 0, 1, 66, 1448, 34, 16 },		/* TSO without a partial checksum */
		{ C, 1, 66, 0, 34, 16 },		/* gso_size 0 */
		{ C, 1, 101, 1448, 34, 16 },		/* hdr_len past the frame */
		{ 0, 0x80, 0, 0, 0, 0 },		/* ECN alone */
	};
	uint8_t h[HDR];

	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		make_hdr(h, bad[i].flags, bad[i].gso, bad[i].hdr_len, bad[i].gso_size, bad[i].start,
			 bad[i].off);
		if (tx_one(f, h, 100))
			fail_msg("bad header %zu went to the tap", i);
	}
	make_hdr(h, 0, 0, 0, 0, 0, 0);
	assert_true(tx_one(f, h, 100));
}

/* What the driver refused, its frames cannot ask for. */
static void test_tx_offloads_refused(void **state)
{
	struct fx *f = *state;
	uint8_t h[HDR];

	renegotiate(f, 1ULL << VIRTIO_NET_F_HOST_TSO4 | 1ULL << VIRTIO_NET_F_HOST_ECN);
	make_hdr(h, VIRTIO_NET_HDR_F_NEEDS_CSUM, VIRTIO_NET_HDR_GSO_TCPV4, 66, 1448, 34, 16);
	assert_false(tx_one(f, h, 2000));
	make_hdr(h, VIRTIO_NET_HDR_F_NEEDS_CSUM,
		 VIRTIO_NET_HDR_GSO_TCPV6 | VIRTIO_NET_HDR_GSO_ECN, 86, 1428, 54, 16);
	assert_false(tx_one(f, h, 2000));
	make_hdr(h, VIRTIO_NET_HDR_F_NEEDS_CSUM, VIRTIO_NET_HDR_GSO_TCPV6, 86, 1428, 54, 16);
	assert_true(tx_one(f, h, 2000));

	renegotiate(f, 1ULL << VIRTIO_NET_F_CSUM);
	make_hdr(h, VIRTIO_NET_HDR_F_NEEDS_CSUM, 0, 0, 0, 34, 16);
	assert_false(tx_one(f, h, 100));
	make_hdr(h, 0, 0, 0, 0, 0, 0);
	assert_true(tx_one(f, h, 100));
}

/* The tap's offloads (TUN_F_*) follow what the driver takes on receive. */
static void test_tap_offloads(void **state)
{
	const uint64_t csum = 1ULL << VIRTIO_NET_F_GUEST_CSUM, tso4 = 1ULL << VIRTIO_NET_F_GUEST_TSO4,
		       tso6 = 1ULL << VIRTIO_NET_F_GUEST_TSO6, ecn = 1ULL << VIRTIO_NET_F_GUEST_ECN;
	struct fx *f = *state;

	/* TUN_F_CSUM 1, TSO4 2, TSO6 4, TSO_ECN 8 (linux/if_tun.h) */
	assert_int_equal(virtio_net__tap_offloads(f->dev->host_features), 0xf);
	assert_int_equal(virtio_net__tap_offloads(0), 0);
	assert_int_equal(virtio_net__tap_offloads(csum), 1);
	assert_int_equal(virtio_net__tap_offloads(csum | tso4), 3);
	assert_int_equal(virtio_net__tap_offloads(csum | tso6 | ecn), 0xd);
	/* Segments need checksum offload; ECN needs segments. */
	assert_int_equal(virtio_net__tap_offloads(tso4 | tso6 | ecn), 0);
	assert_int_equal(virtio_net__tap_offloads(csum | ecn), 1);
	/* Host (transmit) offloads are not the tap's business on receive. */
	assert_int_equal(virtio_net__tap_offloads(1ULL << VIRTIO_NET_F_HOST_TSO4 |
						  1ULL << VIRTIO_NET_F_CSUM), 0);
}

/* ---- receive ---- */

/*
 * A frame lands in a chain split inside the header: num_buffers (which
 * the tap leaves alone) becomes 1, the rest is the frame, the used length
 * is the frame's, and nothing past it is written.
 */
static void test_rx_frame(void **state)
{
	struct fx *f = *state;
	uint8_t frame[HDR + 60], want[HDR + 60];
	struct seg s[2] = { { new_buf(f, 0xee), 10, W }, { new_buf(f, 0xee), 1600, W } };
	uint16_t head;

	make_frame(frame, sizeof(frame), 0, 9);
	frame[10] = 0xaa;	/* garbage where num_buffers goes */
	frame[11] = 0xbb;
	head = offer(f, RXQ, s, 2);
	tap_send(f, frame, sizeof(frame));
	assert_int_equal(fake_virtio__poll(f->dev, 1000), 1);

	assert_int_equal(used_idx(f, RXQ), 1);
	check_used(f, RXQ, 0, head, sizeof(frame));
	memcpy(want, frame, sizeof(want));
	want[10] = 1;
	want[11] = 0;
	assert_memory_equal(at(f, s[0].gpa, 10), want, 10);
	assert_memory_equal(at(f, s[1].gpa, sizeof(want) - 10), want + 10, sizeof(want) - 10);
	assert_int_equal(*at(f, s[1].gpa + sizeof(want) - 10, 1), 0xee);
	assert_int_equal(stats(f)->notifies, 1);
	assert_false(stats(f)->failed);
}

/* Frames waiting in the tap fill the chains in order, one notification for the batch. */
static void test_rx_batch(void **state)
{
	struct fx *f = *state;
	uint64_t buf[3];
	uint8_t frame[HDR + 30];

	for (unsigned i = 0; i < 3; i++)
		buf[i] = offer_rx(f, 1600);
	for (uint8_t i = 0; i < 3; i++) {
		make_frame(frame, sizeof(frame), 0, i);
		tap_send(f, frame, sizeof(frame));
	}
	assert_int_equal(fake_virtio__poll(f->dev, 1000), 1);
	assert_int_equal(used_idx(f, RXQ), 3);
	for (uint8_t i = 0; i < 3; i++) {
		make_frame(frame, sizeof(frame), 0, i);
		frame[10] = 1;
		check_used(f, RXQ, i, i, sizeof(frame));
		assert_memory_equal(at(f, buf[i], sizeof(frame)), frame, sizeof(frame));
	}
	assert_int_equal(stats(f)->notifies, 1);
}

/*
 * No receive buffer: the device stops watching the tap (the frame waits
 * there) until the driver kicks queue 0, then takes the frame at once and
 * watches again.
 */
static void test_rx_no_buffer(void **state)
{
	struct fx *f = *state;
	uint8_t frame[HDR + 40];
	uint64_t buf;

	make_frame(frame, sizeof(frame), 0, 1);
	tap_send(f, frame, sizeof(frame));
	assert_int_equal(fake_virtio__poll(f->dev, 1000), 1);	/* finds no buffer */
	assert_int_equal(used_idx(f, RXQ), 0);
	/* Not watched: the frame is there, but no fd_ready (no busy loop). */
	assert_int_equal(fake_virtio__poll(f->dev, 50), 0);

	buf = offer_rx(f, 1600);
	fake_virtio__kick(f->dev, RXQ);
	assert_int_equal(used_idx(f, RXQ), 1);
	check_used(f, RXQ, 0, 0, sizeof(frame));
	frame[10] = 1;
	assert_memory_equal(at(f, buf, sizeof(frame)), frame, sizeof(frame));
	assert_int_equal(stats(f)->notifies, 1);

	/* That used the only buffer: not watched again until the next one's kick. */
	assert_int_equal(fake_virtio__poll(f->dev, 0), 0);
	offer_rx(f, 1600);
	fake_virtio__kick(f->dev, RXQ);
	assert_int_equal(used_idx(f, RXQ), 1);
	/* The next frame arrives through fd_ready. */
	tap_send(f, frame, sizeof(frame));
	assert_int_equal(fake_virtio__poll(f->dev, 1000), 1);
	assert_int_equal(used_idx(f, RXQ), 2);
	check_used(f, RXQ, 1, 1, sizeof(frame));
}

/* A kick while the tap is empty changes nothing, and loses no later frame. */
static void test_rx_kick_empty_tap(void **state)
{
	struct fx *f = *state;
	uint8_t frame[HDR + 40];

	offer_rx(f, 1600);
	fake_virtio__kick(f->dev, RXQ);
	assert_int_equal(fake_virtio__poll(f->dev, 0), 0);
	assert_int_equal(used_idx(f, RXQ), 0);
	make_frame(frame, sizeof(frame), 0, 2);
	tap_send(f, frame, sizeof(frame));
	assert_int_equal(fake_virtio__poll(f->dev, 1000), 1);
	assert_int_equal(used_idx(f, RXQ), 1);
	check_used(f, RXQ, 0, 0, sizeof(frame));
}

/*
 * A chain too small for a header and an Ethernet header goes back with
 * length 0 at once, and the frame goes to the next chain.
 */
static void test_rx_tiny_chain(void **state)
{
	struct fx *f = *state;
	uint8_t frame[HDR + 40];
	uint64_t tiny, good;

	tiny = offer_rx(f, VIRTIO_NET_RX_MIN - 1);
	good = offer_rx(f, 1600);
	make_frame(frame, sizeof(frame), 0, 4);
	tap_send(f, frame, sizeof(frame));
	assert_int_equal(fake_virtio__poll(f->dev, 1000), 1);

	assert_int_equal(used_idx(f, RXQ), 2);
	check_used(f, RXQ, 0, 0, 0);
	check_used(f, RXQ, 1, 1, sizeof(frame));
	assert_int_equal(*at(f, tiny, 1), 0xee);	/* untouched */
	frame[10] = 1;
	assert_memory_equal(at(f, good, sizeof(frame)), frame, sizeof(frame));
}

/* The fake driver again, accepting all features but refused. */
static void renegotiate(struct fx *f, uint64_t refused)
{
	fake_virtio__reset(f->dev);
	f->q[0].next_desc = f->q[0].avail_idx = f->q[1].next_desc = f->q[1].avail_idx = 0;
	fake_virtio__refuse(f->dev, refused);
	setup_queues(f);
}

/*
 * Without mergeable receive buffers, a frame longer than its chain is read
 * and dropped; the chain goes back with length 0, and the next frame is
 * whole in the next chain.
 */
static void test_rx_frame_too_big(void **state)
{
	struct fx *f = *state;
	uint8_t big[HDR + 100], small[HDR + 28];
	uint64_t buf;

	renegotiate(f, 1ULL << VIRTIO_NET_F_MRG_RXBUF);
	offer_rx(f, HDR + 99);
	buf = offer_rx(f, sizeof(small));	/* an exact fit */
	make_frame(big, sizeof(big), 0, 5);
	make_frame(small, sizeof(small), 0, 6);
	tap_send(f, big, sizeof(big));
	tap_send(f, small, sizeof(small));
	assert_int_equal(fake_virtio__poll(f->dev, 1000), 1);

	assert_int_equal(used_idx(f, RXQ), 2);
	check_used(f, RXQ, 0, 0, 0);
	check_used(f, RXQ, 1, 1, sizeof(small));
	small[10] = 1;
	assert_memory_equal(at(f, buf, sizeof(small)), small, sizeof(small));
	assert_false(stats(f)->failed);
}

/* Offers n receive chains of len bytes each; their addresses in gpa[]. */
static void offer_rx_n(struct fx *f, unsigned n, uint32_t len, uint64_t *gpa)
{
	for (unsigned i = 0; i < n; i++)
		gpa[i] = offer_rx(f, len);
}

/*
 * Checks a frame spread over chains 0..nr-1 of len bytes each (the last
 * gets the rest): used elements in order, num_buffers nr in the first
 * header, the bytes in order, nothing past them.
 */
static void check_spread(struct fx *f, uint16_t slot0, const uint64_t *gpa, unsigned nr,
			 uint32_t len, const uint8_t *frame, size_t flen)
{
	size_t off = 0;

	for (unsigned i = 0; i < nr; i++) {
		uint32_t part = flen - off < len ? (uint32_t)(flen - off) : len;
		uint8_t *p = at(f, gpa[i], len);

		check_used(f, RXQ, (uint16_t)(slot0 + i), (uint16_t)(slot0 + i) % NUM, part);
		if (!i) {
			assert_int_equal(get_le(p + 10, 2), nr);
			assert_memory_equal(p, frame, 10);
			assert_memory_equal(p + HDR, frame + HDR, part - HDR);
		} else {
			assert_memory_equal(p, frame + off, part);
		}
		if (part < len)
			assert_int_equal(p[part], 0xee);
		off += part;
	}
	assert_int_equal(off, flen);
}

/*
 * Mergeable receive buffers: a 9000-byte frame (a GSO segment, say) over
 * 4000-byte chains takes three, published together with num_buffers 3;
 * the next small frame takes one chain with num_buffers 1.
 */
static void test_rx_mergeable(void **state)
{
	struct fx *f = *state;
	static uint8_t big[9000];
	uint8_t small[HDR + 50];
	uint64_t gpa[4];

	offer_rx_n(f, 4, 4000, gpa);
	make_frame(big, sizeof(big), 0, 1);
	make_hdr(big, VIRTIO_NET_HDR_F_NEEDS_CSUM, VIRTIO_NET_HDR_GSO_TCPV4, 66, 1448, 34, 16);
	make_frame(small, sizeof(small), 0, 2);
	tap_send(f, big, sizeof(big));
	tap_send(f, small, sizeof(small));
	assert_int_equal(fake_virtio__poll(f->dev, 1000), 1);

	assert_int_equal(used_idx(f, RXQ), 4);
	check_spread(f, 0, gpa, 3, 4000, big, sizeof(big));
	check_spread(f, 3, gpa + 3, 1, 4000, small, sizeof(small));
	assert_int_equal(stats(f)->notifies, 1);
	assert_false(stats(f)->failed);
}

/*
 * The queue runs dry halfway through a frame: nothing of it is published,
 * the tap is left alone, and the driver's next buffer and kick complete it.
 */
static void test_rx_mergeable_waits(void **state)
{
	struct fx *f = *state;
	static uint8_t big[7000];
	uint64_t gpa[3];

	offer_rx_n(f, 2, 3000, gpa);
	make_frame(big, sizeof(big), 0, 3);
	tap_send(f, big, sizeof(big));
	tap_send(f, big, 100);
	assert_int_equal(fake_virtio__poll(f->dev, 1000), 1);
	assert_int_equal(used_idx(f, RXQ), 0);
	assert_int_equal(fake_virtio__poll(f->dev, 50), 0);	/* not watched meanwhile */

	gpa[2] = offer_rx(f, 3000);
	fake_virtio__kick(f->dev, RXQ);
	assert_int_equal(used_idx(f, RXQ), 3);
	check_spread(f, 0, gpa, 3, 3000, big, sizeof(big));
	/* Watching again: the waiting 100-byte frame comes with the next buffer. */
	gpa[0] = offer_rx(f, 3000);
	fake_virtio__kick(f->dev, RXQ);
	assert_int_equal(used_idx(f, RXQ), 4);
	check_used(f, RXQ, 3, 3, 100);
}

/* Drain while a frame waits for buffers: its chains go back empty. */
static void test_rx_mergeable_drain(void **state)
{
	struct fx *f = *state;
	static uint8_t big[7000];
	uint64_t gpa[2];

	offer_rx_n(f, 2, 3000, gpa);
	make_frame(big, sizeof(big), 0, 4);
	tap_send(f, big, sizeof(big));
	assert_int_equal(fake_virtio__poll(f->dev, 1000), 1);
	assert_int_equal(used_idx(f, RXQ), 0);
	fake_virtio__drain(f->dev);
	assert_int_equal(used_idx(f, RXQ), 2);
	check_used(f, RXQ, 0, 0, 0);
	check_used(f, RXQ, 1, 1, 0);
	assert_false(stats(f)->failed);
}

/*
 * A frame larger than the whole queue's buffers (8 of 100 bytes) is dropped:
 * every chain goes back with length 0, and the next frame is received.
 */
static void test_rx_mergeable_queue_too_small(void **state)
{
	struct fx *f = *state;
	uint8_t big[1000], small[HDR + 40];
	uint64_t gpa[NUM];

	offer_rx_n(f, NUM, 100, gpa);
	make_frame(big, sizeof(big), 0, 5);
	tap_send(f, big, sizeof(big));
	assert_int_equal(fake_virtio__poll(f->dev, 1000), 1);
	assert_int_equal(used_idx(f, RXQ), NUM);
	for (unsigned i = 0; i < NUM; i++)
		check_used(f, RXQ, (uint16_t)i, i, 0);

	make_frame(small, sizeof(small), 0, 6);
	tap_send(f, small, sizeof(small));
	gpa[0] = offer_rx(f, 100);
	fake_virtio__kick(f->dev, RXQ);
	assert_int_equal(used_idx(f, RXQ), NUM + 1);
	check_spread(f, NUM, gpa, 1, 100, small, sizeof(small));
	assert_false(stats(f)->failed);
}

/*
 * The tap marks checked frames DATA_VALID: the driver sees the flag only
 * if it took GUEST_CSUM.
 */
static void test_rx_flags(void **state)
{
	struct fx *f = *state;
	uint8_t frame[HDR + 60];
	uint64_t buf;

	make_frame(frame, sizeof(frame), 0, 7);
	frame[0] = 2;	/* VIRTIO_NET_HDR_F_DATA_VALID */
	buf = offer_rx(f, 1600);
	tap_send(f, frame, sizeof(frame));
	assert_int_equal(fake_virtio__poll(f->dev, 1000), 1);
	assert_int_equal(*at(f, buf, 1), 2);

	renegotiate(f, 1ULL << VIRTIO_NET_F_GUEST_CSUM);
	buf = offer_rx(f, 1600);
	tap_send(f, frame, sizeof(frame));
	assert_int_equal(fake_virtio__poll(f->dev, 1000), 1);
	assert_int_equal(used_idx(f, RXQ), 1);
	assert_int_equal(*at(f, buf, 1), 0);
	assert_memory_equal(at(f, buf + HDR, sizeof(frame) - HDR), frame + HDR,
			    sizeof(frame) - HDR);
}

/*
 * Drain before a snapshot: a chain the device holds for the next frame
 * gets one if the tap has it, or goes back empty; none stays in flight.
 */
static void test_rx_drain(void **state)
{
	struct fx *f = *state;
	uint8_t frame[HDR + 40];

	offer_rx(f, 1600);
	offer_rx(f, 1600);
	make_frame(frame, sizeof(frame), 0, 8);
	tap_send(f, frame, sizeof(frame));
	assert_int_equal(fake_virtio__poll(f->dev, 1000), 1);
	/* The second chain is popped and held: not used yet. */
	assert_int_equal(used_idx(f, RXQ), 1);

	fake_virtio__drain(f->dev);
	assert_int_equal(used_idx(f, RXQ), 2);
	check_used(f, RXQ, 1, 1, 0);
	fake_virtio__drain(f->dev);		/* nothing held: nothing to do */
	assert_int_equal(used_idx(f, RXQ), 2);

	/* A frame waiting at drain time goes into the held chain. */
	offer_rx(f, 1600);
	offer_rx(f, 1600);
	tap_send(f, frame, sizeof(frame));
	assert_int_equal(fake_virtio__poll(f->dev, 1000), 1);
	assert_int_equal(used_idx(f, RXQ), 3);
	tap_send(f, frame, sizeof(frame));
	fake_virtio__drain(f->dev);
	assert_int_equal(used_idx(f, RXQ), 4);
	check_used(f, RXQ, 3, 3, sizeof(frame));
}

/* A reset forgets the held chain and stops watching; a new driver gets frames. */
static void test_reset(void **state)
{
	struct fx *f = *state;
	uint8_t frame[HDR + 40];
	uint64_t buf;

	offer_rx(f, 1600);
	offer_rx(f, 1600);
	make_frame(frame, sizeof(frame), 0, 3);
	tap_send(f, frame, sizeof(frame));
	assert_int_equal(fake_virtio__poll(f->dev, 1000), 1);
	assert_int_equal(used_idx(f, RXQ), 1);	/* and the second chain is held */

	fake_virtio__reset(f->dev);
	tap_send(f, frame, sizeof(frame));
	assert_int_equal(fake_virtio__poll(f->dev, 50), 0);	/* not watched */

	/* A new driver: the frame goes to its buffer, not to the forgotten chain. */
	setup_queues(f);
	buf = offer_rx(f, 1600);
	assert_int_equal(fake_virtio__poll(f->dev, 1000), 1);
	assert_int_equal(used_idx(f, RXQ), 1);
	check_used(f, RXQ, 0, 0, sizeof(frame));
	frame[10] = 1;
	assert_memory_equal(at(f, buf, sizeof(frame)), frame, sizeof(frame));
	assert_false(stats(f)->failed);
}

/* A malformed receive chain breaks the queue; the tap is then left alone. */
static void test_rx_broken_queue(void **state)
{
	struct fx *f = *state;
	uint8_t frame[HDR + 40];
	struct seg s = { BASE + MEM_SIZE - 8, 64, W };	/* runs off guest memory */

	offer(f, RXQ, &s, 1);
	make_frame(frame, sizeof(frame), 0, 3);
	tap_send(f, frame, sizeof(frame));
	assert_int_equal(fake_virtio__poll(f->dev, 1000), 1);
	assert_true(stats(f)->failed);
	assert_int_equal(used_idx(f, RXQ), 0);
	assert_int_equal(fake_virtio__poll(f->dev, 50), 0);	/* no busy loop */
}

/*
 * The tap dies (EOF here; EBADFD from a deleted tap): the device stops
 * watching it for good, even after a kick, and gives back the chain it held.
 */
static void test_rx_tap_dies(void **state)
{
	struct fx *f = *state;

	offer_rx(f, 1600);
	close(f->peer);
	f->peer = -1;
	assert_int_equal(fake_virtio__poll(f->dev, 1000), 1);
	assert_int_equal(f->dev->fds[0], -1);		/* unwatched */
	assert_int_equal(used_idx(f, RXQ), 0);		/* the chain is held */
	offer_rx(f, 1600);
	fake_virtio__kick(f->dev, RXQ);
	assert_int_equal(f->dev->fds[0], -1);
	assert_int_equal(fake_virtio__poll(f->dev, 0), 0);
	fake_virtio__drain(f->dev);
	assert_int_equal(used_idx(f, RXQ), 1);
	check_used(f, RXQ, 0, 0, 0);
	assert_false(stats(f)->failed);
}

/* ---- virtio_net__init: the tap names it refuses before any system call ---- */

static void test_init_bad_names(void **state)
{
	static const char *const bad[] = { "", "sixteen-chars-xx", "a-much-too-long-tap-name" };
	struct fx *f = *state;
	unsigned before = fake_virtio__nr_devs();

	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		f->cfg.nr_nets = 1;
		f->cfg.nets[0].tap = bad[i];
		assert_int_equal(virtio_net__init(&f->vm), -VMM_ERR_INPUT);
		assert_int_equal(fake_virtio__nr_devs(), before);
	}
	f->cfg.nr_nets = 0;
	assert_int_equal(virtio_net__init(&f->vm), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(t) cmocka_unit_test_setup_teardown(t, setup, teardown)
		T(test_config),
		T(test_tx_byte_exact),
		T(test_tx_batch),
		T(test_tx_short_chain),
		T(test_tx_refused),
		T(test_tx_writable_breaks),
		T(test_tx_gso),
		T(test_tx_bad_headers),
		T(test_tx_offloads_refused),
		T(test_tap_offloads),
		T(test_rx_frame),
		T(test_rx_batch),
		T(test_rx_no_buffer),
		T(test_rx_kick_empty_tap),
		T(test_rx_tiny_chain),
		T(test_rx_frame_too_big),
		T(test_rx_mergeable),
		T(test_rx_mergeable_waits),
		T(test_rx_mergeable_drain),
		T(test_rx_mergeable_queue_too_small),
		T(test_rx_flags),
		T(test_rx_drain),
		T(test_reset),
		T(test_rx_broken_queue),
		T(test_rx_tap_dies),
		T(test_init_bad_names),
#undef T
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
