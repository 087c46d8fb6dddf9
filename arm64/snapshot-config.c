/* The arm64 fields of a snapshot's config section (docs/snapshot.md). */
#include <assert.h>
#include <linux/kvm.h>
#include <string.h>

#include "arm64/layout.h"
#include "vmm/persist.h"
#include "vmm/vm.h"
#include "vmm/vmstate.h"

/* The arm64 bits of the config section's flags word (VMSTATE_CFG_* the rest). */
enum { CFG_PMU = 1, CFG_PTRAUTH = 4 };

#define GIC_V3 3

/*
 * KVM_ARM_VCPU_INIT feature bits (arm64's asm/kvm.h), spelled here too so
 * that this file also builds on the unit tests' host.
 */
enum { FEATURE_POWER_OFF = 0, FEATURE_PTRAUTH_ADDRESS = 5 };
#ifdef KVM_ARM_VCPU_POWER_OFF
static_assert(FEATURE_POWER_OFF == KVM_ARM_VCPU_POWER_OFF, "KVM_ARM_VCPU_POWER_OFF");
static_assert(FEATURE_PTRAUTH_ADDRESS == KVM_ARM_VCPU_PTRAUTH_ADDRESS,
	      "KVM_ARM_VCPU_PTRAUTH_ADDRESS");
#endif

static bool has_feature(const struct vm *vm, unsigned f)
{
	return vm->arch.vcpu_features[f / 32] & (1u << (f % 32));
}

/* u32 VL set, u32 x 7 features, u32 flags, u32 GIC version, u32 GIC lines. */
void arch__save_config(const struct vm *vm, uint32_t flags, struct pbuf *b)
{
	flags |= vm->cfg->arch.pmu ? CFG_PMU : 0;
	flags |= has_feature(vm, FEATURE_PTRAUTH_ADDRESS) ? CFG_PTRAUTH : 0;
	pbuf__put_u32(b, vm->arch.sve_set);
	for (int i = 0; i < 7; i++)
		pbuf__put_u32(b, vm->arch.vcpu_features[i]);
	pbuf__put_u32(b, flags);
	pbuf__put_u32(b, GIC_V3);
	pbuf__put_u32(b, GIC_NR_IRQS);
}

uint32_t arch__read_config(struct preader *p, struct arch_saved_config *a)
{
	uint32_t sve, flags;

	sve = preader__get_u32(p);
	for (int i = 0; i < 7; i++)
		a->features[i] = preader__get_u32(p);
	flags = preader__get_u32(p);
	a->gic_version = preader__get_u32(p);
	a->gic_nr_irqs = preader__get_u32(p);
	a->sve_set = (vq_mask_t)sve;
	a->sve_wide = sve > 0xffff;	/* refused by arch__check_config */
	a->pmu = flags & CFG_PMU;
	a->ptrauth = flags & CFG_PTRAUTH;
	return flags;
}

const char *arch__check_config(const struct vm_saved_config *c)
{
	const struct arch_saved_config *a = &c->arch;

	if (c->nr_vcpus < 1 || c->nr_vcpus > VMM_MAX_VCPUS)
		return "vcpu count";
	if (!c->ram_size || c->ram_size % SZ_4K || c->ram_size > (1ULL << 52) - RAM_BASE)
		return "memory size";
	if (c->ipa_bits < VMM_MIN_IPA_BITS || c->ipa_bits > 52 ||
	    c->ipa_bits < layout__min_ipa_bits(c->ram_size))
		return "IPA size";
	if (a->sve_wide || (a->features[0] & (1u << FEATURE_POWER_OFF)))
		return "VL set or vcpu features";
	if (a->gic_version != GIC_V3 || a->gic_nr_irqs != GIC_NR_IRQS)
		return "GIC version or size";
	return NULL;
}

void arch__config_from_saved(const struct arch_saved_config *a, struct arch_config *cfg)
{
	cfg->pmu = a->pmu;
	cfg->no_ptrauth = !a->ptrauth;
}

/* KVM_ARM_VCPU_INIT features and VL set of every vcpu (restore step 1-3). */
void arch__restore_prepare(struct vm *vm, const struct arch_saved_config *a)
{
	vm->arch.sve_set = a->sve_set;
	memcpy(vm->arch.vcpu_features, a->features, sizeof(a->features));
}
