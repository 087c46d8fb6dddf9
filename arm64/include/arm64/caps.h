#ifndef VMM_ARM64_CAPS_H
#define VMM_ARM64_CAPS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "arm64/cpuid.h"
#include "arm64/sve.h"
#include "vmm/util.h"

/*
 * `vmm caps`: what this host's KVM can give a guest, for people and, as
 * JSON, for other programs and for `vmm caps --plan` (docs/caps.md).
 */

#define CAPS_FORMAT	1		/* the "format" of the JSON; bumped on incompatible change */
#define CAPS_NAME_MAX	256		/* host and kernel names, the NUL included */
#define CAPS_FILE_MAX	(64 * 1024)	/* the largest JSON file --plan reads (one host: ~16 KiB) */

struct host_caps {
	char host[CAPS_NAME_MAX];	/* the host name (uname nodename) */
	char kernel[CAPS_NAME_MAX];	/* the kernel release (uname release) */
	int kvm_api_version;		/* KVM_GET_API_VERSION */
	unsigned ipa_bits_max;		/* KVM_CAP_ARM_VM_IPA_SIZE, 40 when absent */
	unsigned max_vcpus;		/* KVM_CAP_MAX_VCPUS */
	unsigned recommended_vcpus;	/* KVM_CAP_NR_VCPUS */
	vq_mask_t sve;			/* the host's SVE lengths; 0: no SVE */
	bool gic_v2, gic_v3;		/* the in-kernel GIC models KVM can create */
	bool pmu;			/* KVM_CAP_ARM_PMU_V3 */
	bool ptrauth;			/* KVM_CAP_ARM_PTRAUTH_ADDRESS and _GENERIC */
	bool mte;			/* KVM_CAP_ARM_MTE */
	struct cpu_desc cpu;		/* the "cpu" object: ID registers and more */
};

/* Probes this host through /dev/kvm. Returns 0, or -2/-3/-1 after printing why. */
int caps__probe(struct host_caps *caps) __must_check;
/*
 * KVM_ARM_GET_REG_WRITABLE_MASKS of VM vm_fd into mask (the feature ID
 * range, IDREG_IDX order); false, and mask all zero, on a kernel without it.
 */
bool caps__writable_masks(int kvm_fd, int vm_fd, uint64_t mask[IDREG_COUNT]);

/* The human report and the JSON object of docs/caps.md. */
void caps__print(FILE *f, const struct host_caps *caps);
void caps__print_json(FILE *f, const struct host_caps *caps);
/* node-feature-discovery "local" feature lines, name=value (docs/caps.md). */
void caps__print_labels(FILE *f, const struct host_caps *caps);

/*
 * Reads the JSON `vmm caps --json` wrote. Needs "format", "host" and
 * "sve" {"supported", "vector_lengths"}; checks the other fields when they
 * are there, and ignores keys it does not know. Returns 0, -2 with a
 * one-line reason in err, or -1 (out of memory).
 */
int caps__parse_json(const char *text, size_t len, struct host_caps *caps,
		     char *err, size_t errlen) __must_check;
/* caps__parse_json() of a file; err starts with the file's name. */
int caps__load(const char *path, struct host_caps *caps, char *err, size_t errlen) __must_check;

/*
 * `vmm caps --plan`: loads the files, prints the hosts, the largest SVE
 * set all of them can give and, when the files describe their CPUs, the
 * CPU plan and its conflicts (as the plan file's JSON with json) to out.
 * Returns 0, also when there is no common set or some host cannot run the
 * plan; -2 when a file or accept (NULL, or the --accept list) is bad
 * ("caps --plan FILE: why" in err); -1 for an internal error.
 */
int caps__plan(const char *const *files, unsigned n, FILE *out, bool json,
	       const char *accept, char *err, size_t errlen) __must_check;

struct caps_args {
	bool help;
	bool json;
	bool plan;
	bool labels;
	const char *accept;	/* --accept=LIST, or NULL */
	const char *check_plan;	/* --check-plan=FILE, or NULL */
	unsigned nr_files;
	char **files;		/* the FILE arguments: getopt_long moves them to argv's end */
};

/*
 * Parses `vmm caps ...` (argv[0] is "caps") with commands__caps
 * (vmm/commands.c). Returns 0 or -2 with a reason in err.
 */
int caps__parse_args(int argc, char **argv, struct caps_args *args, char *err, size_t errlen);

#endif
