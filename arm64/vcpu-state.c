/* Saving and restoring a vcpu's registers through KVM's register list. */
#include <errno.h>
#include <linux/kvm.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>

#include "arm64/arm64.h"
#include "vmm/persist.h"
#include "arm64/vcpu-state.h"
#include "vmm/vm.h"

#define POWER_OFF_BIT (1u << KVM_ARM_VCPU_POWER_OFF)

static uint32_t reg_size(uint64_t id)
{
	return 1u << ((id & KVM_REG_SIZE_MASK) >> KVM_REG_SIZE_SHIFT);
}

static bool is_sve(uint64_t id)
{
	return (id & KVM_REG_ARM_COPROC_MASK) == KVM_REG_ARM64_SVE;
}

static struct kvm_reg_list *get_reg_list(struct vcpu *vcpu)
{
	struct kvm_reg_list probe = { .n = 0 }, *list;

	/* The first call fails with E2BIG and says how many there are. */
	if (ioctl(vcpu->fd, KVM_GET_REG_LIST, &probe) == 0 || errno != E2BIG)
		return NULL;
	list = calloc(1, sizeof(*list) + probe.n * sizeof(uint64_t));
	if (!list)
		return NULL;
	list->n = probe.n;
	if (ioctl(vcpu->fd, KVM_GET_REG_LIST, list) < 0) {
		free(list);
		return NULL;
	}
	return list;
}

static void save_header(struct vcpu *vcpu, struct pbuf *b, uint32_t mp_state)
{
	pbuf__put_u32(b, VCPU_STATE_VERSION);
	pbuf__put_u32(b, vcpu->id);
	for (int i = 0; i < 7; i++)
		pbuf__put_u32(b, vcpu->vm->arch.vcpu_features[i]);
	pbuf__put_u32(b, mp_state);
	pbuf__put_u32(b, vcpu->vm->arch.sve_set);
}

int vcpu_state__save(struct vcpu *vcpu, struct pbuf *b, unsigned *nr_sve_regs)
{
	struct kvm_mp_state mp;
	struct kvm_reg_list *list;
	uint8_t value[VCPU_MAX_REG_BYTES];
	unsigned sve = 0;
	char name[48];
	int err = 0;

	if (ioctl(vcpu->fd, KVM_GET_MP_STATE, &mp) < 0) {
		pr_err("vcpu %u: KVM_GET_MP_STATE: %s", vcpu->id, strerror(errno));
		return -VMM_ERR_INTERNAL;
	}
	list = get_reg_list(vcpu);
	if (!list) {
		pr_err("vcpu %u: KVM_GET_REG_LIST: %s", vcpu->id, strerror(errno));
		return -VMM_ERR_INTERNAL;
	}
	save_header(vcpu, b, mp.mp_state);
	pbuf__put_u32(b, (uint32_t)list->n);
	for (uint64_t i = 0; i < list->n && !err; i++) {
		uint64_t id = list->reg[i];
		uint32_t size = reg_size(id);

		if (size > sizeof(value) || (err = arm64__get_reg(vcpu->fd, id, value))) {
			vcpu_state__reg_name(id, name, sizeof(name));
			pr_err("vcpu %u: cannot read %s (0x%llx): %s", vcpu->id, name,
			       (unsigned long long)id, strerror(err ? -err : E2BIG));
			err = -VMM_ERR_INTERNAL;
			break;
		}
		/* A paused VM's guest time is the value it had when paused. */
		if (id == KVM_REG_ARM_TIMER_CNT && vcpu->vm->arch.time_frozen)
			memcpy(value, &vcpu->vm->arch.frozen_counter, sizeof(uint64_t));
		sve += is_sve(id) && id != KVM_REG_ARM64_SVE_VLS;
		pbuf__put_u64(b, id);
		pbuf__put_u32(b, size);
		pbuf__put_bytes(b, value, size);
	}
	free(list);
	pbuf__put_u64(b, arm64__own_cntfrq());
	pbuf__put_u64(b, arm64__own_dczid());
	if (nr_sve_regs)
		*nr_sve_regs = sve;
	return err;
}

static int parse_fail(char *err, size_t errlen, const char *what, uint32_t vcpu, unsigned i)
{
	snprintf(err, errlen, "vcpu %u: %s (register %u)", vcpu, what, i);
	return -VMM_ERR_INPUT;
}

static int parse_regs(struct preader *r, struct vcpu_state *st, char *err, size_t errlen)
{
	uint32_t n = preader__get_u32(r);

	if (!preader__ok(r) || n > VCPU_STATE_MAX_REGS)
		return parse_fail(err, errlen, "bad register count", st->vcpu_id, n);
	st->regs = calloc(n ? n : 1, sizeof(*st->regs));
	if (!st->regs)
		return -VMM_ERR_INTERNAL;
	for (unsigned i = 0; i < n; i++) {
		struct saved_reg *reg = &st->regs[i];

		reg->id = preader__get_u64(r);
		reg->len = preader__get_u32(r);
		if (!preader__ok(r) || reg->len != reg_size(reg->id) ||
		    reg->len > VCPU_MAX_REG_BYTES)
			return parse_fail(err, errlen, "bad register id or size", st->vcpu_id, i);
		reg->value = preader__take(r, reg->len);
		if (!reg->value)
			return parse_fail(err, errlen, "truncated register value", st->vcpu_id, i);
		st->nr_regs = i + 1;
	}
	return 0;
}

int vcpu_state__parse(const uint8_t *data, size_t len, struct vcpu_state *st, char *err,
		      size_t errlen)
{
	struct preader r;
	uint32_t version, vls;
	int ret;

	memset(st, 0, sizeof(*st));
	preader__init(&r, data, len);
	version = preader__get_u32(&r);
	st->vcpu_id = preader__get_u32(&r);
	for (int i = 0; i < 7; i++)
		st->features[i] = preader__get_u32(&r);
	st->mp_state = preader__get_u32(&r);
	vls = preader__get_u32(&r);
	if (!preader__ok(&r) || version < VCPU_STATE_OLDEST || version > VCPU_STATE_VERSION) {
		snprintf(err, errlen, "vcpu: %s", preader__ok(&r) ? "unknown layout version" :
			 "truncated header");
		return -VMM_ERR_INPUT;
	}
	if (vls > 0xffff || (st->features[0] & POWER_OFF_BIT)) {
		snprintf(err, errlen, "vcpu %u: bad VL set or features", st->vcpu_id);
		return -VMM_ERR_INPUT;
	}
	st->vls = (vq_mask_t)vls;
	ret = parse_regs(&r, st, err, errlen);
	if (!ret && version >= 2) {
		st->cntfrq = preader__get_u64(&r);
		st->dczid = preader__get_u64(&r);
		st->has_host_regs = preader__ok(&r);
		if (!st->has_host_regs) {
			snprintf(err, errlen, "vcpu %u: truncated CNTFRQ_EL0 or DCZID_EL0",
				 st->vcpu_id);
			ret = -VMM_ERR_INPUT;
		}
	}
	if (!ret && !preader__done(&r)) {
		snprintf(err, errlen, "vcpu %u: bytes after the last register", st->vcpu_id);
		ret = -VMM_ERR_INPUT;
	}
	if (ret)
		vcpu_state__free(st);
	return ret;
}

void vcpu_state__free(struct vcpu_state *st)
{
	free(st->regs);
	st->regs = NULL;
	st->nr_regs = 0;
}

/*
 * The ID space's registers (the CPU the guest saw): where this host's
 * differ, KVM takes the saved values only before the vcpu first runs, and
 * what it allows in other registers can follow them, so they go first and
 * are read back.
 */
static bool is_id_reg(const struct saved_reg *reg)
{
	return (reg->id & KVM_REG_ARM_COPROC_MASK) == KVM_REG_ARM64_SYSREG && reg->len == 8 &&
	       vcpu_state__is_invariant(reg->id);
}

static int restore_reg(struct vcpu *vcpu, const struct saved_reg *reg)
{
	uint8_t value[VCPU_MAX_REG_BYTES];
	uint64_t back = 0, saved = 0;
	char name[48];
	int err;

	memcpy(value, reg->value, reg->len);
	err = arm64__set_reg(vcpu->fd, reg->id, value);
	vcpu_state__reg_name(reg->id, name, sizeof(name));
	if (err) {
		pr_err("vcpu %u: cannot restore %s (0x%llx): %s", vcpu->id, name,
		       (unsigned long long)reg->id, strerror(-err));
		return err == -EINVAL ? -VMM_ERR_HOST : -VMM_ERR_INTERNAL;
	}
	if (!is_id_reg(reg))
		return 0;
	memcpy(&saved, reg->value, 8);
	err = arm64__get_reg(vcpu->fd, reg->id, &back);
	if (err || back != saved) {
		pr_err("vcpu %u: %s reads 0x%llx after restoring 0x%llx", vcpu->id, name,
		       (unsigned long long)back, (unsigned long long)saved);
		return -VMM_ERR_HOST;
	}
	return 0;
}

int vcpu_state__restore(struct vcpu *vcpu, const struct vcpu_state *st)
{
	struct kvm_mp_state mp = { .mp_state = st->mp_state };

	/* Two passes: the ID registers, then the rest. */
	for (unsigned pass = 0; pass < 2; pass++) {
		for (unsigned i = 0; i < st->nr_regs; i++) {
			const struct saved_reg *reg = &st->regs[i];
			int err;

			/* VLS was written before FINALIZE; KVM refuses it after (EPERM). */
			if (reg->id == KVM_REG_ARM64_SVE_VLS || is_id_reg(reg) != (pass == 0))
				continue;
			err = restore_reg(vcpu, reg);
			if (err)
				return err;
		}
	}
	if (ioctl(vcpu->fd, KVM_SET_MP_STATE, &mp) < 0) {
		pr_err("vcpu %u: KVM_SET_MP_STATE %u: %s", vcpu->id, st->mp_state,
		       strerror(errno));
		return -VMM_ERR_INTERNAL;
	}
	return 0;
}

/* ---- names of registers, for messages ---- */

#define SYSREG_FIELD(id, name) \
	(((id) & KVM_REG_ARM64_SYSREG_##name##_MASK) >> KVM_REG_ARM64_SYSREG_##name##_SHIFT)
#define SYSREG_KEY(op0, op1, crn, crm, op2) \
	(((op0) << 14) | ((op1) << 11) | ((crn) << 7) | ((crm) << 3) | (op2))

static const struct {
	unsigned key;
	const char *name;
} sysreg_names[] = {
	{ SYSREG_KEY(3, 0, 0, 0, 0), "MIDR_EL1" },
	{ SYSREG_KEY(3, 0, 0, 0, 5), "MPIDR_EL1" },
	{ SYSREG_KEY(3, 0, 0, 0, 6), "REVIDR_EL1" },
	{ SYSREG_KEY(3, 0, 0, 4, 0), "ID_AA64PFR0_EL1" },
	{ SYSREG_KEY(3, 0, 0, 4, 1), "ID_AA64PFR1_EL1" },
	{ SYSREG_KEY(3, 0, 0, 4, 4), "ID_AA64ZFR0_EL1" },
	{ SYSREG_KEY(3, 0, 0, 4, 5), "ID_AA64SMFR0_EL1" },
	{ SYSREG_KEY(3, 0, 0, 5, 0), "ID_AA64DFR0_EL1" },
	{ SYSREG_KEY(3, 0, 0, 5, 1), "ID_AA64DFR1_EL1" },
	{ SYSREG_KEY(3, 0, 0, 6, 0), "ID_AA64ISAR0_EL1" },
	{ SYSREG_KEY(3, 0, 0, 6, 1), "ID_AA64ISAR1_EL1" },
	{ SYSREG_KEY(3, 0, 0, 6, 2), "ID_AA64ISAR2_EL1" },
	{ SYSREG_KEY(3, 0, 0, 7, 0), "ID_AA64MMFR0_EL1" },
	{ SYSREG_KEY(3, 0, 0, 7, 1), "ID_AA64MMFR1_EL1" },
	{ SYSREG_KEY(3, 0, 0, 7, 2), "ID_AA64MMFR2_EL1" },
	{ SYSREG_KEY(3, 0, 1, 2, 0), "ZCR_EL1" },
	{ SYSREG_KEY(3, 1, 0, 0, 1), "CLIDR_EL1" },
	{ SYSREG_KEY(3, 1, 0, 0, 7), "AIDR_EL1" },
	{ SYSREG_KEY(3, 3, 0, 0, 1), "CTR_EL0" },
	{ SYSREG_KEY(3, 3, 0, 0, 7), "DCZID_EL0" },
	{ SYSREG_KEY(3, 3, 14, 3, 1), "CNTV_CTL_EL0" },
	{ SYSREG_KEY(3, 3, 14, 3, 2), "CNTVCT_EL0" },
	{ SYSREG_KEY(3, 3, 14, 0, 2), "CNTV_CVAL_EL0" },
};

static void sysreg_name(uint64_t id, char *buf, size_t len)
{
	unsigned key = SYSREG_KEY(SYSREG_FIELD(id, OP0), SYSREG_FIELD(id, OP1),
				  SYSREG_FIELD(id, CRN), SYSREG_FIELD(id, CRM),
				  SYSREG_FIELD(id, OP2));

	for (size_t i = 0; i < ARRAY_SIZE(sysreg_names); i++) {
		if (sysreg_names[i].key == key) {
			snprintf(buf, len, "%s", sysreg_names[i].name);
			return;
		}
	}
	snprintf(buf, len, "S%u_%u_C%u_C%u_%u", (unsigned)SYSREG_FIELD(id, OP0),
		 (unsigned)SYSREG_FIELD(id, OP1), (unsigned)SYSREG_FIELD(id, CRN),
		 (unsigned)SYSREG_FIELD(id, CRM), (unsigned)SYSREG_FIELD(id, OP2));
}

static void core_name(uint64_t id, char *buf, size_t len)
{
	uint64_t off = id & 0xffff;

	if (off < KVM_REG_ARM_CORE_REG(regs.sp) && off % 2 == 0)
		snprintf(buf, len, "x%u", (unsigned)(off / 2));
	else if (off == KVM_REG_ARM_CORE_REG(regs.sp))
		snprintf(buf, len, "sp");
	else if (off == KVM_REG_ARM_CORE_REG(regs.pc))
		snprintf(buf, len, "pc");
	else if (off == KVM_REG_ARM_CORE_REG(regs.pstate))
		snprintf(buf, len, "pstate");
	else
		snprintf(buf, len, "core register +0x%llx", (unsigned long long)off * 4);
}

static void sve_name(uint64_t id, char *buf, size_t len)
{
	unsigned sub = id & 0xffff, n = (sub >> 5) & 0x1f, slice = sub & 0x1f;

	if (id == KVM_REG_ARM64_SVE_VLS)
		snprintf(buf, len, "KVM_REG_ARM64_SVE_VLS");
	else if ((sub & 0xfc00) == KVM_REG_ARM64_SVE_ZREG_BASE)
		snprintf(buf, len, "Z%u slice %u", n, slice);
	else if ((sub & 0xfe00) == KVM_REG_ARM64_SVE_PREG_BASE)
		snprintf(buf, len, "P%u slice %u", n, slice);
	else
		snprintf(buf, len, "FFR slice %u", slice);
}

void vcpu_state__reg_name(uint64_t id, char *buf, size_t len)
{
	switch (id & KVM_REG_ARM_COPROC_MASK) {
	case KVM_REG_ARM_CORE: core_name(id, buf, len); break;
	case KVM_REG_ARM64_SYSREG: sysreg_name(id, buf, len); break;
	case KVM_REG_ARM64_SVE: sve_name(id, buf, len); break;
	case KVM_REG_ARM_FW: snprintf(buf, len, "firmware register %u", (unsigned)(id & 0xffff)); break;
	case KVM_REG_ARM_FW_FEAT_BMAP:
		snprintf(buf, len, "firmware feature bitmap %u", (unsigned)(id & 0xffff));
		break;
	case KVM_REG_ARM_DEMUX:
		if (vcpu_state__is_ccsidr(id)) {
			snprintf(buf, len, "CCSIDR_EL1 (CSSELR 0x%x)",
				 (unsigned)(id & KVM_REG_ARM_DEMUX_VAL_MASK));
			break;
		}
		/* fall through */
	default: snprintf(buf, len, "register 0x%llx", (unsigned long long)id); break;
	}
}

/*
 * The ID space (op0 3, CRn 0) holds what describes the CPU and that KVM
 * lets userspace set only to the host's values: MIDR, REVIDR, the
 * ID_AA64* registers, CLIDR, AIDR, CTR, DCZID. MPIDR (per vcpu) and CSSELR
 * (op1 2, plain state) are ordinary. Firmware registers carry the host's
 * mitigation levels, which a guest must not see rise.
 */
int vcpu_state__is_invariant(uint64_t id)
{
	if ((id & KVM_REG_ARM_COPROC_MASK) == KVM_REG_ARM_FW)
		return 1;
	if ((id & KVM_REG_ARM_COPROC_MASK) != KVM_REG_ARM64_SYSREG)
		return 0;
	if (SYSREG_FIELD(id, OP0) != 3 || SYSREG_FIELD(id, CRN) != 0)
		return 0;
	if (SYSREG_FIELD(id, OP1) == 0 && SYSREG_FIELD(id, CRM) == 0 &&
	    SYSREG_FIELD(id, OP2) == 5)
		return 0;
	return SYSREG_FIELD(id, OP1) != 2;
}

bool vcpu_state__is_ccsidr(uint64_t id)
{
	return (id & KVM_REG_ARM_COPROC_MASK) == KVM_REG_ARM_DEMUX &&
	       (id & KVM_REG_ARM_DEMUX_ID_MASK) == KVM_REG_ARM_DEMUX_ID_CCSIDR;
}

int vcpu_state__counter(const struct vcpu_state *st, uint64_t *counter)
{
	for (unsigned i = 0; i < st->nr_regs; i++) {
		if (st->regs[i].id == KVM_REG_ARM_TIMER_CNT && st->regs[i].len == 8) {
			memcpy(counter, st->regs[i].value, 8);
			return 0;
		}
	}
	return -1;
}
