/*
 * `vmm run`'s arm64 options: the SVE vector lengths, a PMU, pointer
 * authentication. They follow the generic ones in `vmm run --help`.
 */
#include <stdio.h>
#include <string.h>

#include "arm64/layout.h"
#include "arm64/sve.h"
#include "vmm/config.h"
#include "vmm/util.h"

_Static_assert(ARCH_IPA_BITS_MIN == VMM_MIN_IPA_BITS, "--ipa-bits' least is KVM's least");
_Static_assert(ARCH_MAX_VCPUS == VMM_MAX_VCPUS, "--cpus' most is what the GIC map holds");
_Static_assert(ARCH_RAM_MIB_MAX == (1ULL << (52 - 20)) - (RAM_BASE >> 20),
	       "--mem's most ends RAM at 2^52");

enum {
	OPT_SVE_VLS = CMD_OPT_ARCH, OPT_SVE_MAX_VL, OPT_PMU, OPT_NO_PTRAUTH, OPT_CPU_PLAN,
};

const struct cmd_option arch__run_options[] = {
	{ "sve-vls", 0, "LIST", "SVE vector lengths in bits, e.g. 128,256; 'max' is the\n"
	  "host's whole set (the default), 'off' gives no SVE", OPT_SVE_VLS, false },
	{ "sve-max-vl", 0, "BITS", "the host's SVE lengths up to BITS", OPT_SVE_MAX_VL, false },
	{ "pmu", 0, NULL, "give the guest a PMUv3", OPT_PMU, false },
	{ "no-ptrauth", 0, NULL, "no pointer authentication (on when the host has it)",
	  OPT_NO_PTRAUTH, false },
	{ "cpu-plan", 0, "PLAN", "the CPU of a `vmm caps --plan --json` file: its ID\n"
	  "registers, VL set, PMU and pointer auth (exit 3 if this host cannot)",
	  OPT_CPU_PLAN, false },
	{ NULL },
};

void arch__config_defaults(struct arch_config *arch)
{
	memset(arch, 0, sizeof(*arch));
	arch->sve.kind = SVE_REQ_DEFAULT;
}

int arch__run_option(struct arch_config *arch, int id, const char *arg, char *err,
		     size_t errlen)
{
	switch (id) {
	case OPT_SVE_VLS:
	case OPT_SVE_MAX_VL:
		/* Any earlier --sve-vls or --sve-max-vl left a kind other than the default. */
		if (arch->sve.kind != SVE_REQ_DEFAULT) {
			set_err(err, errlen, "give --sve-vls or --sve-max-vl once, not both");
			return -VMM_ERR_INPUT;
		}
		if (id == OPT_SVE_VLS)
			return sve__parse_vls(arg, &arch->sve, err, errlen);
		return sve__parse_max_vl(arg, &arch->sve, err, errlen);
	case OPT_PMU:
		arch->pmu = true;
		return 0;
	case OPT_NO_PTRAUTH:
		arch->no_ptrauth = true;
		return 0;
	case OPT_CPU_PLAN:
		arch->cpu_plan = arg;
		return 0;
	}
	set_err(err, errlen, "run: option id %#x is not an arm64 one", id);
	return -VMM_ERR_INTERNAL;
}

int arch__config_vl_upto(struct arch_config *arch, unsigned bits, char *err, size_t errlen)
{
	char text[16];

	if (arch->sve.kind != SVE_REQ_DEFAULT) {
		set_err(err, errlen, "--each-vl chooses the SVE lengths: give it without --sve-vls or --sve-max-vl");
		return -VMM_ERR_INPUT;
	}
	snprintf(text, sizeof(text), "%u", bits);
	return sve__parse_max_vl(text, &arch->sve, err, errlen);
}
