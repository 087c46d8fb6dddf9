/*
 * What the guest's kernel tells a process about the CPU (HWCAPs), for
 * tests/linux/cpu-plan.sh: "guest: hwcap_sve=0|1" and "guest: hwcap_sve2=0|1".
 * A program that probes a feature this way must see a CPU plan's, not the host's.
 */
#include <stdio.h>
#include <sys/auxv.h>

/* arch/arm64/include/uapi/asm/hwcap.h, when libc's headers lack them */
#ifndef HWCAP_SVE
#define HWCAP_SVE	(1ul << 22)
#endif
#ifndef HWCAP2_SVE2
#define HWCAP2_SVE2	(1ul << 1)
#endif

int main(void)
{
	printf("guest: hwcap_sve=%d\n", (getauxval(AT_HWCAP) & HWCAP_SVE) != 0);
	printf("guest: hwcap_sve2=%d\n", (getauxval(AT_HWCAP2) & HWCAP2_SVE2) != 0);
	return 0;
}
