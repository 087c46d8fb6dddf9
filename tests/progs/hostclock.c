/*
 * The test-bed host's own clocks, for the counter checks of the bed tests
 * (tests/bed/migrate.sh) and for measuring what a guest's counter report
 * should be compared with.
 *
 *   hostclock              prints "cntvct=N cntfrq=F mono_ns=M": this
 *                          host's virtual counter (a KVM guest's counter
 *                          is it minus the VM's offset), its frequency and
 *                          CLOCK_MONOTONIC
 *   hostclock watch SECS   sleeps 1 ms at a time for SECS seconds and
 *                          prints "watch_gap_us=G watch_at=N": the largest
 *                          step of the counter between two wake-ups and
 *                          the counter where it ended, so a stall of the
 *                          whole host shows beside a guest's gap
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static uint64_t cntvct(void)
{
	uint64_t v;

	__asm__ volatile("isb; mrs %0, cntvct_el0" : "=r"(v) :: "memory");
	return v;
}

static uint64_t cntfrq(void)
{
	uint64_t v;

	__asm__ volatile("mrs %0, cntfrq_el0" : "=r"(v));
	return v;
}

static int watch(long seconds)
{
	uint64_t freq = cntfrq(), start = cntvct(), last = start, now, gap = 0, at = start;
	struct timespec ms = { 0, 1000000 };

	do {
		nanosleep(&ms, NULL);
		now = cntvct();
		if (now - last > gap) {
			gap = now - last;
			at = now;
		}
		last = now;
	} while (now - start < (uint64_t)seconds * freq);
	printf("watch_gap_us=%llu watch_at=%llu\n",
	       (unsigned long long)(gap * 1000000 / freq), (unsigned long long)at);
	return 0;
}

int main(int argc, char **argv)
{
	struct timespec t;

	if (argc == 3 && !strcmp(argv[1], "watch") && atol(argv[2]) > 0)
		return watch(atol(argv[2]));
	if (argc != 1) {
		fprintf(stderr, "usage: hostclock [watch SECONDS]\n");
		return 2;
	}
	clock_gettime(CLOCK_MONOTONIC, &t);
	printf("cntvct=%llu cntfrq=%llu mono_ns=%llu\n", (unsigned long long)cntvct(),
	       (unsigned long long)cntfrq(),
	       (unsigned long long)t.tv_sec * 1000000000ULL + (unsigned long long)t.tv_nsec);
	return 0;
}
