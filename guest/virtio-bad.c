/*
 * A guest driver that breaks the rules of a virtio queue on purpose, on
 * the entropy device (vmm run --rng --testdev: virtio-mmio slot 0). Each
 * round sets the device up, offers one malformed chain and checks that the
 * device answers with DEVICE_NEEDS_RESET and a config interrupt status;
 * then a reset and a well-formed buffer show the device works again.
 *
 * The MMU is off, so every access here is Device memory and in order; the
 * barriers before a notification are what a driver with caches needs.
 *
 * Built a second way, virtio-far-ring (FAR_DESC): a well-behaved driver
 * whose descriptor table lies FAR_DESC bytes into RAM (run it with -m 64),
 * written once; then it offers the same buffer round after round, forever,
 * and reports ready=1 after the first. After a restore only the device's
 * I/O thread reads that table again: tests/bed/snapshot-hostile.sh
 * truncates the memory file below it to make that thread fault.
 */
#include "guest.h"

#define VIRTIO_BASE	0x0a000000UL
#define REG(off)	(*(volatile u32 *)(VIRTIO_BASE + (off)))
#define MAGIC		0x000
#define VERSION		0x004
#define DEVICE_ID	0x008
#define DEV_FEAT	0x010
#define DEV_FEAT_SEL	0x014
#define DRV_FEAT	0x020
#define DRV_FEAT_SEL	0x024
#define QUEUE_SEL	0x030
#define QUEUE_NUM	0x038
#define QUEUE_READY	0x044
#define QUEUE_NOTIFY	0x050
#define INT_STATUS	0x060
#define INT_ACK		0x064
#define STATUS		0x070
#define DESC_LO		0x080
#define DESC_HI		0x084
#define AVAIL_LO	0x090
#define AVAIL_HI	0x094
#define USED_LO		0x0a0
#define USED_HI		0x0a4

#define S_ACK		1
#define S_DRIVER	2
#define S_DRIVER_OK	4
#define S_FEATURES_OK	8
#define S_NEEDS_RESET	64

#define F_NEXT		1
#define F_WRITE		2
#define QSIZE		8

struct desc { u64 addr; u32 len; unsigned short flags, next; };

#ifdef FAR_DESC
static struct desc *const desc = (struct desc *)(0x80000000UL + FAR_DESC);	/* RAM_BASE + */
#else
static struct desc desc[QSIZE] __attribute__((aligned(4096)));
#endif
static volatile unsigned short avail[3 + QSIZE] __attribute__((aligned(4096)));
static volatile u32 used[2 + 2 * QSIZE] __attribute__((aligned(4096)));
static volatile unsigned char buf[64] __attribute__((aligned(64)));

static void barrier(void)
{
	__asm__ volatile("dsb sy" ::: "memory");
}

static u32 lo(const volatile void *p) { return (u32)(u64)p; }
static u32 hi(const volatile void *p) { return (u32)((u64)p >> 32); }

/* Reset and set up queue 0 with VERSION_1 only; returns the status read back. */
static u32 setup(void)
{
	for (unsigned i = 0; i < 3 + QSIZE; i++)
		avail[i] = 0;
	for (unsigned i = 0; i < 2 + 2 * QSIZE; i++)
		used[i] = 0;
	REG(STATUS) = 0;
	REG(STATUS) = S_ACK | S_DRIVER;
	REG(DRV_FEAT_SEL) = 1;
	REG(DRV_FEAT) = 1;		/* VIRTIO_F_VERSION_1 (bit 32) */
	REG(DRV_FEAT_SEL) = 0;
	REG(DRV_FEAT) = 0;
	REG(STATUS) = S_ACK | S_DRIVER | S_FEATURES_OK;
	REG(QUEUE_SEL) = 0;
	REG(QUEUE_NUM) = QSIZE;
	REG(DESC_LO) = lo(desc);
	REG(DESC_HI) = hi(desc);
	REG(AVAIL_LO) = lo(avail);
	REG(AVAIL_HI) = hi(avail);
	REG(USED_LO) = lo(used);
	REG(USED_HI) = hi(used);
	REG(QUEUE_READY) = 1;
	REG(STATUS) = S_ACK | S_DRIVER | S_FEATURES_OK | S_DRIVER_OK;
	return REG(STATUS);
}

#ifndef FAR_DESC
/* Offers the chain at head 0 and tells the device. */
static void offer(void)
{
	avail[2] = 0;			/* ring[0] = head 0 */
	barrier();
	avail[1] = 1;			/* idx */
	barrier();
	REG(QUEUE_NOTIFY) = 0;
}

/* Waits (bounded) until mask is set in reg; returns whether it was. */
static int wait_bits(unsigned off, u32 mask)
{
	for (unsigned long i = 0; i < 50000000UL; i++)
		if (REG(off) & mask)
			return 1;
	return 0;
}

static int wait_used(void)
{
	for (unsigned long i = 0; i < 50000000UL; i++)
		if ((used[0] >> 16) == 1)	/* used->idx */
			return 1;
	return 0;
}

/* One malformed chain: does the device ask for a reset, with a config interrupt? */
static void bad_round(const char *key, u64 addr, u32 len, unsigned short flags,
		      unsigned short next)
{
	setup();
	desc[0] = (struct desc){ addr, len, flags, next };
	offer();
	report(key, wait_bits(STATUS, S_NEEDS_RESET) && (REG(INT_STATUS) & 2));
	REG(INT_ACK) = REG(INT_STATUS);
}

int main(u64 dtb)
{
	u32 nonzero = 0;

	report("magic", REG(MAGIC));
	report("version", REG(VERSION));
	report("devid", REG(DEVICE_ID));
	report("ready", (setup() & S_FEATURES_OK) != 0);

	/* Outside guest memory; wrapping the address space; a loop; the wrong direction. */
	bad_round("outside", 0x1000, 16, F_WRITE, 0);
	bad_round("wrap", ~0UL - 15, 32, F_WRITE, 0);
	bad_round("loop", (u64)buf, 16, F_WRITE | F_NEXT, 0);
	bad_round("readonly", (u64)buf, 16, 0, 0);

	/* After a reset, a good buffer is filled. */
	setup();
	desc[0] = (struct desc){ (u64)buf, sizeof(buf), F_WRITE, 0 };
	offer();
	report("good", wait_used() && !(REG(STATUS) & S_NEEDS_RESET));
	report("usedlen", used[2]);		/* ring[0].len, after flags, idx and ring[0].id */
	for (unsigned i = 0; i < sizeof(buf); i++)
		nonzero += buf[i] != 0;
	report("nonzero", nonzero > sizeof(buf) / 2);
	return 0;
}
#else
/* Offers head 0 as the idx-th buffer and waits (unbounded) until it is used. */
static void round_trip(unsigned short idx)
{
	avail[2 + (unsigned short)(idx - 1) % QSIZE] = 0;
	barrier();
	avail[1] = idx;
	barrier();
	REG(QUEUE_NOTIFY) = 0;
	while ((unsigned short)(used[0] >> 16) != idx)
		;
}

int main(u64 dtb)
{
	setup();
	desc[0] = (struct desc){ (u64)buf, sizeof(buf), F_WRITE, 0 };
	round_trip(1);
	report("ready", 1);
	for (unsigned short idx = 2;; idx++)
		round_trip(idx);
}
#endif
