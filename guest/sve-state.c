/*
 * Fills every SVE register with a known pattern at the vcpu's largest
 * vector length, then checks them again and again for WINDOW_SECONDS of
 * the virtual counter: the guest the snapshot tests stop, save and resume
 * in the middle of its loop. Each pass stores Z0-Z31, P0-P15, FFR, FPCR
 * and FPSR (guest/sve-state.S) and compares every byte with the pattern.
 *
 * Reports: vl (bits), fpcr, fpsr, then cnt0 (the virtual counter when the
 * window began) and ready=1 when the registers are loaded; gap_max (in
 * microseconds) each time the largest step of the counter between two
 * passes grows, so a jump shows even in a VM that is stopped before its
 * window ends (tests/bed/migrate.sh); at the end passes (full checks), cnt0
 * again, gap_us (the largest step: a jump across a pause or a move shows
 * there) and sve_ok=1, or at the first mismatch
 * bad = REG * 65536 + BYTE, bad_got, bad_want, passes and sve_ok=0.
 * REG is 0-31 for Z0-Z31, 32-47 for P0-P15, 48 FFR, 49 FPCR, 50 FPSR,
 * and 51 when RDVL changed (bad_got and bad_want are then lengths in bits).
 *
 * With a second vcpu, vcpu 1 does the same at the smallest vector length
 * (so two lengths are live at once) and vcpu 0 reports for it at the end,
 * before its own passes: vl1, passes1, and sve_ok1=1 (or bad1 and sve_ok1=0).
 *
 * Built three ways (Makefile): sve-state (20 s), sve-state-short (3 s)
 * and sve-state-broken (3 s, BREAK_PATTERN: the last byte of Z13 is
 * changed after the load, so the check must fail there).
 */
#include "guest.h"

#ifndef WINDOW_SECONDS
#define WINDOW_SECONDS	20
#endif

typedef uint8_t u8;

#define MAX_VL_BYTES	256		/* 2048 bits */
#define MAX_PL_BYTES	(MAX_VL_BYTES / 8)
#define NR_Z		32
#define NR_P		16
#define REG_P0		32
#define REG_FFR		48
#define REG_FPCR	49
#define REG_FPSR	50
#define REG_VL		51
#define BROKEN_Z	13

/* FPCR: AHP, DN, FZ, RMode = towards minus infinity, FZ16. */
#define FPCR_PATTERN	((1UL << 26) | (1UL << 25) | (1UL << 24) | (2UL << 22) | (1UL << 19))
/* FPSR: QC, IDC, IXC, DZC. */
#define FPSR_PATTERN	((1UL << 27) | (1UL << 7) | (1UL << 4) | (1UL << 1))

struct sve_regs {
	u8 z[NR_Z * MAX_VL_BYTES] __attribute__((aligned(256)));
	u8 p[NR_P * MAX_PL_BYTES] __attribute__((aligned(32)));
	u8 ffr[MAX_PL_BYTES] __attribute__((aligned(32)));
	u64 fp[2];			/* FPCR, FPSR */
};

/* guest/sve-state.S */
void sve_state_load(const u8 *z, const u8 *p, const u8 *ffr, u64 fpcr, u64 fpsr);
void sve_state_save(u8 *z, u8 *p, u8 *ffr, u64 fp[2]);
void sve_state_load_z13(const u8 *z);
u64 counter(void);
u64 counter_freq(void);

static struct sve_regs want, got;
static struct sve_regs want1, got1;		/* vcpu 1's */
static u8 scratch[MAX_VL_BYTES] __attribute__((aligned(256)));

/*
 * Byte i of register reg at vector length vl (bytes): a hash of all three,
 * so no two registers hold the same bytes, a byte moved within or between
 * registers shows, and the pattern differs per vector length. Never 0x00
 * or 0xff, so a byte that reads back cleared or set shows too.
 */
static u8 pattern(u32 reg, u32 i, u32 vl)
{
	u32 h = (reg + 1) * 0x9e3779b1u ^ (i + 1) * 0x85ebca77u ^ vl * 0xc2b2ae3du;
	u8 b;

	h ^= h >> 15;
	h *= 0x2c1b3c6du;
	h ^= h >> 13;
	b = (u8)(h >> 24);
	return b == 0x00 || b == 0xff ? 0x5a : b;
}

static void fill(struct sve_regs *r, u32 vl)
{
	u32 pl = vl / 8, ffr_bits = pl * 8 - 3;

	for (u32 n = 0; n < NR_Z; n++)
		for (u32 i = 0; i < vl; i++)
			r->z[n * vl + i] = pattern(n, i, vl);
	for (u32 n = 0; n < NR_P; n++)
		for (u32 i = 0; i < pl; i++)
			r->p[n * pl + i] = pattern(REG_P0 + n, i, vl);
	/*
	 * WRFFR only takes a monotonic predicate (ones from bit 0, then
	 * zeros); anything else leaves FFR UNKNOWN. The first PL*8-3 bits:
	 * a length that ends inside a byte and depends on the vector length.
	 */
	for (u32 i = 0; i < pl; i++) {
		u32 ones = ffr_bits > i * 8 ? ffr_bits - i * 8 : 0;

		r->ffr[i] = ones >= 8 ? 0xff : (u8)((1u << ones) - 1);
	}
}

struct mismatch {
	u64 code, got, want;
};

static int compare(const u8 *g, const u8 *w, u32 len, u32 reg, struct mismatch *m)
{
	for (u32 i = 0; i < len; i++) {
		if (g[i] != w[i]) {
			m->code = (u64)reg * 65536 + i;
			m->got = g[i];
			m->want = w[i];
			return -1;
		}
	}
	return 0;
}

/* 0 when every register matches; else -1 and the first difference. */
static int check(const struct sve_regs *g, const struct sve_regs *w, u32 vl,
		 struct mismatch *m)
{
	u32 pl = vl / 8;
	u64 now = sve_rdvl_bytes();

	if (now != vl) {
		m->code = (u64)REG_VL * 65536;
		m->got = now * 8;
		m->want = (u64)vl * 8;
		return -1;
	}
	for (u32 n = 0; n < NR_Z; n++)
		if (compare(&g->z[n * vl], &w->z[n * vl], vl, n, m))
			return -1;
	for (u32 n = 0; n < NR_P; n++)
		if (compare(&g->p[n * pl], &w->p[n * pl], pl, REG_P0 + n, m))
			return -1;
	if (compare(g->ffr, w->ffr, pl, REG_FFR, m))
		return -1;
	for (u32 n = 0; n < 2; n++) {
		if (g->fp[n] != w->fp[n]) {
			m->code = (u64)(REG_FPCR + n) * 65536;
			m->got = g->fp[n];
			m->want = w->fp[n];
			return -1;
		}
	}
	return 0;
}

/*
 * vcpu 1, when the VM has one: the same loads and checks at the smallest
 * vector length, so the two vcpus hold different lengths at once. It
 * tells vcpu 0 through memory (one reporter on the doorbell at a time).
 */
static struct {
	volatile u64 state;	/* 0 not started, 1 loaded, 2 done and intact, 3 a mismatch */
	volatile u64 end;	/* the counter value its window ends at */
	u64 vl, passes;
	struct mismatch m;
} second;

static void secondary(u64 arg)
{
	u32 vl;

	sve_set_len(0);
	vl = (u32)sve_rdvl_bytes();
	fill(&want1, vl);
	sve_state_load(want1.z, want1.p, want1.ffr, FPCR_PATTERN, FPSR_PATTERN);
	sve_state_save(got1.z, got1.p, got1.ffr, want1.fp);
	second.vl = vl;
	second.state = 1;
	while (!second.end)
		;
	do {
		sve_state_save(got1.z, got1.p, got1.ffr, got1.fp);
		if (check(&got1, &want1, vl, &second.m)) {
			second.state = 3;
			return;
		}
		second.passes++;
	} while (counter() < second.end);
	second.state = 2;
}

static void report_secondary(void)
{
	while (second.state < 2)
		;
	report("vl1", second.vl * 8);
	report("passes1", second.passes);
	if (second.state == 3) {
		report("bad1", second.m.code);
		report("sve_ok1", 0);
	} else {
		report("sve_ok1", 1);
	}
}

int main(u64 dtb)
{
	u64 sve = (id_aa64pfr0() >> 32) & 0xf;
	u64 passes = 0, end, start, last, now, max_gap = 0;
	int two;
	struct mismatch m;
	u32 vl;

	report("sve", sve);
	if (!sve) {
		report("sve_ok", 0);
		return 0;
	}
	sve_set_len(15);
	vl = (u32)sve_rdvl_bytes();
	report("vl", (u64)vl * 8);
	if (vl < 16 || vl > MAX_VL_BYTES || vl % 16) {
		report("sve_ok", 0);
		return 0;
	}

	fill(&want, vl);
	sve_state_load(want.z, want.p, want.ffr, FPCR_PATTERN, FPSR_PATTERN);
	/* Bits FPCR/FPSR do not implement read as zero: expect what reads back. */
	sve_state_save(got.z, got.p, got.ffr, want.fp);
#ifdef BREAK_PATTERN
	for (u32 i = 0; i < vl; i++)
		scratch[i] = want.z[BROKEN_Z * vl + i];
	scratch[vl - 1] ^= 0x5a;
	sve_state_load_z13(scratch);
#else
	(void)scratch;
#endif
	report("fpcr", want.fp[0]);
	report("fpsr", want.fp[1]);
	report("window", WINDOW_SECONDS);
	/* KVM gives vcpu 1 the MPIDR affinity 1; CPU_ON fails without one. */
	two = cpu_on(1, secondary, 0) == 0;
	while (two && !second.state)
		;
	start = counter();
	end = start + WINDOW_SECONDS * counter_freq();
	second.end = end;
	report("cnt0", start);
	report("ready", 1);
	last = counter();

	do {
		sve_state_save(got.z, got.p, got.ffr, got.fp);
		if (check(&got, &want, vl, &m)) {
			report("bad", m.code);
			report("bad_got", m.got);
			report("bad_want", m.want);
			report("passes", passes);
			report("sve_ok", 0);
			puts("sve-state: mismatch\n");
			return 0;
		}
		passes++;
		now = counter();
		if (now - last > max_gap) {
			max_gap = now - last;
			report("gap_max", max_gap * 1000000 / counter_freq());
			/* the report's own exit is not a step of the guest's time */
			now = counter();
		}
		last = now;
	} while (now < end);

	if (two)
		report_secondary();
	report("passes", passes);
	report("cnt0", start);
	report("gap_us", max_gap * 1000000 / counter_freq());
	report("sve_ok", 1);
	puts("sve-state: done\n");
	return 0;
}
