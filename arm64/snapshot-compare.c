/*
 * Comparing a snapshot's registers with this host's, for `restore --check`
 * (docs/snapshot.md, "Restoring"). No KVM here: snapshot-check.c reads the
 * host's side from a scratch vcpu.
 */
#include <assert.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arm64/snapshot-compare.h"
#include "vmm/util.h"

/*
 * KVM_REG_ARM_FW_FEAT_BMAP_REG(0..3): KVM_REG_ARM64 | KVM_REG_SIZE_U64 |
 * KVM_REG_ARM_FW_FEAT_BMAP | n, spelled out so the unit tests build on
 * any host.
 */
#define FW_FEAT_BMAP(n)	(0x6030000000160000ull | (n))
#ifdef KVM_REG_ARM_STD_BMAP
static_assert(FW_FEAT_BMAP(0) == KVM_REG_ARM_STD_BMAP, "KVM_REG_ARM_STD_BMAP");
static_assert(FW_FEAT_BMAP(2) == KVM_REG_ARM_VENDOR_HYP_BMAP, "KVM_REG_ARM_VENDOR_HYP_BMAP");
#endif

/*
 * Registers a snapshot may lack, and why their reset value is right
 * (docs/snapshot.md keeps the same list): the firmware feature bitmaps
 * (standard, standard hypervisor, vendor hypervisor services). A kernel
 * without them offered the guest every service its KVM had, and their
 * reset value offers every service this KVM has: the guest found its
 * services when it booted and never sees the others.
 */
static const uint64_t allowed[] = {
	FW_FEAT_BMAP(0), FW_FEAT_BMAP(1), FW_FEAT_BMAP(2), FW_FEAT_BMAP(3),
};

bool snapcmp__allowed(uint64_t id)
{
	for (size_t i = 0; i < ARRAY_SIZE(allowed); i++)
		if (allowed[i] == id)
			return true;
	return false;
}

static int cmp_id(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static uint64_t *sorted_copy(const uint64_t *ids, unsigned n)
{
	uint64_t *copy = malloc((n ? n : 1) * sizeof(*copy));

	if (copy) {
		memcpy(copy, ids, n * sizeof(*copy));
		qsort(copy, n, sizeof(*copy), cmp_id);
	}
	return copy;
}

/* The first id of a (in its order) that is not in sorted b, and how many are not. */
static unsigned not_in(const uint64_t *a, unsigned na, const uint64_t *b, unsigned nb,
		       bool skip_allowed, uint64_t *first)
{
	unsigned count = 0;

	for (unsigned i = 0; i < na; i++) {
		if (bsearch(&a[i], b, nb, sizeof(*b), cmp_id) ||
		    (skip_allowed && snapcmp__allowed(a[i])))
			continue;
		if (!count++)
			*first = a[i];
	}
	return count;
}

static void name_of(uint64_t id, reg_namer_fn namer, char *buf, size_t len)
{
	char name[48] = "register";

	if (namer)
		namer(id, name, sizeof(name));
	snprintf(buf, len, "%s (0x%llx)", name, (unsigned long long)id);
}

static void more(char *err, size_t errlen, unsigned count)
{
	size_t used = strlen(err);

	if (count > 1 && used < errlen)
		snprintf(err + used, errlen - used, " (and %u more)", count - 1);
}

int snapcmp__reg_lists(const uint64_t *saved, unsigned nr_saved, const uint64_t *host,
		       unsigned nr_host, reg_namer_fn namer, char *err, size_t errlen)
{
	uint64_t *s = sorted_copy(saved, nr_saved), *h = sorted_copy(host, nr_host), id = 0;
	char name[80];
	unsigned count;
	int ret = 0;

	if (!s || !h) {
		ret = -VMM_ERR_INTERNAL;
	} else if ((count = not_in(saved, nr_saved, h, nr_host, false, &id))) {
		name_of(id, namer, name, sizeof(name));
		snprintf(err, errlen, "saved register %s is not on this host's register list", name);
		more(err, errlen, count);
		ret = -VMM_ERR_HOST;
	} else if ((count = not_in(host, nr_host, s, nr_saved, true, &id))) {
		name_of(id, namer, name, sizeof(name));
		snprintf(err, errlen, "this host has register %s, which the snapshot lacks", name);
		more(err, errlen, count);
		ret = -VMM_ERR_HOST;
	}
	free(s);
	free(h);
	return ret;
}

int snapcmp__host_regs(uint64_t saved_cntfrq, uint64_t saved_dczid, uint64_t cntfrq,
		       uint64_t dczid, char *err, size_t errlen)
{
	/* KVM does not virtualise either: the guest reads this host's. */
	if (saved_cntfrq != cntfrq) {
		snprintf(err, errlen, "saved CNTFRQ_EL0 %llu Hz, this host %llu Hz: the guest's "
			 "timers would run at another rate", (unsigned long long)saved_cntfrq,
			 (unsigned long long)cntfrq);
		return -VMM_ERR_HOST;
	}
	if (saved_dczid != dczid) {
		snprintf(err, errlen, "saved DCZID_EL0 0x%llx, this host 0x%llx: KVM cannot change "
			 "the DC ZVA block size", (unsigned long long)saved_dczid,
			 (unsigned long long)dczid);
		return -VMM_ERR_HOST;
	}
	return 0;
}
