/*
 * Runs in a Linux guest during snapshot/restore tests: keeps filling every
 * SVE register (Z0-Z31, P0-P15, FFR) with a pattern that changes each
 * round, lets time pass (so snapshots, restores and context switches
 * happen while the values live only in registers), reads them back and
 * compares. Prints "guest: sve_rounds=N" about once a second, and
 * "guest: sve_bad=REG:BYTE" and exits 1 on the first mismatch.
 *
 *   sve-stress [SECONDS]    (default: run until killed)
 *
 * It sets its vector length once, at start: on some kernels V0-V31 read as
 * zero after PR_SVE_SET_VL, so no value is kept across that call.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <time.h>

#define MAX_VL_BYTES 256

static uint8_t zin[32 * MAX_VL_BYTES] __attribute__((aligned(256)));
static uint8_t zout[32 * MAX_VL_BYTES] __attribute__((aligned(256)));
static uint8_t pin[17 * MAX_VL_BYTES / 8] __attribute__((aligned(32)));
static uint8_t pout[17 * MAX_VL_BYTES / 8] __attribute__((aligned(32)));

#define REGS32 "0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31"
#define REGS16 "0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15"

/*
 * Loads every register, spins for `spins` iterations using only general
 * registers, then stores every register. FFR goes through P0 (saved first).
 */
static void fill_wait_store(uint64_t spins)
{
	asm volatile(
		".arch armv8.2-a+sve\n"
		".irp n," REGS32 "\n ldr z\\n, [%[zin], #\\n, mul vl]\n .endr\n"
		"ldr p0, [%[pin], #16, mul vl]\n"
		"wrffr p0.b\n"
		".irp n," REGS16 "\n ldr p\\n, [%[pin], #\\n, mul vl]\n .endr\n"
		"1: subs %[spins], %[spins], #1\n"
		"b.ne 1b\n"
		".irp n," REGS32 "\n str z\\n, [%[zout], #\\n, mul vl]\n .endr\n"
		".irp n," REGS16 "\n str p\\n, [%[pout], #\\n, mul vl]\n .endr\n"
		"rdffr p0.b\n"
		"str p0, [%[pout], #16, mul vl]\n"
		: [spins] "+r"(spins)
		: [zin] "r"(zin), [zout] "r"(zout), [pin] "r"(pin), [pout] "r"(pout)
		: "memory", "cc",
		  "v0", "v1", "v2", "v3", "v4", "v5", "v6", "v7", "v8", "v9", "v10", "v11",
		  "v12", "v13", "v14", "v15", "v16", "v17", "v18", "v19", "v20", "v21", "v22",
		  "v23", "v24", "v25", "v26", "v27", "v28", "v29", "v30", "v31");
}

static uint64_t next(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

static void make_patterns(uint64_t seed, unsigned vl)
{
	for (unsigned i = 0; i < 32 * vl; i++)
		zin[i] = (uint8_t)next(&seed);
	for (unsigned i = 0; i < 17 * vl / 8; i++)
		pin[i] = (uint8_t)next(&seed);
}

/* Returns -1 when all match, else reg * 65536 + byte (Z 0-31, P 32-47, FFR 48). */
static long compare(unsigned vl)
{
	for (unsigned i = 0; i < 32 * vl; i++)
		if (zin[i] != zout[i])
			return (long)(i / vl) * 65536 + i % vl;
	for (unsigned i = 0; i < 17 * vl / 8; i++)
		if (pin[i] != pout[i])
			return (long)(32 + i / (vl / 8)) * 65536 + i % (vl / 8);
	return -1;
}

int main(int argc, char **argv)
{
	double limit = argc > 1 ? atof(argv[1]) : 0;
	struct timespec start, now;
	unsigned vl;
	uint64_t rounds = 0, seed = 0x9e3779b97f4a7c15ULL;
	double last = -1;

	vl = (unsigned)prctl(PR_SVE_SET_VL, MAX_VL_BYTES) & PR_SVE_VL_LEN_MASK;
	if ((int)vl <= 0 || vl > MAX_VL_BYTES) {
		printf("guest: sve_error=no SVE\n");
		return 1;
	}
	printf("guest: sve_vl=%u\n", vl * 8);
	clock_gettime(CLOCK_MONOTONIC, &start);
	for (;;) {
		double t;
		long bad;

		make_patterns(seed + rounds, vl);
		memset(zout, 0, sizeof(zout));
		memset(pout, 0, sizeof(pout));
		fill_wait_store(2000000);
		bad = compare(vl);
		if (bad >= 0) {
			printf("guest: sve_bad=%ld:%ld round %llu\n", bad / 65536, bad % 65536,
			       (unsigned long long)rounds);
			return 1;
		}
		rounds++;
		clock_gettime(CLOCK_MONOTONIC, &now);
		t = (double)(now.tv_sec - start.tv_sec) + (double)(now.tv_nsec - start.tv_nsec) / 1e9;
		if (t - last >= 1) {
			printf("guest: sve_rounds=%llu\n", (unsigned long long)rounds);
			fflush(stdout);
			last = t;
		}
		if (limit > 0 && t >= limit)
			return 0;
	}
}
