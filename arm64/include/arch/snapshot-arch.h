#ifndef VMM_ARCH_SNAPSHOT_ARCH_H
#define VMM_ARCH_SNAPSHOT_ARCH_H

/* The arm64 part of a snapshot (docs/snapshot.md), as vmm/ holds it. */
#include <stdbool.h>
#include <stdint.h>

#include "arm64/sve.h"

struct vcpu_state;
struct snap_section;

/* The arm64 fields of the config section. */
struct arch_saved_config {
	vq_mask_t sve_set;		/* 0: SVE off */
	bool sve_wide;			/* the saved set had bits beyond 2048 bits: bad */
	uint32_t features[7];		/* KVM_ARM_VCPU_INIT features, POWER_OFF excluded */
	bool pmu, ptrauth;
	uint32_t gic_version, gic_nr_irqs;
};

/* What restore reads of the vcpu and GIC sections before it builds anything. */
struct arch_saved_state {
	unsigned nr_vcpus;
	struct vcpu_state *vcpus;	/* nr_vcpus of them (arm64/vcpu-state.h) */
	const struct snap_section *gic;	/* points into the reader */
	const struct snap_section *cpu_plan; /* the plan file's text; NULL: none */
};

#endif
