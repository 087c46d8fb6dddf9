#ifndef VMM_ARM64_ARM64_H
#define VMM_ARM64_ARM64_H

/* arm64 pieces shared by the files of arm64/ (and, for now, the snapshot commands). */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vmm/compiler.h"

#include "arm64/sve.h"

struct vm;
struct vcpu;
struct pbuf;
struct preader;

/* The host's SVE set, read from KVM_REG_ARM64_SVE_VLS of a scratch vcpu (0: no SVE). */
int sve__probe_host(int kvm_fd, vq_mask_t *host) __must_check;
/* The host's SVE set from a vcpu initialised with SVE and not yet finalized. */
int sve__read_vcpu_vls(int vcpu_fd, vq_mask_t *set) __must_check;
/* Reads the host's set on the VM's vcpu 0 and chooses the guest's (arm64/kvm.c). */
int arch__sve_from_vcpu0(struct vcpu *vcpu) __must_check;
/* Writes the VL set of an SVE vcpu, reads it back, and finalizes. */
int sve__configure_vcpu(struct vcpu *vcpu, vq_mask_t set) __must_check;

/*
 * KVM_GET_ONE_REG / KVM_SET_ONE_REG of register id on a vcpu fd (a real or
 * a scratch vcpu). value holds the register's size. Return 0 or -errno.
 */
int arm64__get_reg(int vcpu_fd, uint64_t id, void *value) __must_check;
int arm64__set_reg(int vcpu_fd, uint64_t id, const void *value) __must_check;

/* A throwaway VM with one vcpu, for asking the host what it can give. */
struct scratch_vcpu {
	int vm_fd, vcpu_fd;
};

/*
 * Creates a VM of vm_type and a vcpu initialised with the host's preferred
 * target and features (7 words of KVM_ARM_VCPU_INIT). Returns 0, or -errno
 * with nothing left open; *init_failed says whether KVM_ARM_VCPU_INIT was
 * the step that failed (the host cannot give those features).
 */
int arm64__scratch_vcpu(int kvm_fd, unsigned long vm_type, const uint32_t features[7],
			struct scratch_vcpu *s, bool *init_failed) __must_check;
void arm64__scratch_close(struct scratch_vcpu *s);

/* The MPIDR_EL1 of a vcpu, as KVM set it. */
int arm64__read_mpidr(struct vcpu *vcpu, uint64_t *mpidr) __must_check;

/* vGICv3 */
int gic__create(struct vm *vm) __must_check;
int gic__init(struct vm *vm) __must_check;
/* Saves the vGICv3 into b (docs/snapshot.md, GIC section version 1). */
int gic__save(struct vm *vm, struct pbuf *b) __must_check;
/*
 * Restores it; the GIC and all vcpus exist and CTRL_INIT was done. Never dies
 * on bad input: returns -2 with a one-line reason in err naming the field.
 */
int gic__restore(struct vm *vm, struct preader *r, char *err, size_t errlen)
	__must_check;

#endif
