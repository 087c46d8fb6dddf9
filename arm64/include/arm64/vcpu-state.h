#ifndef VMM_ARM64_VCPU_STATE_H
#define VMM_ARM64_VCPU_STATE_H

/*
 * A vcpu's saved state (the SNAP_SEC_VCPU section, docs/snapshot.md):
 * every register KVM_GET_REG_LIST returns, each at its own size (Z slices
 * at 2048 bits, P and FFR at 256), plus the init features, the VL set and
 * the mp_state.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vmm/compiler.h"

#include "arm64/sve.h"

struct vcpu;
struct pbuf;

/*
 * The section's layout (SNAP_VER_VCPU, written in the payload too):
 * version 2 adds CNTFRQ_EL0 and DCZID_EL0 after the registers. Version 1
 * is still read (has_host_regs false).
 */
#define VCPU_STATE_VERSION	2
#define VCPU_STATE_OLDEST	1
#define VCPU_STATE_MAX_REGS	4096
#define VCPU_MAX_REG_BYTES	256	/* 2048 bits: an SVE Z slice */

struct saved_reg {
	uint64_t id;
	uint32_t len;
	const uint8_t *value;		/* points into the section payload */
};

struct vcpu_state {
	uint32_t vcpu_id;
	uint32_t features[7];		/* KVM_ARM_VCPU_INIT features, POWER_OFF excluded */
	uint32_t mp_state;
	vq_mask_t vls;			/* from KVM_REG_ARM64_SVE_VLS; 0 without SVE */
	unsigned nr_regs;
	struct saved_reg *regs;		/* malloc'd */
	/*
	 * What the guest read from registers KVM passes through, so a
	 * restore can refuse a host where they differ (version 2).
	 */
	bool has_host_regs;
	uint64_t cntfrq;		/* CNTFRQ_EL0: the counter's frequency, Hz */
	uint64_t dczid;			/* DCZID_EL0: the DC ZVA block size */
};

/*
 * Saves the vcpu into b. *nr_sve_regs (may be NULL) gets how many SVE
 * register slices were read, one ONE_REG ioctl each.
 */
int vcpu_state__save(struct vcpu *vcpu, struct pbuf *b, unsigned *nr_sve_regs)
	__must_check;
/* Parses a vcpu section. Returns 0 or -2 with the field named in err. */
int vcpu_state__parse(const uint8_t *data, size_t len, struct vcpu_state *st, char *err,
		      size_t errlen) __must_check;
void vcpu_state__free(struct vcpu_state *st);
/* Writes every register but VLS, then mp_state (restore steps 4). */
int vcpu_state__restore(struct vcpu *vcpu, const struct vcpu_state *st)
	__must_check;
/* "x0", "pc", "Z3 slice 0", "P7", "FFR", "MIDR_EL1", "sysreg 3.0.0.4.0", ... */
void vcpu_state__reg_name(uint64_t id, char *buf, size_t len);
/* The saved virtual counter; -1 when the state has none. */
int vcpu_state__counter(const struct vcpu_state *st, uint64_t *counter);
/* ID and other registers KVM will not let userspace change freely. */
int vcpu_state__is_invariant(uint64_t id);
/* A KVM_REG_ARM_DEMUX CCSIDR register (one per CSSELR value). */
bool vcpu_state__is_ccsidr(uint64_t id);

#ifdef __aarch64__
/*
 * CNTFRQ_EL0 and DCZID_EL0 as this process reads them: KVM traps neither,
 * so a guest on this host reads the same values.
 */
static inline uint64_t arm64__own_cntfrq(void)
{
	uint64_t v;

	__asm__ volatile("mrs %0, cntfrq_el0" : "=r"(v));
	return v;
}

static inline uint64_t arm64__own_dczid(void)
{
	uint64_t v;

	__asm__ volatile("mrs %0, dczid_el0" : "=r"(v));
	return v;
}
#else
/* Native builds (the unit tests and fuzzers) have neither register: 0. */
static inline uint64_t arm64__own_cntfrq(void) { return 0; }
static inline uint64_t arm64__own_dczid(void) { return 0; }
#endif

#endif
