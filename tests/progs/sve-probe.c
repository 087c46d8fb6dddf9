/*
 * Runs in a Linux guest: prints what SVE the guest kernel gives a process,
 * as "guest: key=value" lines:
 *   sve_hwcap      1 when AT_HWCAP has HWCAP_SVE
 *   sve_vls        every vector length (bits) prctl(PR_SVE_SET_VL) settles
 *                  on when asked for each length from 128 to 2048 bits
 *   sve_default_vl /proc/sys/abi/sve_default_vector_length (bytes)
 * The kernel rounds a length it cannot give down to one it can, so the
 * distinct results are the set vmm configured.
 * It keeps no values in FP/SIMD registers across the prctl calls: changing
 * the vector length discards the SVE register state.
 */
#include <stdio.h>
#include <sys/auxv.h>
#include <sys/prctl.h>

#ifndef HWCAP_SVE
#define HWCAP_SVE (1 << 22)
#endif

static void print_default_vl(void)
{
	FILE *f = fopen("/proc/sys/abi/sve_default_vector_length", "r");
	int v = -1;

	if (f) {
		if (fscanf(f, "%d", &v) != 1)
			v = -1;
		fclose(f);
	}
	printf("guest: sve_default_vl=%d\n", v);
}

int main(void)
{
	int seen[2048 / 128 + 1] = { 0 };
	int first = 1;

	printf("guest: sve_hwcap=%d\n", (getauxval(AT_HWCAP) & HWCAP_SVE) ? 1 : 0);
	if (!(getauxval(AT_HWCAP) & HWCAP_SVE))
		return 0;
	for (int bytes = 16; bytes <= 256; bytes += 16) {
		int ret = prctl(PR_SVE_SET_VL, bytes, 0, 0, 0);

		if (ret < 0) {
			printf("guest: sve_error=prctl(%d)\n", bytes);
			return 1;
		}
		seen[(ret & PR_SVE_VL_LEN_MASK) / 16] = 1;
	}
	printf("guest: sve_vls=");
	for (int vq = 1; vq <= 16; vq++) {
		if (seen[vq]) {
			printf("%s%d", first ? "" : ",", vq * 128);
			first = 0;
		}
	}
	printf("\n");
	print_default_vl();
	return 0;
}
