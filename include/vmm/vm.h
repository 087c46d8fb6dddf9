#ifndef VMM_VM_H
#define VMM_VM_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "vmm/config.h"
#include "vmm/mmio.h"
#include "arch/vm-arch.h"

struct kvm_run;
struct dirty_log;

/* How a VM ended: the exit status of `vmm run` (see docs/usage.md). */
enum vm_exit {
	VM_EXIT_POWEROFF = 0,	/* the guest powered off, or the user quit */
	VM_EXIT_RESET = 4,	/* the guest asked for a reset */
	VM_EXIT_CRASH = 5,	/* a vcpu could not go on (guest crash or KVM failure) */
};

struct vcpu {
	struct vm *vm;
	unsigned id;
	int fd;
	struct kvm_run *run;
	pthread_t thread;
	bool started;
};

struct vm {
	const struct vm_config *cfg;
	int kvm_fd;
	int vm_fd;
	unsigned ipa_bits;
	uint8_t *ram;			/* host mapping of guest RAM at ram_base */
	uint64_t ram_base;		/* where the arch puts RAM (arch__ram_base) */
	uint64_t ram_size;
	struct dirty_log *dirty;	/* dirty tracking of RAM (vmm/dirty.h), with RAM */
	long run_size;			/* the size of each vcpu's kvm_run mapping */
	unsigned nr_vcpus;
	struct vcpu *vcpus;
	struct mmio_bus mmio;
	struct vm_arch arch;
	struct arch_boot *boot;		/* boot files still going into RAM: freed at teardown */
	int stop_fd;			/* eventfd: a vcpu or device asks to end the VM */
	int sig_fd;			/* signalfd: SIGINT, SIGTERM, SIGHUP */
	bool restoring;			/* built from a snapshot, not booted */
	pthread_mutex_t lock;		/* guards the run state below */
	pthread_cond_t cond;
	bool stopping;
	bool pause_requested;
	unsigned nr_paused;		/* vcpu threads waiting while paused */
	bool vcpu0_running;		/* vcpu 0's thread is at its first KVM_RUN */
	int exit_status;
};

/* vmm/kvm.c */
int kvm__open(struct vm *vm) __must_check;
int kvm__check_cap(struct vm *vm, long cap);
int vm__create(struct vm *vm, unsigned ipa_bits) __must_check;
int vm__setup_ram(struct vm *vm, uint64_t size) __must_check;
/* Anonymous memory for guest RAM, 2 MiB aligned (vmm receive fills it first); NULL on failure. */
void *vm__map_ram(uint64_t size);
/* Gives KVM an existing mapping as guest RAM at arch__ram_base() (unmapped on failure). */
int vm__register_ram(struct vm *vm, void *ram, uint64_t size) __must_check;
/* Host pointer for guest range [gpa, gpa + len), or NULL when outside RAM. */
void *vm__gpa_to_host(struct vm *vm, uint64_t gpa, uint64_t len);
void vm__destroy(struct vm *vm);
/* Ends the VM with status (the first caller wins). Safe from any thread. */
void vm__request_stop(struct vm *vm, int status);

/* vmm/vcpu.c */
int vcpu__create_all(struct vm *vm, unsigned n) __must_check;
int vcpu__start_all(struct vm *vm) __must_check;
void vcpu__stop_all(struct vm *vm);
/* Waits until vcpu 0's thread is at its first KVM_RUN (or the VM is stopping). */
void vcpu__wait_first_run(struct vm *vm);
/* Makes every vcpu leave KVM_RUN and wait; returns once all of them wait. */
void vcpu__pause_all(struct vm *vm);
void vcpu__resume_all(struct vm *vm);

/*
 * Hooks each architecture provides (arm64/), in the order `vmm run` calls
 * them: vm__init_struct -> arch__vm_struct_init; arch__boot_read (before
 * any KVM call); kvm__open -> arch__host_probe; vm__create -> arch__vm_type;
 * vm__setup_ram; arch__boot_start; arch__vm_init; each vcpu ->
 * arch__vcpu_init; arch__vm_finish; devices; arch__boot_load ->
 * arch__set_boot_regs; the vcpus start -> arch__boot_go;
 * arch__boot_settle before a snapshot or a migration reads RAM; at
 * teardown, arch__boot_free, vm__destroy ->
 * arch__vm_close.
 */
void arch__vm_struct_init(struct vm *vm);		/* fds to -1 */
int arch__host_probe(struct vm *vm) __must_check;	/* /dev/kvm open, no VM yet */
/* KVM_CREATE_VM's machine type for an IPA space of ipa_bits (-3 if too large). */
int arch__vm_type(struct vm *vm, unsigned ipa_bits, unsigned long *type) __must_check;
unsigned arch__default_ipa_bits(uint64_t ram_size);
uint64_t arch__ram_base(void);				/* guest address of RAM */
int arch__vm_init(struct vm *vm) __must_check;		/* before vcpus: features, irqchip */
int arch__vcpu_init(struct vcpu *vcpu) __must_check;	/* vcpu features, vector lengths */
int arch__vm_finish(struct vm *vm) __must_check;	/* after all vcpus: irqchip init */
void arch__vm_close(struct vm *vm);			/* closes the irqchip's fd */

/* What boots: opened and checked first, read into the VM's RAM once it has some. */
struct arch_boot;
/* Opens the kernel and initrd cfg names, checks headers (bad files: -2); *out to free in any case. */
int arch__boot_read(const struct vm_config *cfg, struct arch_boot **out) __must_check;
/* Once RAM exists: starts reading them straight into it, on threads of their own. */
int arch__boot_start(struct vm *vm, struct arch_boot *b) __must_check;
/* Waits for them to be in RAM, writes the device tree (devices__fdt), sets the boot vcpu. */
int arch__boot_load(struct vm *vm, struct arch_boot *b) __must_check;
/* The vcpus are started: what loads while the guest runs starts now (NULL: nothing). */
void arch__boot_go(struct arch_boot *b);
/*
 * Returns once the boot files are wholly in guest RAM (b NULL, or copied
 * before the guest ran: at once), loading what is left on the calling
 * thread. Whatever reads guest RAM through /proc/self/pagemap or KVM's
 * dirty log calls it first (a snapshot, a migration): a part not loaded
 * yet looks empty, and loading it is no guest write. 0, or -VMM_ERR_INPUT
 * when a file could not be read (the VM is stopping: it was said why).
 */
int arch__boot_settle(struct arch_boot *b) __must_check;
void arch__boot_free(struct arch_boot *b);
int arch__set_boot_regs(struct vcpu *vcpu, uint64_t entry, uint64_t dtb) __must_check;

/*
 * Guest time stands still while a VM is paused: freeze reads the VM's
 * virtual counter, thaw writes it back before the vcpus run again.
 * freeze_at() freezes it at a given value (a restored one).
 */
int arch__freeze_time(struct vm *vm) __must_check;
void arch__freeze_time_at(struct vm *vm, uint64_t counter);
int arch__thaw_time(struct vm *vm) __must_check;
/* Moves the frozen counter forward by ns nanoseconds (vmm receive --advance-clock). */
void arch__advance_time(struct vm *vm, uint64_t ns);
/* Raises or lowers device interrupt line spi (as arch__device_place gave it). */
void arch__set_spi(struct vm *vm, unsigned spi, int level);
/* The KVM_IRQFD gsi that raises device interrupt line spi. */
unsigned arch__irqfd_gsi(unsigned spi);

#endif
