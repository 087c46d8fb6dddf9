#ifndef VMM_ARCH_CONFIG_ARCH_H
#define VMM_ARCH_CONFIG_ARCH_H

#include <stdbool.h>

#include "arm64/sve.h"

/*
 * What `vmm run` accepts on arm64 (arm64/run-options.c checks them against
 * the memory map, arm64/layout.h): --ipa-bits from KVM's smallest IPA size
 * to the architecture's largest, --cpus up to the redistributors that fit,
 * --mem up to the RAM whose top stays below 2^52.
 */
#define ARCH_IPA_BITS_MIN	32
#define ARCH_IPA_BITS_MAX	52
#define ARCH_MAX_VCPUS		123
#define ARCH_RAM_MIB_MAX	((1ULL << (52 - 20)) - 2048)

/* What the user asked of the arm64 vcpus (struct vm_config's arch part). */
struct arch_config {
	struct sve_request sve;		/* --sve-vls, --sve-max-vl */
	bool pmu;			/* --pmu */
	bool no_ptrauth;		/* --no-ptrauth */
	const char *cpu_plan;		/* --cpu-plan: the plan file (docs/caps.md) */
};

#endif
