#ifndef VMM_RESTORE_H
#define VMM_RESTORE_H

/*
 * Rebuilding a saved VM (vmm/restore.c): what `vmm restore` and `vmm
 * receive` (a migrating VM) share, so that the two check and build a VM
 * the same way.
 */
#include <stdbool.h>
#include <stddef.h>

#include "vmm/compiler.h"
#include "vmm/devcfg.h"
#include "vmm/seccomp.h"
#include "vmm/snapchain.h"
#include "vmm/snapshot.h"
#include "vmm/vmstate.h"

struct vm;

/* A saved VM: its parsed sections, and (restore only) its memory file. */
struct saved_vm {
	struct snap_reader snap;
	struct vm_saved_config cfg;
	struct arch_saved_state arch;	/* the vcpus' and the GIC's */
	struct snap_links links;	/* this snapshot, then its bases down to the full one */
	char *memory_path;		/* the full snapshot's memory; NULL for a migrating VM */
	int memory_fd;			/* -1 for a migrating VM */
};

/* The options both commands take. */
struct restore_opts {
	const char *api_socket;
	bool debug, ksm;
	struct restore_backing backing;		/* -d and -n */
	enum seccomp_mode seccomp;
};

/*
 * The checks of `vmm restore --check` on s->snap (parsed): reads the
 * config, vcpu, GIC and devices sections into s, opens the disks as b
 * names them (or as saved), and checks that this host's KVM can give the
 * VM. -2 (bad input) or -3 (this host cannot) with one line in err.
 */
int restore__check(struct saved_vm *s, const struct restore_backing *b, char *err,
		   size_t errlen) __must_check;
/*
 * Only the reading part of restore__check (no KVM probe): for the final
 * state of a migrating VM whose first sections passed restore__check.
 */
int restore__read(struct saved_vm *s, const struct restore_backing *b, char *err, size_t errlen)
	__must_check;
/* The config to rebuild the VM with (pointing into c). */
void restore__config(const struct vm_saved_config *c, const struct restore_opts *o,
		     struct vm_config *cfg);
/*
 * Builds the checked VM in vm (prepared, /dev/kvm open) in the order KVM
 * requires: ram is guest RAM already filled (vmm receive; vm owns it from
 * now on), or NULL to map or read (copy_memory) the memory file.
 */
int restore__build(struct vm *vm, struct saved_vm *s, void *ram, bool copy_memory)
	__must_check;
void restore__free(struct saved_vm *s);

/* `-d PATH[,ro]` and `-n tap=NAME` into b; -2 with why in err. */
int restore__disk_option(struct restore_backing *b, char *arg, char *err, size_t errlen)
	__must_check;
int restore__net_option(struct restore_backing *b, char *arg, char *err, size_t errlen)
	__must_check;

#endif
