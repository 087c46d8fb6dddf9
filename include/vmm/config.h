#ifndef VMM_CONFIG_H
#define VMM_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vmm/cmdline.h"
#include "vmm/seccomp.h"
#include "arch/config-arch.h"

#define VMM_DEFAULT_RAM_MIB	256
#define VMM_DEFAULT_CPUS	1
#define VMM_MAX_DISKS		8
#define VMM_MAX_NETS		4

/* The longest --name: a snapshot keeps it in 64 bytes with its NUL. */
#define VMM_NAME_MAX		63

/*
 * What `vmm restore` requires of a disk (vmm/devcfg.c fills it in,
 * vmm/saved-open.c checks it): the snapshot's size, and its device and
 * inode when restoring in the boot that saved it.
 */
struct disk_expect {
	uint64_t size;		/* bytes */
	bool named;		/* given with `restore -d`: any file or block device */
	bool same_file;		/* same boot: st_dev and st_ino must be dev and ino */
	uint64_t dev, ino;
};

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
	enum seccomp_mode seccomp;	/* --seccomp: kill, log, off, or the build's default */
	bool ksm;			/* --ksm: guest RAM may be merged by the host's KSM */
	unsigned nr_disks, nr_nets;
	struct disk_config disks[VMM_MAX_DISKS];
	const struct disk_expect *disk_expect;	/* restore: one per disk; NULL at run */
	struct net_config nets[VMM_MAX_NETS];
	struct exec_vm *exec;		/* vmm exec's VM (vmm/exec.c), or NULL */
};

/*
 * What `vmm exec` adds to a VM: an initramfs built in memory, two more
 * PL011 UARTs whose output goes to fds, the kernel console's output to a
 * function instead of stdout, no console input, a deadline, and the exit
 * doorbell (hw/exec-doorbell.c), whose status the caller reads afterwards.
 */
struct exec_doorbell;
struct exec_vm {
	const uint8_t *initrd;		/* borrowed: stays the caller's */
	size_t initrd_len;
	int uart_fds[2];		/* ttyAMA1, ttyAMA2 write here */
	void (*console_out)(void *ctx, const void *buf, size_t len);
	void *console_ctx;
	double deadline_ms;		/* vmm_uptime_ms() at which the VM ends; 0: none */
	int deadline_status;		/* the run's status then */
	struct exec_doorbell *doorbell;	/* its state, under the device's lock */
	double vm_ready_ms;		/* when the VM was built and loaded (vmm_uptime_ms) */
	double program_start_ms;	/* when the init said the program starts (0: not yet) */
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
 * Makes each disk path of cfg absolute and canonical (symlinks resolved),
 * as snapshots record them; -VMM_ERR_INPUT naming a path that is not there.
 */
int options__canonical_paths(struct vm_config *cfg, char *err, size_t errlen) __must_check;

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
/*
 * vmm exec --each-vl: the VM's vector lengths are the host's up to bits.
 * -VMM_ERR_INPUT with a reason when the user chose the lengths already.
 */
int arch__config_vl_upto(struct arch_config *arch, unsigned bits, char *err,
			 size_t errlen) __must_check;
/*
 * The host's vector lengths in bits, smallest first, at most max of them:
 * returns how many (0: none, e.g. no SVE), or -VMM_ERR_HOST (said why).
 */
int arch__host_vector_lengths(unsigned *bits, unsigned max) __must_check;

#endif
