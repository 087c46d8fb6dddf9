/*
 * `vmm run`: builds the VM in the order KVM requires, boots the kernel,
 * and waits for the guest, a signal or the user to end it.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "vmm/api.h"
#include "vmm/devices.h"
#include "vmm/ownmem.h"
#include "vmm/run.h"
#include "vmm/seccomp.h"
#include "vmm/term.h"
#include "vmm/virtio.h"
#include "vmm/vm.h"

/*
 * The seccomp filters are built on a thread of their own (libseccomp frees
 * much: vmm/ownmem.c), beside the VM's creation for `vmm run`; every
 * thread that enters a filter starts after seccomp_ready().
 */
static struct ownmem_apart seccomp_build;

static int seccomp_ready(void)
{
	return ownmem__join_apart(&seccomp_build);
}

/* Reading the boot files (boot) runs while the vcpus, irqchip and devices are built. */
static int create_vm(struct vm *vm, struct arch_boot *boot)
{
	const struct vm_config *cfg = vm->cfg;
	uint64_t ram_size = cfg->ram_mib << 20;
	unsigned ipa = cfg->ipa_bits ? cfg->ipa_bits : arch__default_ipa_bits(ram_size);
	int err;

	err = kvm__open(vm);
	if (!err)
		err = arch__host_probe(vm);
	if (!err)
		err = vm__create(vm, ipa);
	if (!err)
		err = vm__setup_ram(vm, ram_size);
	if (!err)
		err = arch__boot_start(vm, boot);
	if (!err)
		err = arch__vm_init(vm);
	if (!err)
		err = vcpu__create_all(vm, cfg->nr_cpus);
	if (!err)
		err = arch__vm_finish(vm);
	if (!err)
		err = seccomp_ready();	/* the devices start their threads */
	if (!err)
		err = devices__init(vm);
	if (!err)
		pr_debug("VM built: %u vcpus, irqchip and devices", vm->nr_vcpus);
	return err;
}

static int open_signalfd(sigset_t *mask)
{
	sigemptyset(mask);
	sigaddset(mask, SIGINT);
	sigaddset(mask, SIGTERM);
	sigaddset(mask, SIGHUP);
	sigaddset(mask, SIGUSR1);	/* vcpu kicks: only vcpu threads take it */
	pthread_sigmask(SIG_BLOCK, mask, NULL);
	sigdelset(mask, SIGUSR1);
	return signalfd(-1, mask, SFD_CLOEXEC);
}

static void console_input(struct vm *vm, bool *stdin_open)
{
	uint8_t buf[256];
	ssize_t n = read(STDIN_FILENO, buf, sizeof(buf));
	bool quit;
	size_t keep;

	if (n <= 0) {
		if (n == 0 || (errno != EINTR && errno != EAGAIN))
			*stdin_open = false;	/* EOF: the guest just gets no more input */
		return;
	}
	keep = term__filter(buf, (size_t)n, &quit);
	if (vm->cfg->console == CONSOLE_VIRTIO)
		virtio_console__input(buf, keep);
	else
		pl011__input(buf, keep);
	if (quit)
		vm__request_stop(vm, VM_EXIT_POWEROFF);
}

/* poll()'s timeout: until vmm exec's deadline, or none. */
static int poll_timeout(const struct exec_vm *ex)
{
	double left;

	if (!ex || !ex->deadline_ms)
		return -1;
	left = ex->deadline_ms - vmm_uptime_ms();
	return left <= 0 ? 0 : (int)left + 1;
}

/*
 * Waits for a stop request, a signal or console input (the control socket
 * has its own thread, vmm/api-server.c). Returns the exit status.
 */
static int main_loop(struct vm *vm, int sig_fd)
{
	const struct exec_vm *ex = vm->cfg->exec;
	bool stdin_open = !ex;	/* vmm exec's guest takes no console input */

	for (;;) {
		struct pollfd fds[3] = {
			{ .fd = vm->stop_fd, .events = POLLIN },
			{ .fd = sig_fd, .events = POLLIN },
			{ .fd = stdin_open ? STDIN_FILENO : -1, .events = POLLIN },
		};
		struct signalfd_siginfo si;

		if (poll(fds, 3, poll_timeout(ex)) < 0 && errno != EINTR)
			return VMM_ERR_INTERNAL;
		if (fds[0].revents)
			return vm->exit_status;
		if (ex && ex->deadline_ms && vmm_uptime_ms() >= ex->deadline_ms) {
			vm__request_stop(vm, ex->deadline_status);
			return vm->exit_status;
		}
		if (fds[1].revents && read(sig_fd, &si, sizeof(si)) == sizeof(si)) {
			pr_err("%s: stopping on SIG%s", vm->cfg->name, sigabbrev_np((int)si.ssi_signo));
			vm__request_stop(vm, 128 + (int)si.ssi_signo);
			return vm->exit_status;
		}
		if (fds[2].revents & (POLLIN | POLLHUP | POLLERR))
			console_input(vm, &stdin_open);
	}
}

void vm__init_struct(struct vm *vm, const struct vm_config *cfg)
{
	memset(vm, 0, sizeof(*vm));
	vm->cfg = cfg;
	vm->kvm_fd = vm->vm_fd = vm->sig_fd = -1;
	arch__vm_struct_init(vm);
	mmio__init(&vm->mmio);
	pthread_mutex_init(&vm->lock, NULL);
	pthread_cond_init(&vm->cond, NULL);
	vm->stop_fd = eventfd(0, EFD_CLOEXEC);
}

/* What only set-up needed goes, once the guest runs (vmm/ownmem.c). */
static void release_setup_memory(void)
{
	size_t text = ownmem__release_setup();

	pr_debug("set-up memory released: %zu KiB of text unmapped, free heap pages", text >> 10);
}

/*
 * Runs a built VM until it ends: the console, the control socket, one
 * thread per vcpu (waiting, when paused, for a resume). Tears the VM down.
 */
int vm__run_until_stop(struct vm *vm, bool paused)
{
	const char *api_path = vm->cfg->api_socket;
	int api_fd = -1, status;

	if (api_path) {
		api_fd = api__listen(api_path);
		if (api_fd < 0) {
			vm__teardown(vm);
			return -api_fd;
		}
	}
	vm->pause_requested = paused;
	if (paused)
		devices__pause(vm);	/* as `vmm pause` leaves them */
	if (!paused && arch__thaw_time(vm))
		pr_err("guest time jumped");
	if (!vm->cfg->exec)
		term__setup();
	/*
	 * Each thread enters its own filter; the main thread's goes last:
	 * threads started after it would inherit it, and it does not allow clone.
	 * The boot files' loaders start after the vcpus, so that nothing
	 * shares the CPUs with vmm's set-up before the first KVM_RUN.
	 */
	if (term__start() || vcpu__start_all(vm) || api__start(vm, api_fd)) {
		status = VMM_ERR_INTERNAL;
	} else {
		arch__boot_go(vm->boot);
		vcpu__wait_first_run(vm);	/* the release takes the CPU and mmap lock a while */
		release_setup_memory();
		status = seccomp__enter(SECCOMP_THREAD_MAIN) ? VMM_ERR_INTERNAL
							     : main_loop(vm, vm->sig_fd);
	}
	api__close(api_fd, api_path);	/* after the request it runs, before the vcpus stop */
	vcpu__stop_all(vm);
	term__restore();
	vm__teardown(vm);
	return status;
}

void vm__teardown(struct vm *vm)
{
	arch__boot_free(vm->boot);	/* before RAM goes: loaders write into it */
	vm->boot = NULL;
	devices__exit(vm);
	vm__destroy(vm);
	pr_debug("VM torn down");
}

static int prepare_seccomp(void *mode)
{
	return seccomp__prepare(*(const enum seccomp_mode *)mode);
}

/* Signals go to the main loop; stop and kick fds exist; the filters are being built. */
static int vm__prepare_start(struct vm *vm, const struct vm_config *cfg)
{
	sigset_t mask;

	vmm_debug = vmm_debug || cfg->debug;
	pr_debug("time zero: CLOCK_MONOTONIC %.3f ms", vmm_clock_zero_ms());
	vm__init_struct(vm, cfg);
	vm->sig_fd = open_signalfd(&mask);
	if (vm->stop_fd < 0 || vm->sig_fd < 0) {
		pr_err("cannot create eventfd or signalfd: %s", strerror(errno));
		return -VMM_ERR_INTERNAL;
	}
	ownmem__start_apart(&seccomp_build, prepare_seccomp, (void *)&cfg->seccomp);
	return 0;
}

int vm__prepare(struct vm *vm, const struct vm_config *cfg)
{
	return vm__prepare_start(vm, cfg) ?: seccomp_ready();
}

int vmm__run(const struct vm_config *cfg)
{
	struct arch_boot *boot = NULL;
	struct vm vm;
	int err;

	err = vm__prepare_start(&vm, cfg);
	if (!err)
		err = arch__boot_read(cfg, &boot);
	if (!err)
		err = create_vm(&vm, boot);
	if (!err)
		err = arch__boot_load(&vm, boot);
	vm.boot = boot;		/* its loaders may fill RAM while the guest runs */
	if (err) {
		seccomp_ready();	/* its thread ends before the process does */
		vm__teardown(&vm);
		return -err;
	}
	if (cfg->exec)
		cfg->exec->vm_ready_ms = vmm_uptime_ms();	/* --debug's timings */
	return vm__run_until_stop(&vm, false);
}
