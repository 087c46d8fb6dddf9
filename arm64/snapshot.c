/*
 * The arm64 part of a snapshot (docs/snapshot.md): the config section's
 * arm64 fields, the host section, the vcpu and GIC sections, and restoring
 * them in the order KVM needs (vmm/restore.c calls these hooks).
 */
#include <errno.h>
#include <linux/kvm.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arm64/arm64.h"
#include "arm64/caps.h"
#include "arm64/layout.h"
#include "arm64/vcpu-state.h"
#include "vmm/persist.h"
#include "vmm/snapshot.h"
#include "vmm/vm.h"
#include "vmm/vmstate.h"

/* The arm64 bits of the config section's flags word (VMSTATE_CFG_* the rest). */
enum { CFG_PMU = 1, CFG_PTRAUTH = 4 };

#define GIC_V3 3

static bool has_feature(const struct vm *vm, unsigned f)
{
	return vm->arch.vcpu_features[f / 32] & (1u << (f % 32));
}

/* u32 VL set, u32 x 7 features, u32 flags, u32 GIC version, u32 GIC lines. */
void arch__save_config(const struct vm *vm, uint32_t flags, struct pbuf *b)
{
	flags |= vm->cfg->arch.pmu ? CFG_PMU : 0;
	flags |= has_feature(vm, KVM_ARM_VCPU_PTRAUTH_ADDRESS) ? CFG_PTRAUTH : 0;
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
	if (a->sve_wide || (a->features[0] & (1u << KVM_ARM_VCPU_POWER_OFF)))
		return "VL set or vcpu features";
	if (a->gic_version != GIC_V3 || a->gic_nr_irqs != GIC_NR_IRQS)
		return "GIC version or size";
	return NULL;
}

/* The caps of this host, as `vmm caps --json` prints them (informational). */
int arch__save_host(struct snap_writer *w)
{
	struct host_caps caps;
	char *text = NULL;
	size_t len = 0;
	FILE *f;
	int err;

	if (caps__probe(&caps))
		return 0;	/* not needed to restore: leave it out */
	f = open_memstream(&text, &len);
	if (!f)
		return -ENOMEM;
	caps__print_json(f, &caps);
	fclose(f);
	err = snap__add(w, SNAP_SEC_HOST, 0, SNAP_VER_HOST, text, len);
	if (err)
		pr_err("snapshot: cannot add the host section: %s", strerror(-err));
	free(text);
	return err;
}

static int save_vcpus(struct vm *vm, struct snap_writer *w)
{
	for (unsigned i = 0; i < vm->nr_vcpus; i++) {
		struct pbuf b;
		unsigned sve_regs;
		int err;

		pbuf__init(&b);
		err = vcpu_state__save(&vm->vcpus[i], &b, &sve_regs);
		if (err) {
			pbuf__free(&b);
			return err;
		}
		pr_debug("vcpu %u: %zu bytes of registers, %u SVE register slices", i, b.len,
			 sve_regs);
		err = vmstate__add_pbuf(w, SNAP_SEC_VCPU, i, SNAP_VER_VCPU, &b);
		if (err)
			return err;
	}
	return 0;
}

int arch__save_state(struct vm *vm, struct snap_writer *w)
{
	struct pbuf b;
	int err = save_vcpus(vm, w);

	if (err)
		return err;
	pbuf__init(&b);
	err = gic__save(vm, &b);
	if (err) {
		pbuf__free(&b);
		return err;
	}
	return vmstate__add_pbuf(w, SNAP_SEC_GIC, 0, SNAP_VER_GIC, &b);
}

/* Each vcpu section, which must agree with the config's features and VL set. */
int arch__read_saved(const struct snap_reader *r, const struct vm_saved_config *c,
		     struct arch_saved_state *st, char *err, size_t errlen)
{
	memset(st, 0, sizeof(*st));
	st->vcpus = calloc(c->nr_vcpus, sizeof(*st->vcpus));
	if (!st->vcpus)
		return -VMM_ERR_INTERNAL;
	st->nr_vcpus = c->nr_vcpus;
	for (unsigned i = 0; i < c->nr_vcpus; i++) {
		const struct snap_section *sec = snap__find(r, SNAP_SEC_VCPU, i);
		struct vcpu_state *v = &st->vcpus[i];
		int ret;

		if (!sec) {
			snprintf(err, errlen, "section vcpu %u: missing", i);
			return -VMM_ERR_INPUT;
		}
		ret = vcpu_state__parse(sec->data, sec->len, v, err, errlen);
		if (ret)
			return ret;
		if (v->vcpu_id != i || v->vls != c->arch.sve_set ||
		    memcmp(v->features, c->arch.features, sizeof(v->features))) {
			snprintf(err, errlen, "section vcpu %u: does not match the config", i);
			return -VMM_ERR_INPUT;
		}
	}
	st->gic = snap__find(r, SNAP_SEC_GIC, 0);
	if (!st->gic) {
		snprintf(err, errlen, "section gic: missing");
		return -VMM_ERR_INPUT;
	}
	return 0;
}

void arch__free_saved(struct arch_saved_state *st)
{
	for (unsigned i = 0; st->vcpus && i < st->nr_vcpus; i++)
		vcpu_state__free(&st->vcpus[i]);
	free(st->vcpus);
	memset(st, 0, sizeof(*st));
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

/* Restore steps 4 and 5: every register but VLS, then mp_state; then the GIC. */
int arch__restore_state(struct vm *vm, const struct arch_saved_state *st, char *err,
			size_t errlen)
{
	struct preader r;
	uint64_t counter;
	int ret = 0;

	for (unsigned i = 0; !ret && i < vm->nr_vcpus; i++)
		ret = vcpu_state__restore(&vm->vcpus[i], &st->vcpus[i]);
	if (ret)
		return ret;
	/* Guest time goes on from the saved counter when the vcpus first run. */
	if (vcpu_state__counter(&st->vcpus[0], &counter) == 0)
		arch__freeze_time_at(vm, counter);
	preader__init(&r, st->gic->data, st->gic->len);
	return gic__restore(vm, &r, err, errlen);
}
