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
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "arm64/arm64.h"
#include "vmm/commands.h"
#include "vmm/devices.h"
#include "vmm/persist.h"
#include "vmm/run.h"
#include "vmm/snapshot.h"
#include "arm64/vcpu-state.h"
#include "vmm/vm.h"
#include "vmm/vmstate.h"

#define MSG_MAX 1024

struct restore_args {
	const char *dir;
	const char *api_socket;
	bool paused, check, copy_memory, debug;
};

struct saved_vm {
	struct snap_reader snap;
	struct vm_saved_config cfg;
	struct vcpu_state *vcpus;	/* cfg.nr_vcpus of them */
	char *memory_path;
};

static void saved_vm__free(struct saved_vm *s)
{
	for (unsigned i = 0; s->vcpus && i < s->cfg.nr_vcpus; i++)
		vcpu_state__free(&s->vcpus[i]);
	free(s->vcpus);
	free(s->memory_path);
	snap__close(&s->snap);
}

/* ---- reading the snapshot: corruption is bad input (2) ---- */

static int read_vcpus(struct saved_vm *s, char *err, size_t errlen)
{
	s->vcpus = calloc(s->cfg.nr_vcpus, sizeof(*s->vcpus));
	if (!s->vcpus)
		return -VMM_ERR_INTERNAL;
	for (unsigned i = 0; i < s->cfg.nr_vcpus; i++) {
		const struct snap_section *sec = snap__find(&s->snap, SNAP_SEC_VCPU, i);
		int ret;

		if (!sec) {
			snprintf(err, errlen, "section vcpu %u: missing", i);
			return -VMM_ERR_INPUT;
		}
		ret = vcpu_state__parse(sec->data, sec->len, &s->vcpus[i], err, errlen);
		if (ret)
			return ret;
		if (s->vcpus[i].vcpu_id != i || s->vcpus[i].vls != s->cfg.sve_set ||
		    memcmp(s->vcpus[i].features, s->cfg.features, sizeof(s->cfg.features))) {
			snprintf(err, errlen, "section vcpu %u: does not match the config", i);
			return -VMM_ERR_INPUT;
		}
	}
	return 0;
}

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
		ret = read_vcpus(s, err, errlen);
	if (!ret && !snap__find(&s->snap, SNAP_SEC_GIC, 0)) {
		snprintf(err, errlen, "section gic: missing");
		ret = -VMM_ERR_INPUT;
	}
	if (!ret)
		ret = check_memory_file(s, err, errlen);
	if (!ret)
		ret = devcfg__check_disks(&s->cfg.dev, err, errlen);
	return ret;
}

/* ---- can this host give it? (3 when not) ---- */

static int check_sve(vq_mask_t host, vq_mask_t saved, char *err, size_t errlen)
{
	char want[96], have[96];

	if (!saved || sve__set_valid(host, saved))
		return 0;
	sve__format_set(saved, want, sizeof(want));
	if (!host) {
		snprintf(err, errlen, "saved VL set %s; this host has no SVE", want);
	} else {
		vq_mask_t below = host & (vq_mask_t)((1u << (32 - __builtin_clz(saved))) - 1);

		/* The largest set this host has that is no larger than the saved one. */
		sve__format_set(below ? below : host, have, sizeof(have));
		snprintf(err, errlen, "saved VL set %s; this host can give at most %s%s", want,
			 have, sve__max_vl(host) > sve__max_vl(saved) ? " below it" : "");
	}
	return -VMM_ERR_HOST;
}

static int check_limits(struct vm *vm, const struct vm_saved_config *c, char *err,
			size_t errlen)
{
	int ipa = kvm__check_cap(vm, KVM_CAP_ARM_VM_IPA_SIZE), max = kvm__check_cap(vm, KVM_CAP_MAX_VCPUS);

	ipa = ipa ? ipa : 40;
	if ((int)c->ipa_bits > ipa) {
		snprintf(err, errlen, "saved IPA size %u bits; this host's limit is %d bits",
			 c->ipa_bits, ipa);
		return -VMM_ERR_HOST;
	}
	if (max > 0 && (int)c->nr_vcpus > max) {
		snprintf(err, errlen, "saved %u vcpus; this host's limit is %d", c->nr_vcpus, max);
		return -VMM_ERR_HOST;
	}
	if (c->pmu && !kvm__check_cap(vm, KVM_CAP_ARM_PMU_V3)) {
		snprintf(err, errlen, "saved with a PMU; this host has no KVM_CAP_ARM_PMU_V3");
		return -VMM_ERR_HOST;
	}
	if (c->ptrauth && !(kvm__check_cap(vm, KVM_CAP_ARM_PTRAUTH_ADDRESS) &&
			    kvm__check_cap(vm, KVM_CAP_ARM_PTRAUTH_GENERIC))) {
		snprintf(err, errlen, "saved with pointer authentication; this host has none");
		return -VMM_ERR_HOST;
	}
	return 0;
}

static void append(char *buf, size_t len, const char *fmt, const char *name, uint64_t a,
		   uint64_t b)
{
	size_t used = strlen(buf);

	if (used < len)
		snprintf(buf + used, len - used, fmt, used ? "; " : "", name,
			 (unsigned long long)a, (unsigned long long)b);
}

/*
 * Compares the saved ID and other invariant registers with a scratch vcpu
 * of this host built like the VM's. A difference KVM lets userspace write
 * is fine; one it refuses is named, with both values.
 */
static int check_id_regs(int scratch_fd, const struct vcpu_state *st, char *err, size_t errlen)
{
	char diff[MSG_MAX] = "", name[48];

	for (unsigned i = 0; i < st->nr_regs; i++) {
		const struct saved_reg *reg = &st->regs[i];
		uint64_t host = 0, saved = 0;

		if (!vcpu_state__is_invariant(reg->id) || reg->len != 8)
			continue;
		memcpy(&saved, reg->value, 8);
		if (arm64__get_reg(scratch_fd, reg->id, &host) == 0 && host == saved)
			continue;
		if (arm64__set_reg(scratch_fd, reg->id, &saved) == 0)
			continue;
		vcpu_state__reg_name(reg->id, name, sizeof(name));
		append(diff, sizeof(diff), "%s%s saved 0x%llx, this host 0x%llx", name, saved, host);
	}
	if (!diff[0])
		return 0;
	snprintf(err, errlen, "registers this host cannot give: %s", diff);
	return -VMM_ERR_HOST;
}

/* A scratch VM and vcpu initialised with the saved features and VL set. */
static int check_on_scratch(struct vm *vm, const struct saved_vm *s, char *err, size_t errlen)
{
	struct kvm_create_device gic = {
		.type = KVM_DEV_TYPE_ARM_VGIC_V3, .flags = KVM_CREATE_DEVICE_TEST,
	};
	struct scratch_vcpu sc;
	struct vm scratch = { .kvm_fd = vm->kvm_fd };
	struct vcpu vcpu = { .vm = &scratch, .id = 0 };
	bool init_failed;
	int ret;

	ret = arm64__scratch_vcpu(vm->kvm_fd, KVM_VM_TYPE_ARM_IPA_SIZE(s->cfg.ipa_bits),
				  s->cfg.features, &sc, &init_failed);
	if (ret) {
		if (!init_failed)
			return -VMM_ERR_INTERNAL;
		snprintf(err, errlen, "this host cannot give the saved vcpu features 0x%x: %s",
			 s->cfg.features[0], strerror(-ret));
		return -VMM_ERR_HOST;
	}
	if (ioctl(sc.vm_fd, KVM_CREATE_DEVICE, &gic) < 0) {
		snprintf(err, errlen, "saved with a GICv3; this host cannot create one");
		ret = -VMM_ERR_HOST;
	} else {
		scratch.vm_fd = sc.vm_fd;
		scratch.arch.sve_set = s->cfg.sve_set;
		vcpu.fd = sc.vcpu_fd;
		ret = s->cfg.sve_set && sve__configure_vcpu(&vcpu, s->cfg.sve_set) ?
		      -VMM_ERR_INTERNAL : check_id_regs(vcpu.fd, &s->vcpus[0], err, errlen);
	}
	arm64__scratch_close(&sc);
	return ret;
}

static int check_host(struct vm *vm, const struct saved_vm *s, char *err, size_t errlen)
{
	int ret = check_limits(vm, &s->cfg, err, errlen);

	if (!ret)
		ret = sve__probe_host(vm->kvm_fd, &vm->arch.host_sve);
	if (!ret)
		ret = check_sve(vm->arch.host_sve, s->cfg.sve_set, err, errlen);
	if (!ret)
		ret = check_on_scratch(vm, s, err, errlen);
	return ret;
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
	const struct snap_section *gic = snap__find(&s->snap, SNAP_SEC_GIC, 0);
	char err[MSG_MAX] = "";
	struct preader r;
	uint64_t counter;
	int ret;

	vm->restoring = true;
	vm->arch.sve_set = s->cfg.sve_set;
	memcpy(vm->arch.vcpu_features, s->cfg.features, sizeof(s->cfg.features));
	ret = vm__create(vm, s->cfg.ipa_bits);
	ret = ret ? ret : map_memory(vm, s->memory_path, s->cfg.ram_size, copy_memory);
	ret = ret ? ret : arch__vm_init(vm);
	/* INIT, then VLS, then FINALIZE, per vcpu (arch__vcpu_init) */
	ret = ret ? ret : vcpu__create_all(vm, s->cfg.nr_vcpus);
	ret = ret ? ret : arch__vm_finish(vm);
	for (unsigned i = 0; !ret && i < vm->nr_vcpus; i++)
		ret = vcpu_state__restore(&vm->vcpus[i], &s->vcpus[i]);
	/* Guest time goes on from the saved counter when the vcpus first run. */
	if (!ret && vcpu_state__counter(&s->vcpus[0], &counter) == 0)
		arch__freeze_time_at(vm, counter);
	if (!ret) {
		preader__init(&r, gic->data, gic->len);
		ret = gic__restore(vm, &r, err, sizeof(err));
	}
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
	cfg->arch.pmu = c->pmu;
	cfg->testdev = c->testdev;
	cfg->arch.no_ptrauth = !c->ptrauth;
	cfg->debug = a->debug;
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
