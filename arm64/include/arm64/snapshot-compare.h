#ifndef VMM_ARM64_SNAPSHOT_COMPARE_H
#define VMM_ARM64_SNAPSHOT_COMPARE_H

/*
 * The parts of `restore --check` that compare what a snapshot saved with
 * what this host has, without KVM (arm64/snapshot-compare.c), so the unit
 * tests run them natively: the register lists, CNTFRQ_EL0 and DCZID_EL0.
 * Each returns 0, or -3 (-VMM_ERR_HOST) with one line in err naming the
 * register and both values.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vmm/compiler.h"

/* Names a register id for a message ("ID_AA64PFR0_EL1", "x3", ...). */
typedef void (*reg_namer_fn)(uint64_t id, char *buf, size_t len);

/*
 * Every saved register must be on this host's list (host, from
 * KVM_GET_REG_LIST of a scratch vcpu built like the saved ones); a
 * register only this host has is refused unless snapcmp__allowed() (it
 * would keep its reset value). namer may be NULL (ids only).
 */
int snapcmp__reg_lists(const uint64_t *saved, unsigned nr_saved, const uint64_t *host,
		       unsigned nr_host, reg_namer_fn namer, char *err, size_t errlen)
	__must_check;
/* Whether a register this host has may be missing from a snapshot (docs/snapshot.md). */
bool snapcmp__allowed(uint64_t id);
/* The saved CNTFRQ_EL0 and DCZID_EL0 against this host's. */
int snapcmp__host_regs(uint64_t saved_cntfrq, uint64_t saved_dczid, uint64_t cntfrq,
		       uint64_t dczid, char *err, size_t errlen) __must_check;

#endif
