/*
 * Keeps changing its memory and checking it: the guest that incremental
 * snapshots are taken of between changes (tests/bed/snapshot-incr.sh).
 *
 * A buffer of NR_PAGES pages. Round r rewrites PER_ROUND pages, the next
 * ones after the last round's (wrapping), each with a pattern of (page, r)
 * in every 64-bit word, and records r for the page in a ledger. Every
 * CHECK_ROUNDS rounds, and at the end, every page is checked against the
 * ledger: a page that came back older than the ledger says (an increment
 * that missed a dirty page) or damaged shows. Rounds are paced by the
 * virtual counter, ROUND_US apart, for WINDOW_SECONDS of it (guest time
 * stands still while the VM is paused or saved).
 *
 * Reports ready=1 once every page has been written; at the end rounds and
 * mem_ok=1, or at the first mismatch bad_page, bad_word, bad_got, bad_want
 * and mem_ok=0.
 *
 * Built a second way, memtouch-idle (IDLE_AFTER_FILL): it writes every page
 * once, reports ready=1, then waits for interrupts (none come) until vmm
 * ends it: a guest with memory to save that then changes none of it.
 */
#include "guest.h"

#define NR_PAGES	2048		/* 8 MiB */
#define PAGE_WORDS	512
#define PER_ROUND	4
#define ROUND_US	5000
#define CHECK_ROUNDS	200
#define WINDOW_SECONDS	8

static u64 buf[NR_PAGES][PAGE_WORDS] __attribute__((aligned(4096)));
static u32 ledger[NR_PAGES];		/* the round that last wrote each page */

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

/* Word w of page p as round r writes it: never 0 (an unwritten page reads 0). */
static u64 pattern(u64 p, u64 r, u64 w)
{
	u64 h = (p + 1) * 0x9e3779b97f4a7c15ull ^ (r + 1) * 0xc2b2ae3d27d4eb4full ^ w;

	h ^= h >> 29;
	h *= 0xbf58476d1ce4e5b9ull;
	h ^= h >> 32;
	return h | 1;
}

static void write_page(u64 p, u32 r)
{
	for (u64 w = 0; w < PAGE_WORDS; w++)
		buf[p][w] = pattern(p, r, w);
	ledger[p] = r;
}

/* 0, or reports the first mismatch and returns 1. */
static int check_all(void)
{
	for (u64 p = 0; p < NR_PAGES; p++)
		for (u64 w = 0; w < PAGE_WORDS; w++) {
			u64 want = pattern(p, ledger[p], w);

			if (buf[p][w] == want)
				continue;
			report("bad_page", p);
			report("bad_word", w);
			report("bad_got", buf[p][w]);
			report("bad_want", want);
			return 1;
		}
	return 0;
}

int main(u64 dtb)
{
	u64 freq = counter_freq(), step = freq / (1000000 / ROUND_US), next, end;
	u64 page = 0;
	u32 round;

	for (page = 0; page < NR_PAGES; page++)
		write_page(page, 0);
	report("ready", 1);
#ifdef IDLE_AFTER_FILL
	/* buf escapes here: nothing reads it again, but its stores must happen */
	__asm__ volatile("" : : "r"(buf), "r"(ledger) : "memory");
	for (;;)
		__asm__ volatile("wfi");
#endif
	page = 0;
	next = counter();
	end = next + WINDOW_SECONDS * freq;
	for (round = 1; counter() < end; round++) {
		for (int i = 0; i < PER_ROUND; i++, page = (page + 1) % NR_PAGES)
			write_page(page, round);
		if (round % CHECK_ROUNDS == 0 && check_all())
			goto bad;
		next += step;
		while (counter() < next)
			;
	}
	if (check_all())
		goto bad;
	report("rounds", round);
	report("mem_ok", 1);
	guest_exit();
bad:
	report("rounds", round);
	report("mem_ok", 0);
	guest_exit();
	return 0;
}
