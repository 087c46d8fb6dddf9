#ifndef VMM_CONFIG_H
#define VMM_CONFIG_H

#include <stdbool.h>
#include <stdint.h>

#include "vmm/cmdline.h"
#include "vmm/seccomp.h"
#include "arch/config-arch.h"

#define VMM_DEFAULT_RAM_MIB	256
#define VMM_DEFAULT_CPUS	1
#define VMM_MAX_DISKS		8
#define VMM_MAX_NETS		4

/* -d PATH[,ro] */
struct disk_config {
	const char *path;
	bool ro;
};

/* -n tap=NAME[,mac=MAC] */
struct net_config {
	const char *tap;
	uint8_t mac[6];		/* a fixed locally administered one unless given */
};

enum console_kind { CONSOLE_SERIAL = 0, CONSOLE_VIRTIO };

/* What the user asked for with `vmm run` (see docs/usage.md). */
struct vm_config {
	const char *kernel;
	const char *initrd;
	const char *cmdline;
	const char *dtb_out;
	const char *name;
	const char *api_socket;		/* the control socket's path, or NULL */
	unsigned nr_cpus;
	uint64_t ram_mib;
	unsigned ipa_bits;		/* 0: the smallest that covers the memory map */
	struct arch_config arch;	/* the arch's own flags (arch/config-arch.h) */
	bool testdev;			/* the test guests' doorbell device */
	bool debug;
	enum console_kind console;	/* where stdin goes: the PL011 or hvc0 */
	bool rng;			/* --rng: a virtio entropy device */
	enum seccomp_mode seccomp;	/* --seccomp: kill (the default), log or off */
	bool ksm;			/* --ksm: guest RAM may be merged by the host's KSM */
	unsigned nr_disks, nr_nets;
	struct disk_config disks[VMM_MAX_DISKS];
	struct net_config nets[VMM_MAX_NETS];
};

/* Result of options__parse_run() besides errors. */
enum { OPTIONS_RUN = 0, OPTIONS_HELP = 1 };

/*
 * Parses the arguments of `vmm run` (argv[0] is "run") with the options of
 * commands__run (vmm/commands.c). Returns OPTIONS_RUN, OPTIONS_HELP, or
 * -VMM_ERR_INPUT with a one-line reason in err.
 */
int options__parse_run(int argc, char **argv, struct vm_config *cfg, char *err,
		       size_t errlen) __must_check;

/*
 * The arch's part of `vmm run`'s command line (arm64/run-options.c). Its
 * options come after the generic ones, with ids from CMD_OPT_ARCH.
 * arch/config-arch.h gives ARCH_IPA_BITS_MIN and _MAX (what --ipa-bits
 * takes) and ARCH_RAM_MIB_MAX (the most --mem takes).
 */
extern const struct cmd_option arch__run_options[];
void arch__config_defaults(struct arch_config *arch);
/* Applies one of arch__run_options; returns 0 or -VMM_ERR_INPUT with a reason in err. */
int arch__run_option(struct arch_config *arch, int id, const char *arg, char *err,
		     size_t errlen) __must_check;

#endif
