#ifndef VMM_ARM64_FDT_H
#define VMM_ARM64_FDT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vmm/compiler.h"
#include "vmm/fdt.h"

#define FDT_MAX_DEVICES 48

struct fdt_params {
	unsigned nr_cpus;
	uint64_t mpidr[512];		/* reg of each cpu node (MPIDR affinity bits) */
	uint64_t ram_base, ram_size;
	const char *bootargs;		/* may be NULL or "" */
	uint64_t initrd_start, initrd_end;	/* both 0 without an initrd */
	uint64_t kaslr_seed;
	uint8_t rng_seed[32];
	uint64_t gic_dist_base, gic_dist_size;
	uint64_t gic_redist_base, gic_redist_size;	/* the whole redistributor region */
	bool pmu;			/* arm,armv8-pmuv3 on PPI 7 */
	unsigned nr_devices;
	struct fdt_device devices[FDT_MAX_DEVICES];
	int stdout_device;		/* index into devices for chosen/stdout-path, or -1 */
};

/* Builds the guest's device tree into buf. Returns 0 or -errno (-ENOSPC if it did not fit). */
int fdt__build(const struct fdt_params *p, void *buf, size_t size) __must_check;

#endif
