/*
 * Dirties memory as fast as it can, and checks it: the guest of the live
 * migration tests (tests/bed/migrate-live.sh). Pass after pass over
 * AREA_KB KiB (16 MiB) above the image, each 8-byte word is checked against the
 * previous pass's pattern and written with the next one, so every page is
 * dirty again within one pass and a page lost or torn in a move shows.
 * It also watches the virtual counter: its value at the start and the
 * largest step between two reads (one read per 64 KiB written), which a
 * move shows as a jump unless guest time stood still across it.
 *
 * Built a second way, memdirty-small (AREA_KB=256): the same over 256 KiB,
 * so that each round of a move is small, and every round finds the whole
 * area dirty again behind a slow link (tests/bed/migrate-fail.sh).
 *
 * Reports: ready=1 once the area holds pass 0; every PASS_REPORT passes
 * (64 MiB written) pass=N; at the end of WINDOW_SECONDS of guest time passes, cnt0
 * (the counter at the start), gap_us (the largest step, in
 * microseconds) and mem_ok=1; or at the first bad word bad_at (its offset),
 * bad_got, bad_want and mem_ok=0.
 */
#include "guest.h"

#define AREA_BASE	0x80400000UL	/* above the image, below the device tree */
#ifndef AREA_KB
#define AREA_KB		(16 * 1024)
#endif
#define WINDOW_SECONDS	40
#define PASS_REPORT	(64 * 1024 / AREA_KB)
#define CHUNK_WORDS	(64 * 1024 / 8)

static u64 counter(void)
{
	u64 v;

	__asm__ volatile("isb; mrs %0, cntvct_el0" : "=r"(v) :: "memory");
	return v;
}

static u64 counter_freq(void)
{
	u64 v;

	__asm__ volatile("mrs %0, cntfrq_el0" : "=r"(v));
	return v;
}

/* Word i's value in pass p: never the same twice in a row, never 0. */
static u64 pattern(u64 p, u64 i)
{
	u64 h = (p + 1) * 0x9e3779b97f4a7c15UL ^ (i + 1) * 0xc2b2ae3d27d4eb4fUL;

	h ^= h >> 29;
	return h | 1;
}

struct watch {
	u64 last, max_gap;
};

static void tick(struct watch *w)
{
	u64 now = counter();

	if (now - w->last > w->max_gap)
		w->max_gap = now - w->last;
	w->last = now;
}

int main(u64 dtb)
{
	volatile u64 *area = (volatile u64 *)AREA_BASE;
	u64 words = (u64)AREA_KB << 7, freq = counter_freq(), start, end, p;
	struct watch w;

	for (u64 i = 0; i < words; i++)
		area[i] = pattern(0, i);
	start = counter();
	w = (struct watch){ start, 0 };
	end = start + WINDOW_SECONDS * freq;
	report("ready", 1);
	for (p = 1; counter() < end; p++) {
		for (u64 i = 0; i < words; i++) {
			u64 got = area[i], want = pattern(p - 1, i);

			if (got != want) {
				report("bad_at", i * 8);
				report("bad_got", got);
				report("bad_want", want);
				report("mem_ok", 0);
				return 0;
			}
			area[i] = pattern(p, i);
			if (i % CHUNK_WORDS == 0)
				tick(&w);
		}
		if (p % PASS_REPORT == 0)
			report("pass", p);
	}
	report("passes", p - 1);
	report("cnt0", start);
	report("gap_us", freq ? w.max_gap * 1000000 / freq : 0);
	report("mem_ok", 1);
	return 0;
}
