/*
 * SVE through the KVM API: probing the host's vector lengths and the
 * per-vcpu negotiation of KVM_REG_ARM64_SVE_VLS before FINALIZE
 * (Documentation/virt/kvm/api.rst, KVM_ARM_VCPU_INIT and KVM_REG_ARM64_SVE_VLS).
 */
#include <errno.h>
#include <linux/kvm.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "arm64/arm64.h"
#include "vmm/vm.h"

/* VLS holds one bit per VQ (1..512) in eight 64-bit words; we use VQ 1..16. */
static vq_mask_t vls_to_mask(const uint64_t vls[KVM_ARM64_SVE_VLS_WORDS])
{
	return (vq_mask_t)(vls[0] & 0xffff);
}

static void mask_to_vls(vq_mask_t set, uint64_t vls[KVM_ARM64_SVE_VLS_WORDS])
{
	memset(vls, 0, sizeof(uint64_t) * KVM_ARM64_SVE_VLS_WORDS);
	vls[0] = set;
}

int sve__read_vcpu_vls(int vcpu_fd, vq_mask_t *set)
{
	uint64_t vls[KVM_ARM64_SVE_VLS_WORDS];
	int err = arm64__get_reg(vcpu_fd, KVM_REG_ARM64_SVE_VLS, vls);

	if (!err)
		*set = vls_to_mask(vls);
	return err;
}

/* A scratch VM and vcpu, initialised with SVE, to read the host's set. */
static int probe_scratch(int kvm_fd, vq_mask_t *host)
{
	const uint32_t features[7] = { 1u << KVM_ARM_VCPU_SVE };
	struct scratch_vcpu s;
	bool init_failed;
	int err;

	err = arm64__scratch_vcpu(kvm_fd, 0, features, &s, &init_failed);
	if (err)
		return err;
	err = sve__read_vcpu_vls(s.vcpu_fd, host);
	arm64__scratch_close(&s);
	return err;
}

int sve__probe_host(int kvm_fd, vq_mask_t *host)
{
	int err;

	*host = 0;
	if (ioctl(kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_ARM_SVE) <= 0)
		return 0;
	err = probe_scratch(kvm_fd, host);
	if (err) {
		pr_err("cannot read the host's SVE vector lengths: %s", strerror(-err));
		return -VMM_ERR_INTERNAL;
	}
	return 0;
}

/* Steps 2-6 of the negotiation; KVM_ARM_VCPU_INIT with SVE came first. */
int sve__configure_vcpu(struct vcpu *vcpu, vq_mask_t set)
{
	uint64_t vls[KVM_ARM64_SVE_VLS_WORDS];
	int feature = KVM_ARM_VCPU_SVE;
	int err;

	err = arm64__get_reg(vcpu->fd, KVM_REG_ARM64_SVE_VLS, vls);
	if (!err) {
		mask_to_vls(set, vls);
		err = arm64__set_reg(vcpu->fd, KVM_REG_ARM64_SVE_VLS, vls);
	}
	if (!err)
		err = arm64__get_reg(vcpu->fd, KVM_REG_ARM64_SVE_VLS, vls);
	if (err) {
		pr_err("vcpu %u: KVM_REG_ARM64_SVE_VLS: %s", vcpu->id, strerror(-err));
		return -VMM_ERR_INTERNAL;
	}
	if (vls_to_mask(vls) != set) {
		char want[80], got[80];

		sve__format_set(set, want, sizeof(want));
		sve__format_set(vls_to_mask(vls), got, sizeof(got));
		pr_err("vcpu %u: KVM took SVE lengths %s, not %s", vcpu->id, got, want);
		return -VMM_ERR_INTERNAL;
	}
	if (ioctl(vcpu->fd, KVM_ARM_VCPU_FINALIZE, &feature) < 0) {
		pr_err("vcpu %u: KVM_ARM_VCPU_FINALIZE(SVE): %s", vcpu->id, strerror(errno));
		return -VMM_ERR_INTERNAL;
	}
	return 0;
}
