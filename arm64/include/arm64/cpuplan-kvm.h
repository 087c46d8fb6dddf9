#ifndef VMM_ARM64_CPUPLAN_KVM_H
#define VMM_ARM64_CPUPLAN_KVM_H

/* `vmm run --cpu-plan PLAN.json` on KVM (arm64/cpuplan-kvm.c, docs/caps.md). */
#include <stdbool.h>

#include "vmm/compiler.h"

struct vm;
struct vcpu;

/*
 * Before the VM exists, after the VL set was resolved: loads the plan
 * (bad file: -2), makes its VL set the guest's (--sve-vls, when given,
 * must agree: -2), checks the PMU and pointer-auth options against it
 * (-2), and checks that this host can give it (-3, one line naming the
 * field and both values). Keeps it in vm->arch.cpu_plan. 0 without a plan.
 */
int cpuplan__prepare(struct vm *vm) __must_check;
/* Whether the plan gives the vcpus KVM_ARM_VCPU_INIT feature bit feature. */
bool cpuplan__gives(const struct vm *vm, unsigned feature);
/*
 * After KVM_ARM_VCPU_INIT (and SVE finalize), before the first KVM_RUN:
 * writes the plan's fields of each planned ID register where the vcpu
 * differs, and reads them back. 0, or -3 naming the register.
 */
int cpuplan__apply(struct vcpu *vcpu) __must_check;

#endif
