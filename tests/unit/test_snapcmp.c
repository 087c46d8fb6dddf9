/*
 * Unit tests of the register comparisons of `restore --check`
 * (arm64/snapshot-compare.c): the register lists, CNTFRQ_EL0, DCZID_EL0.
 * Register ids are KVM's arm64 encodings, written out by hand.
 */
#include "unit.h"

#include <stdio.h>
#include <string.h>

#include "arm64/snapshot-compare.h"
#include "vmm/util.h"

#define X0		0x6030000000100000ull	/* KVM_REG_ARM_CORE_REG(regs.regs[0]) */
#define X1		0x6030000000100002ull
#define MIDR		0x603000000013c000ull	/* sysreg 3.0.0.0.0 */
#define TCR2		0x603000000013c103ull	/* sysreg 3.0.2.0.3, TCR2_EL1 */
#define STD_BMAP	0x6030000000160000ull	/* KVM_REG_ARM_STD_BMAP */
#define VENDOR_BMAP	0x6030000000160002ull	/* KVM_REG_ARM_VENDOR_HYP_BMAP */

static void namer(uint64_t id, char *buf, size_t len)
{
	snprintf(buf, len, id == TCR2 ? "TCR2_EL1" : id == MIDR ? "MIDR_EL1" : "reg");
}

static void test_same_lists(void **state)
{
	const uint64_t saved[] = { X0, X1, MIDR }, host[] = { MIDR, X1, X0 };
	char err[256] = "";

	assert_int_equal(snapcmp__reg_lists(saved, 3, host, 3, namer, err, sizeof(err)), 0);
	assert_string_equal(err, "");
}

/* A saved register this host does not list: restore could not write it. */
static void test_saved_missing(void **state)
{
	const uint64_t saved[] = { X0, TCR2, X1, MIDR }, host[] = { X0, X1, MIDR };
	char err[256];

	assert_int_equal(snapcmp__reg_lists(saved, 4, host, 3, namer, err, sizeof(err)),
			 -VMM_ERR_HOST);
	assert_string_equal(err, "saved register TCR2_EL1 (0x603000000013c103) is not on this "
			    "host's register list");
}

/* A register only this host has would keep its reset value: refused, counted. */
static void test_host_extra(void **state)
{
	const uint64_t saved[] = { X0 }, host[] = { X0, TCR2, MIDR };
	char err[256];

	assert_int_equal(snapcmp__reg_lists(saved, 1, host, 3, namer, err, sizeof(err)),
			 -VMM_ERR_HOST);
	assert_string_equal(err, "this host has register TCR2_EL1 (0x603000000013c103), which "
			    "the snapshot lacks (and 1 more)");
}

/* The firmware feature bitmaps are on the allowlist; nothing else is. */
static void test_allowlist(void **state)
{
	const uint64_t saved[] = { X0 }, host[] = { STD_BMAP, X0, VENDOR_BMAP };
	const uint64_t host2[] = { X0, STD_BMAP };
	char err[256] = "";

	assert_int_equal(snapcmp__reg_lists(saved, 1, host, 3, namer, err, sizeof(err)), 0);
	assert_true(snapcmp__allowed(STD_BMAP));
	assert_false(snapcmp__allowed(MIDR));
	/* The other way round it is a saved register this host lacks. */
	assert_int_equal(snapcmp__reg_lists(host2, 2, saved, 1, NULL, err, sizeof(err)),
			 -VMM_ERR_HOST);
	assert_string_equal(err, "saved register register (0x6030000000160000) is not on this "
			    "host's register list");
}

static void test_cntfrq(void **state)
{
	char err[256];

	assert_int_equal(snapcmp__host_regs(62500000, 4, 62500000, 4, err, sizeof(err)), 0);
	assert_int_equal(snapcmp__host_regs(62500000, 4, 1000000000, 4, err, sizeof(err)),
			 -VMM_ERR_HOST);
	assert_string_equal(err, "saved CNTFRQ_EL0 62500000 Hz, this host 1000000000 Hz: the "
			    "guest's timers would run at another rate");
}

static void test_dczid(void **state)
{
	char err[256];

	assert_int_equal(snapcmp__host_regs(100, 4, 100, 5, err, sizeof(err)), -VMM_ERR_HOST);
	assert_string_equal(err, "saved DCZID_EL0 0x4, this host 0x5: KVM cannot change the "
			    "DC ZVA block size");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_same_lists),
		cmocka_unit_test(test_saved_missing),
		cmocka_unit_test(test_host_extra),
		cmocka_unit_test(test_allowlist),
		cmocka_unit_test(test_cntfrq),
		cmocka_unit_test(test_dczid),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
