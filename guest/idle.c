/*
 * Reports ready=1, then waits for interrupts (none come) until vmm ends
 * it: a VM that only the control socket ends (tests/bed/api-socket.sh).
 */
#include "guest.h"

int main(u64 dtb)
{
	report("ready", 1);
	for (;;)
		__asm__ volatile("wfi");
	return 0;
}
