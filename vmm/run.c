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
#include <sys/random.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include <libfdt.h>

#include "vmm/api.h"
#include "arm64/arm64.h"
#include "vmm/devices.h"
#include "arm64/fdt.h"
#include "arm64/image.h"
#include "arm64/layout.h"
#include "vmm/run.h"
#include "vmm/term.h"
#include "vmm/virtio.h"
#include "vmm/vm.h"

#define INITRD_MAX_SIZE (1ULL << 30)

struct boot_files {
	struct arm64_image kernel;
	uint8_t *initrd;
	size_t initrd_len;
};

static int load_boot_files(const struct vm_config *cfg, struct boot_files *f)
{
	char why[256];
	int err;

	if (image__load(cfg->kernel, &f->kernel, why, sizeof(why))) {
		pr_err("kernel %s: %s", cfg->kernel, why);
		return -VMM_ERR_INPUT;
	}
	pr_debug("kernel %s: %zu bytes, text_offset 0x%llx, image_size %llu", cfg->kernel,
		 f->kernel.len, (unsigned long long)f->kernel.text_offset,
		 (unsigned long long)f->kernel.image_size);
	if (!cfg->initrd)
		return 0;
	err = read_file(cfg->initrd, INITRD_MAX_SIZE, &f->initrd, &f->initrd_len);
	if (err) {
		pr_err("initrd %s: %s", cfg->initrd,
		       err == -EFBIG ? "larger than 1 GiB" : strerror(-err));
		return -VMM_ERR_INPUT;
	}
	return 0;
}

static void free_boot_files(struct boot_files *f)
{
	image__free(&f->kernel);
	free(f->initrd);
}

/* The guest's VL set from the request and the host's set (read from a scratch vcpu). */
static int choose_sve(struct vm *vm)
{
	char why[512];
	int err;

	err = sve__probe_host(vm->kvm_fd, &vm->arch.host_sve);
	if (err)
		return err;
	err = sve__resolve(&vm->cfg->arch.sve, vm->arch.host_sve, &vm->arch.sve_set, why, sizeof(why));
	if (err) {
		pr_err("%s", why);
		return err;
	}
	sve__format_set(vm->arch.sve_set, why, sizeof(why));
	pr_debug("SVE vector lengths: %s", why);
	return 0;
}

static int create_vm(struct vm *vm)
{
	const struct vm_config *cfg = vm->cfg;
	uint64_t ram_size = cfg->ram_mib << 20;
	unsigned ipa = cfg->ipa_bits ? cfg->ipa_bits : arch__default_ipa_bits(ram_size);
	int err;

	err = kvm__open(vm);
	if (!err)
		err = choose_sve(vm);
	if (!err)
		err = vm__create(vm, ipa);
	if (!err)
		err = vm__setup_ram(vm, ram_size);
	if (!err)
		err = arch__vm_init(vm);
	if (!err)
		err = vcpu__create_all(vm, cfg->nr_cpus);
	if (!err)
		err = arch__vm_finish(vm);
	if (!err)
		err = devices__init(vm);
	return err;
}

static int write_dtb_file(const char *path, const void *fdt, size_t len)
{
	FILE *f = fopen(path, "wb");
	bool ok;

	if (!f) {
		pr_err("--dump-dtb %s: %s", path, strerror(errno));
		return -VMM_ERR_INPUT;
	}
	ok = fwrite(fdt, 1, len, f) == len;
	ok = (fclose(f) == 0) && ok;
	if (!ok) {
		pr_err("--dump-dtb %s: write failed", path);
		return -VMM_ERR_INPUT;
	}
	return 0;
}

static int build_fdt(struct vm *vm, const struct boot_layout *bl, size_t initrd_len)
{
	struct fdt_params *p = calloc(1, sizeof(*p));
	void *fdt = vm__gpa_to_host(vm, bl->dtb, FDT_MAX_SIZE);
	int err = 0;

	if (!p || !fdt) {
		free(p);
		return -VMM_ERR_INTERNAL;
	}
	p->nr_cpus = vm->nr_vcpus;
	for (unsigned i = 0; i < vm->nr_vcpus && !err; i++)
		err = arm64__read_mpidr(&vm->vcpus[i], &p->mpidr[i]);
	if (err)
		goto out;
	for (unsigned i = 0; i < vm->nr_vcpus; i++)
		p->mpidr[i] &= 0xff00ffffffULL;	/* the affinity fields */
	p->ram_base = RAM_BASE;
	p->ram_size = vm->ram_size;
	p->bootargs = vm->cfg->cmdline;
	p->initrd_start = bl->initrd;
	p->initrd_end = bl->initrd ? bl->initrd + initrd_len : 0;
	if (getrandom(&p->kaslr_seed, sizeof(p->kaslr_seed), 0) < 0 ||
	    getrandom(p->rng_seed, sizeof(p->rng_seed), 0) < 0)
		pr_debug("getrandom: %s; seeds stay zero", strerror(errno));
	p->gic_dist_base = GIC_DIST_BASE;
	p->gic_dist_size = GIC_DIST_SIZE;
	p->gic_redist_base = GIC_REDIST_BASE;
	p->gic_redist_size = GIC_REDIST_SIZE * vm->nr_vcpus;
	p->pmu = vm->cfg->arch.pmu;
	p->stdout_device = -1;
	devices__fdt(vm, p);
	err = fdt__build(p, fdt, FDT_MAX_SIZE);
	if (err) {
		pr_err("cannot build the device tree: %s", strerror(-err));
		err = -VMM_ERR_INTERNAL;
	} else if (vm->cfg->dtb_out) {
		err = write_dtb_file(vm->cfg->dtb_out, fdt, fdt_totalsize(fdt));
	}
out:
	free(p);
	return err;
}

/* Copies the kernel and initrd into guest RAM, writes the DTB, sets vcpu 0's registers. */
static int load_guest(struct vm *vm, const struct boot_files *f)
{
	struct boot_layout bl;
	char why[256];
	int err;

	if (layout__boot(vm->ram_size, f->kernel.text_offset, f->kernel.image_size,
			 f->initrd_len, &bl, why, sizeof(why))) {
		pr_err("%s", why);
		return -VMM_ERR_INPUT;
	}
	memcpy(vm__gpa_to_host(vm, bl.kernel, f->kernel.len), f->kernel.data, f->kernel.len);
	if (f->initrd_len)
		memcpy(vm__gpa_to_host(vm, bl.initrd, f->initrd_len), f->initrd, f->initrd_len);
	pr_debug("kernel at 0x%llx, initrd at 0x%llx, DTB at 0x%llx", (unsigned long long)bl.kernel,
		 (unsigned long long)bl.initrd, (unsigned long long)bl.dtb);
	err = build_fdt(vm, &bl, f->initrd_len);
	if (!err)
		err = arch__set_boot_regs(&vm->vcpus[0], bl.kernel, bl.dtb);
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

/*
 * Waits for a stop request, a signal or console input (the control socket
 * has its own thread, vmm/api-server.c). Returns the exit status.
 */
static int main_loop(struct vm *vm, int sig_fd)
{
	bool stdin_open = true;

	for (;;) {
		struct pollfd fds[3] = {
			{ .fd = vm->stop_fd, .events = POLLIN },
			{ .fd = sig_fd, .events = POLLIN },
			{ .fd = stdin_open ? STDIN_FILENO : -1, .events = POLLIN },
		};
		struct signalfd_siginfo si;

		if (poll(fds, 3, -1) < 0 && errno != EINTR)
			return VMM_ERR_INTERNAL;
		if (fds[0].revents)
			return vm->exit_status;
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
	vm->kvm_fd = vm->vm_fd = vm->arch.gic_fd = vm->sig_fd = -1;
	mmio__init(&vm->mmio);
	pthread_mutex_init(&vm->lock, NULL);
	pthread_cond_init(&vm->cond, NULL);
	vm->stop_fd = eventfd(0, EFD_CLOEXEC);
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
	term__setup();
	status = vcpu__start_all(vm) || api__start(vm, api_fd) ? VMM_ERR_INTERNAL :
		 main_loop(vm, vm->sig_fd);
	api__close(api_fd, api_path);	/* after the request it runs, before the vcpus stop */
	vcpu__stop_all(vm);
	term__restore();
	vm__teardown(vm);
	return status;
}

void vm__teardown(struct vm *vm)
{
	devices__exit(vm);
	vm__destroy(vm);
}

/* Signals go to the main loop; stop and kick fds exist. */
int vm__prepare(struct vm *vm, const struct vm_config *cfg)
{
	sigset_t mask;

	vmm_debug = vmm_debug || cfg->debug;
	vm__init_struct(vm, cfg);
	vm->sig_fd = open_signalfd(&mask);
	if (vm->stop_fd < 0 || vm->sig_fd < 0) {
		pr_err("cannot create eventfd or signalfd: %s", strerror(errno));
		return -VMM_ERR_INTERNAL;
	}
	return 0;
}

int vmm__run(const struct vm_config *cfg)
{
	struct boot_files files = { 0 };
	struct vm vm;
	int err;

	err = vm__prepare(&vm, cfg);
	if (!err)
		err = load_boot_files(cfg, &files);
	if (!err)
		err = create_vm(&vm);
	if (!err)
		err = load_guest(&vm, &files);
	free_boot_files(&files);
	if (err) {
		vm__teardown(&vm);
		return -err;
	}
	return vm__run_until_stop(&vm, false);
}
