/*
 * `vmm restore DIR`: checks that this host can give exactly what the
 * snapshot needs before creating any KVM object of the VM, then rebuilds
 * it in the order KVM requires (docs/snapshot.md).
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "vmm/commands.h"
#include "vmm/devices.h"
#include "vmm/run.h"
#include "vmm/snapshot.h"
#include "vmm/vm.h"
#include "vmm/vmstate.h"

#define MSG_MAX 1024

struct restore_args {
	const char *dir;
	const char *api_socket;
	bool paused, check, copy_memory, debug, ksm;
	enum seccomp_mode seccomp;
};

struct saved_vm {
	struct snap_reader snap;
	struct vm_saved_config cfg;
	struct arch_saved_state arch;	/* the vcpus' and the GIC's */
	char *memory_path;
};

static void saved_vm__free(struct saved_vm *s)
{
	arch__free_saved(&s->arch);
	free(s->memory_path);
	snap__close(&s->snap);
}

/* ---- reading the snapshot: corruption is bad input (2) ---- */

static int check_memory_file(struct saved_vm *s, char *err, size_t errlen)
{
	s->memory_path = snap__memory_path(s->snap.dir);
	if (!s->memory_path)
		return -VMM_ERR_INTERNAL;
	return vmstate__check_memory(s->memory_path, s->cfg.ram_size, err, errlen);
}

static int read_saved(const char *dir, struct saved_vm *s, char *err, size_t errlen)
{
	int ret = snap__open(dir, &s->snap, err, errlen);

	if (!ret)
		ret = vmstate__parse_config(&s->snap, &s->cfg, err, errlen);
	if (!ret)
		ret = arch__read_saved(&s->snap, &s->cfg, &s->arch, err, errlen);
	if (!ret)
		ret = check_memory_file(s, err, errlen);
	if (!ret)
		ret = devcfg__check_disks(&s->cfg.dev, err, errlen);
	return ret;
}

/* ---- can this host give it? (3 when not) ---- */

static int check_host(struct vm *vm, const struct saved_vm *s, char *err, size_t errlen)
{
	int max = kvm__check_cap(vm, KVM_CAP_MAX_VCPUS);

	if (max > 0 && (int)s->cfg.nr_vcpus > max) {
		snprintf(err, errlen, "saved %u vcpus; this host's limit is %d", s->cfg.nr_vcpus,
			 max);
		return -VMM_ERR_HOST;
	}
	/* the IPA size, the VL set, the vcpu features and ID registers */
	return arch__restore_check(vm, &s->cfg, &s->arch, err, errlen);
}

/* ---- building the VM ---- */

/* Maps the memory file copy-on-write (or reads it, --copy-memory) at RAM_BASE. */
static int map_memory(struct vm *vm, const char *path, uint64_t size, bool copy)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC), err = 0;
	void *ram;

	if (fd < 0) {
		pr_err("memory %s: %s", path, strerror(errno));
		return -VMM_ERR_INPUT;
	}
	if (copy) {
		err = vm__setup_ram(vm, size);
		for (uint64_t done = 0; !err && done < size;) {
			ssize_t n = pread(fd, vm->ram + done, size - done, (off_t)done);

			if (n <= 0)
				err = -VMM_ERR_INPUT;
			done += n > 0 ? (uint64_t)n : 0;
		}
	} else {
		ram = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_NORESERVE, fd, 0);
		err = ram == MAP_FAILED ? -VMM_ERR_INTERNAL : vm__register_ram(vm, ram, size);
	}
	close(fd);
	if (err)
		pr_err("memory %s: cannot load it", path);
	return err;
}

/* Steps 1-6 of docs/snapshot.md. */
static int build(struct vm *vm, struct saved_vm *s, bool copy_memory)
{
	char err[MSG_MAX] = "";
	int ret;

	vm->restoring = true;
	arch__restore_prepare(vm, &s->cfg.arch);
	ret = vm__create(vm, s->cfg.ipa_bits);
	ret = ret ? ret : map_memory(vm, s->memory_path, s->cfg.ram_size, copy_memory);
	ret = ret ? ret : arch__vm_init(vm);
	/* INIT, then VLS, then FINALIZE, per vcpu (arch__vcpu_init) */
	ret = ret ? ret : vcpu__create_all(vm, s->cfg.nr_vcpus);
	ret = ret ? ret : arch__vm_finish(vm);
	/* every register but VLS, then mp_state; the saved counter; the GIC */
	ret = ret ? ret : arch__restore_state(vm, &s->arch, err, sizeof(err));
	ret = ret ? ret : devices__init(vm);
	ret = ret ? ret : devices__restore(vm, &s->snap, err, sizeof(err));
	if (ret && err[0])
		pr_err("snapshot %s: %s", s->snap.dir, err);
	return ret;
}

static void config_from_saved(const struct vm_saved_config *c, const struct restore_args *a,
			      struct vm_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->name = c->name[0] ? c->name : "vmm";
	cfg->api_socket = a->api_socket;
	cfg->nr_cpus = c->nr_vcpus;
	cfg->ram_mib = c->ram_size >> 20;
	cfg->ipa_bits = c->ipa_bits;
	arch__config_from_saved(&c->arch, &cfg->arch);
	cfg->testdev = c->testdev;
	cfg->debug = a->debug;
	cfg->seccomp = a->seccomp;
	cfg->ksm = a->ksm;
	cfg->cmdline = "";
	devcfg__to_config(&c->dev, cfg);
}

static int restore_option(void *ctx, int id, char *arg, char *err, size_t errlen)
{
	struct restore_args *a = ctx;

	switch (id) {
	case RESTORE_OPT_API_SOCKET: a->api_socket = arg; break;
	case RESTORE_OPT_PAUSED: a->paused = true; break;
	case RESTORE_OPT_CHECK: a->check = true; break;
	case RESTORE_OPT_COPY_MEMORY: a->copy_memory = true; break;
	case RESTORE_OPT_DEBUG: a->debug = true; break;
	case RESTORE_OPT_SECCOMP: return seccomp__parse_mode(arg, &a->seccomp, err, errlen);
	case RESTORE_OPT_KSM: a->ksm = true; break;
	default:
		set_err(err, errlen, "restore: option id %#x has no parser", id);
		return -VMM_ERR_INTERNAL;
	}
	return 0;
}

/* Returns 0, 1 when the help was printed, or -VMM_ERR_INPUT. */
static int parse_args(int argc, char **argv, struct restore_args *a)
{
	char err[256];
	int first, ret;

	memset(a, 0, sizeof(*a));
	ret = cmdline__parse(&commands__restore, argc, argv, restore_option, a, &first, err,
			     sizeof(err));
	if (ret == CMDLINE_HELP) {
		cmdline__print_help(&commands__restore, stdout);
		return 1;
	}
	if (ret) {
		pr_err("%s", err);
		return ret;
	}
	a->dir = argv[first];
	return 0;
}

int restore__main(int argc, char **argv)
{
	struct restore_args a;
	struct saved_vm s = { 0 };
	struct vm_config cfg;
	struct vm vm = { .kvm_fd = -1, .vm_fd = -1 };
	char err[MSG_MAX] = "";
	bool prepared = false;
	int ret = parse_args(argc, argv, &a);

	if (ret)
		return ret > 0 ? 0 : -ret;
	vmm_debug = vmm_debug || a.debug;
	ret = read_saved(a.dir, &s, err, sizeof(err));
	if (!ret) {
		config_from_saved(&s.cfg, &a, &cfg);
		ret = vm__prepare(&vm, &cfg);
		prepared = true;
	}
	ret = ret ? ret : kvm__open(&vm);
	ret = ret ? ret : check_host(&vm, &s, err, sizeof(err));
	if (ret || a.check) {
		if (ret && err[0])
			pr_err("snapshot %s: %s", a.dir, err);
		else if (!ret)
			printf("%s: this host can restore it\n", a.dir);
		if (prepared)
			vm__teardown(&vm);
		saved_vm__free(&s);
		return -ret;
	}
	pr_debug("snapshot %s checked", a.dir);
	ret = build(&vm, &s, a.copy_memory);
	saved_vm__free(&s);
	if (ret) {
		vm__teardown(&vm);
		return -ret;
	}
	pr_debug("restored; first KVM_RUN follows");
	return vm__run_until_stop(&vm, a.paused);
}
