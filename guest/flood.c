/*
 * Floods the console: reports ready=1, then writes numbered lines on the
 * PL011 for ever, as fast as the vcpu can. The guest of the tests where
 * stdout stalls (tests/bed/console-stall.sh).
 */
#include "guest.h"

int main(u64 dtb)
{
	report("ready", 1);
	for (u64 n = 0;; n++) {
		puts("flood ");
		put_dec(n);
		puts(": the quick brown fox jumps over the lazy dog\n");
	}
	return 0;
}
