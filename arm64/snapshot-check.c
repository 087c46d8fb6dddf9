/*
 * Can this host restore an arm64 snapshot? Checked before any KVM object
 * of the VM exists (docs/snapshot.md, "Restoring"): the IPA size, the PMU
 * and pointer auth, the VL set, then a scratch vcpu built like the saved
 * ones, whose ID and other invariant registers (and cache geometry) must
 * be what was saved or writable to it, and whose register list must be the
 * saved one; CNTFRQ_EL0 and DCZID_EL0 must be the saved values. A failure
 * is -3 with both values named.
 */
#include <errno.h>
#include <linux/kvm.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>

#include "arm64/arm64.h"
#include "arm64/caps.h"
#include "arm64/cpuid.h"
#include "arm64/snapshot-compare.h"
#include "arm64/vcpu-state.h"
#include "vmm/vm.h"
#include "vmm/vmstate.h"

#define MSG_MAX 1024

static int check_sve(vq_mask_t host, vq_mask_t saved, char *err, size_t errlen)
{
	char want[96], have[96];

	if (!saved || sve__set_valid(host, saved))
		return 0;
	sve__format_set(saved, want, sizeof(want));
	if (!host) {
		snprintf(err, errlen, "saved VL set %s; this host has no SVE", want);
	} else {
		vq_mask_t below = host & (vq_mask_t)((1u << (32 - __builtin_clz(saved))) - 1);

		/* The largest set this host has that is no larger than the saved one. */
		sve__format_set(below ? below : host, have, sizeof(have));
		snprintf(err, errlen, "saved VL set %s; this host can give at most %s%s", want,
			 have, sve__max_vl(host) > sve__max_vl(saved) ? " below it" : "");
	}
	return -VMM_ERR_HOST;
}

static int check_limits(struct vm *vm, const struct vm_saved_config *c, char *err,
			size_t errlen)
{
	int ipa = kvm__check_cap(vm, KVM_CAP_ARM_VM_IPA_SIZE);

	ipa = ipa ? ipa : 40;
	if ((int)c->ipa_bits > ipa) {
		snprintf(err, errlen, "saved IPA size %u bits; this host's limit is %d bits",
			 c->ipa_bits, ipa);
		return -VMM_ERR_HOST;
	}
	if (c->arch.pmu && !kvm__check_cap(vm, KVM_CAP_ARM_PMU_V3)) {
		snprintf(err, errlen, "saved with a PMU; this host has no KVM_CAP_ARM_PMU_V3");
		return -VMM_ERR_HOST;
	}
	if (c->arch.ptrauth && !(kvm__check_cap(vm, KVM_CAP_ARM_PTRAUTH_ADDRESS) &&
				 kvm__check_cap(vm, KVM_CAP_ARM_PTRAUTH_GENERIC))) {
		snprintf(err, errlen, "saved with pointer authentication; this host has none");
		return -VMM_ERR_HOST;
	}
	return 0;
}

static void __attribute__((format(printf, 3, 4))) append(char *buf, size_t len, const char *fmt, ...)
{
	size_t used = strlen(buf);
	va_list ap;

	if (used >= len)
		return;
	if (used)
		snprintf(buf + used, len - used, "; ");
	used = strlen(buf);
	va_start(ap, fmt);
	vsnprintf(buf + used, len - used, fmt, ap);
	va_end(ap);
}

/* The ID space and the firmware registers, and the cache geometry (CCSIDR). */
static bool must_match(const struct saved_reg *reg)
{
	return (vcpu_state__is_invariant(reg->id) && reg->len == 8) ||
	       (vcpu_state__is_ccsidr(reg->id) && reg->len == 4);
}

/*
 * A register KVM would not take the saved value of: for an ID register,
 * the field that stops it (not writable here, or more than this host has)
 * with both values, then the register's.
 */
static void name_refused(char *diff, size_t len, uint64_t id, uint64_t saved, uint64_t host,
			 const uint64_t *writable)
{
	int idx = idregs__index(id);
	struct idreg_field f;
	bool is_writable;
	char name[48];

	if (idx >= 0)
		idregs__name(idx, name, sizeof(name));	/* it names the AArch32 ones too */
	else
		vcpu_state__reg_name(id, name, sizeof(name));
	if (idx >= 0 && idregs__blocking_field(idx, saved, host, writable[idx], &f, &is_writable))
		append(diff, len, "%s.%s saved %u, this host %u (%s; the register saved 0x%llx, "
		       "this host 0x%llx)", name, f.name, idregs__field_get(&f, saved),
		       idregs__field_get(&f, host), is_writable ? "KVM refused the value" :
		       "not writable here", (unsigned long long)saved, (unsigned long long)host);
	else
		append(diff, len, "%s saved 0x%llx, this host 0x%llx", name,
		       (unsigned long long)saved, (unsigned long long)host);
}

/*
 * Compares the saved ID and other invariant registers with a scratch vcpu
 * of this host built like the VM's, and writes the saved values there. A
 * difference KVM lets userspace write is fine (restore writes it too); one
 * it refuses is named, with both values.
 */
static int check_id_regs(int scratch_fd, const struct vcpu_state *st, const uint64_t *writable,
			 char *err, size_t errlen)
{
	char diff[MSG_MAX] = "", name[48];

	for (unsigned i = 0; i < st->nr_regs; i++) {
		const struct saved_reg *reg = &st->regs[i];
		uint64_t host = 0, saved = 0;
		int get;

		if (!must_match(reg))
			continue;
		memcpy(&saved, reg->value, reg->len);
		get = arm64__get_reg(scratch_fd, reg->id, &host);
		if (get == 0 && host == saved)
			continue;
		if (arm64__set_reg(scratch_fd, reg->id, &saved) == 0)
			continue;
		vcpu_state__reg_name(reg->id, name, sizeof(name));
		if (get)
			append(diff, sizeof(diff), "%s saved 0x%llx, this host cannot read it: %s",
			       name, (unsigned long long)saved, strerror(-get));
		else
			name_refused(diff, sizeof(diff), reg->id, saved, host, writable);
	}
	if (!diff[0])
		return 0;
	snprintf(err, errlen, "registers this host cannot give: %s", diff);
	return -VMM_ERR_HOST;
}

/* The scratch vcpu's KVM_GET_REG_LIST against the saved registers. */
static int check_reg_list(int scratch_fd, const struct vcpu_state *st, char *err,
			  size_t errlen)
{
	struct kvm_reg_list probe = { .n = 0 }, *list;
	uint64_t *saved;
	int ret = -VMM_ERR_INTERNAL;

	/* The first call fails with E2BIG and says how many there are. */
	if (ioctl(scratch_fd, KVM_GET_REG_LIST, &probe) == 0 || errno != E2BIG) {
		snprintf(err, errlen, "KVM_GET_REG_LIST: %s", strerror(errno));
		return -VMM_ERR_INTERNAL;
	}
	list = calloc(1, sizeof(*list) + probe.n * sizeof(uint64_t));
	saved = calloc(st->nr_regs ? st->nr_regs : 1, sizeof(*saved));
	if (list && saved) {
		list->n = probe.n;
		if (ioctl(scratch_fd, KVM_GET_REG_LIST, list) < 0) {
			snprintf(err, errlen, "KVM_GET_REG_LIST: %s", strerror(errno));
		} else {
			for (unsigned i = 0; i < st->nr_regs; i++)
				saved[i] = st->regs[i].id;
			ret = snapcmp__reg_lists(saved, st->nr_regs, (const uint64_t *)list->reg,
						 (unsigned)list->n,
						 vcpu_state__reg_name, err, errlen);
		}
	}
	free(list);
	free(saved);
	return ret;
}

/* CNTFRQ_EL0 and DCZID_EL0: KVM passes this host's to the guest. */
static int check_host_regs(const struct vcpu_state *st, char *err, size_t errlen)
{
	if (!st->has_host_regs)
		return 0;	/* a version 1 snapshot did not record them */
	return snapcmp__host_regs(st->cntfrq, st->dczid, arm64__own_cntfrq(), arm64__own_dczid(),
				  err, errlen);
}

/* A scratch VM and vcpu initialised with the saved features and VL set. */
static int check_on_scratch(struct vm *vm, const struct vm_saved_config *c,
			    const struct arch_saved_state *st, char *err, size_t errlen)
{
	struct kvm_create_device gic = {
		.type = KVM_DEV_TYPE_ARM_VGIC_V3, .flags = KVM_CREATE_DEVICE_TEST,
	};
	struct scratch_vcpu sc;
	uint64_t writable[IDREG_COUNT];
	struct vm scratch = { .kvm_fd = vm->kvm_fd };
	struct vcpu vcpu = { .vm = &scratch, .id = 0 };
	bool init_failed;
	int ret;

	ret = arm64__scratch_vcpu(vm->kvm_fd, KVM_VM_TYPE_ARM_IPA_SIZE(c->ipa_bits),
				  c->arch.features, &sc, &init_failed);
	if (ret) {
		if (!init_failed)
			return -VMM_ERR_INTERNAL;
		snprintf(err, errlen, "this host cannot give the saved vcpu features 0x%x: %s",
			 c->arch.features[0], strerror(-ret));
		return -VMM_ERR_HOST;
	}
	if (ioctl(sc.vm_fd, KVM_CREATE_DEVICE, &gic) < 0) {
		snprintf(err, errlen, "saved with a GICv3; this host cannot create one");
		ret = -VMM_ERR_HOST;
	} else {
		scratch.vm_fd = sc.vm_fd;
		scratch.arch.sve_set = c->arch.sve_set;
		vcpu.fd = sc.vcpu_fd;
		caps__writable_masks(vm->kvm_fd, sc.vm_fd, writable);
		ret = c->arch.sve_set && sve__configure_vcpu(&vcpu, c->arch.sve_set) ?
		      -VMM_ERR_INTERNAL : check_id_regs(vcpu.fd, &st->vcpus[0], writable, err, errlen);
		/* After the ID registers: which registers KVM lists can depend on them. */
		if (!ret)
			ret = check_reg_list(vcpu.fd, &st->vcpus[0], err, errlen);
	}
	arm64__scratch_close(&sc);
	return ret;
}

int arch__restore_check(struct vm *vm, const struct vm_saved_config *c,
			const struct arch_saved_state *st, char *err, size_t errlen)
{
	int ret = check_limits(vm, c, err, errlen);

	if (!ret)
		ret = sve__probe_host(vm->kvm_fd, &vm->arch.host_sve);
	if (!ret)
		ret = check_sve(vm->arch.host_sve, c->arch.sve_set, err, errlen);
	if (!ret)
		ret = check_host_regs(&st->vcpus[0], err, errlen);
	if (!ret)
		ret = check_on_scratch(vm, c, st, err, errlen);
	return ret;
}
