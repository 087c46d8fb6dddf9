#ifndef VMM_ARCH_VM_ARCH_H
#define VMM_ARCH_VM_ARCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "arm64/sve.h"

struct cpu_plan;

/* arm64 state of a VM. */
struct vm_arch {
	int gic_fd;
	vq_mask_t host_sve;		/* the host's VL set (0: no SVE) */
	vq_mask_t sve_set;		/* the guest's VL set (0: SVE off) */
	bool sve_from_vcpu0;		/* both are read and chosen on vcpu 0 (arch__vcpu_init) */
	uint32_t vcpu_features[7];	/* KVM_ARM_VCPU_INIT features of every vcpu */
	uint32_t target;
	bool time_frozen;		/* paused: the guest's counter stands still */
	uint64_t frozen_counter;	/* the virtual counter when it was frozen */
	struct cpu_plan *cpu_plan;	/* --cpu-plan, loaded and checked; NULL: none */
	/* The plan file's text (a snapshot keeps it; a restore carries it on); NULL: none */
	char *cpu_plan_text;
	size_t cpu_plan_len;
};

#endif
