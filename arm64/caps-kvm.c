/*
 * `vmm caps`: the command, and the probe of this host's KVM that fills a
 * struct host_caps (the report, JSON and planner are in arm64/caps.c).
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "arm64/arm64.h"
#include "arm64/caps.h"
#include "vmm/commands.h"

static int finish_output(void)
{
	if (fflush(stdout) || ferror(stdout)) {
		pr_err("caps: cannot write the output: %s", strerror(errno));
		return VMM_ERR_INTERNAL;
	}
	return 0;
}

/* --check-plan: can this host give the plan file's CPU? 0, or 3 naming the field. */
static int check_plan(const char *path)
{
	struct cpu_plan *plan = malloc(sizeof(*plan));
	struct host_caps *caps = malloc(sizeof(*caps));
	char err[512];
	int ret;

	if (!plan || !caps) {
		pr_err("caps --check-plan: out of memory");
		ret = -VMM_ERR_INTERNAL;
		goto out;
	}
	ret = cpuplan__load(path, plan, err, sizeof(err));
	if (ret) {
		pr_err("caps --check-plan %s", err);
		goto out;
	}
	ret = caps__probe(caps);	/* says why itself when it fails */
	if (ret)
		goto out;
	ret = cpuplan__check_host(plan, &caps->cpu, caps->sve, err, sizeof(err));
	if (ret)
		pr_err("caps --check-plan %s: %s", path, err);
	else
		printf("this host can run the plan %s\n", path);
out:
	free(plan);
	free(caps);
	return ret ? -ret : finish_output();
}

int caps__main(int argc, char **argv)
{
	struct caps_args args;
	struct host_caps caps;
	char err[512];
	int ret;

	ret = caps__parse_args(argc, argv, &args, err, sizeof(err));
	if (ret) {
		pr_err("%s", err);
		return -ret;
	}
	if (args.help) {
		cmdline__print_help(&commands__caps, stdout);
		return finish_output();
	}
	if (args.plan) {
		ret = caps__plan((const char *const *)args.files, args.nr_files, stdout,
				 args.json, args.accept, err, sizeof(err));
		if (ret) {
			pr_err("%s", err);
			return -ret;
		}
		return finish_output();
	}
	if (args.check_plan)
		return check_plan(args.check_plan);
	ret = caps__probe(&caps);
	if (ret)
		return -ret;
	if (args.json)
		caps__print_json(stdout, &caps);
	else if (args.labels)
		caps__print_labels(stdout, &caps);
	else
		caps__print(stdout, &caps);
	return finish_output();
}

/* ---- probing the host through /dev/kvm ---- */

static int check_cap(int fd, long cap)
{
	int ret = ioctl(fd, KVM_CHECK_EXTENSION, cap);

	return ret < 0 ? 0 : ret;
}

static void probe_names(struct host_caps *c)
{
	struct utsname u;

	if (uname(&u) < 0)
		return;
	snprintf(c->host, sizeof(c->host), "%s", u.nodename);
	snprintf(c->kernel, sizeof(c->kernel), "%s", u.release);
}

/* The vcpu counts, with the fallbacks of Documentation/virt/kvm/api.rst. */
static void probe_vcpus(int kvm_fd, struct host_caps *c)
{
	int nr = check_cap(kvm_fd, KVM_CAP_NR_VCPUS);
	int max = check_cap(kvm_fd, KVM_CAP_MAX_VCPUS);

	c->recommended_vcpus = nr > 0 ? nr : 4;
	c->max_vcpus = max > 0 ? (unsigned)max : c->recommended_vcpus;
}

/* Whether KVM can create an in-kernel device of this type, without creating it. */
static bool can_create_device(int vm_fd, uint32_t type)
{
	struct kvm_create_device dev = { .type = type, .flags = KVM_CREATE_DEVICE_TEST };

	return ioctl(vm_fd, KVM_CREATE_DEVICE, &dev) == 0;
}

static int probe_gic(int kvm_fd, struct host_caps *c)
{
	unsigned long type = 0;
	int vm_fd;

	/* Type 0 asks for the default 40-bit IPA space, which a smaller host refuses. */
	if (c->ipa_bits_max < 40)
		type = KVM_VM_TYPE_ARM_IPA_SIZE(c->ipa_bits_max);
	vm_fd = ioctl(kvm_fd, KVM_CREATE_VM, type);
	if (vm_fd < 0) {
		pr_err("caps: cannot create a scratch VM: %s", strerror(errno));
		return -VMM_ERR_INTERNAL;
	}
	c->gic_v3 = can_create_device(vm_fd, KVM_DEV_TYPE_ARM_VGIC_V3);
	c->gic_v2 = can_create_device(vm_fd, KVM_DEV_TYPE_ARM_VGIC_V2);
	close(vm_fd);
	return 0;
}

static int probe_cpu(int kvm_fd, struct host_caps *c);

int caps__probe(struct host_caps *c)
{
	int kvm_fd, ipa, ret;

	memset(c, 0, sizeof(*c));
	probe_names(c);
	kvm_fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (kvm_fd < 0) {
		pr_err("caps: cannot open /dev/kvm: %s", strerror(errno));
		return -VMM_ERR_HOST;
	}
	c->kvm_api_version = ioctl(kvm_fd, KVM_GET_API_VERSION, 0);
	if (c->kvm_api_version != KVM_API_VERSION) {
		pr_err("caps: KVM API version %d, vmm needs %d", c->kvm_api_version,
		       KVM_API_VERSION);
		ret = -VMM_ERR_HOST;
		goto out;
	}
	ipa = check_cap(kvm_fd, KVM_CAP_ARM_VM_IPA_SIZE);
	c->ipa_bits_max = ipa ? ipa : 40;	/* without the capability, only 40 bits */
	probe_vcpus(kvm_fd, c);
	c->pmu = check_cap(kvm_fd, KVM_CAP_ARM_PMU_V3) > 0;
	/* A guest gets both kinds of pointer authentication, or neither. */
	c->ptrauth = check_cap(kvm_fd, KVM_CAP_ARM_PTRAUTH_ADDRESS) > 0 &&
		     check_cap(kvm_fd, KVM_CAP_ARM_PTRAUTH_GENERIC) > 0;
	c->mte = check_cap(kvm_fd, KVM_CAP_ARM_MTE) > 0;
	ret = sve__probe_host(kvm_fd, &c->sve);
	if (!ret)
		ret = probe_gic(kvm_fd, c);
	if (!ret)
		ret = probe_cpu(kvm_fd, c);
out:
	close(kvm_fd);
	return ret;
}

/* ---- the CPU: ID registers, masks, caches, register list ---- */

/*
 * Not in the 6.1 UAPI headers we build with; the values are those of
 * Documentation/virt/kvm/api.rst and the 6.7 arm64 UAPI (4.139
 * KVM_ARM_GET_REG_WRITABLE_MASKS, 8.41 KVM_CAP_ARM_SUPPORTED_REG_MASK_RANGES).
 */
#ifndef KVM_ARM_GET_REG_WRITABLE_MASKS
struct reg_mask_range {
	__u64 addr;		/* a __u64[KVM_ARM_FEATURE_ID_RANGE_SIZE] */
	__u32 range;		/* KVM_ARM_FEATURE_ID_RANGE */
	__u32 reserved[13];
};
#define KVM_ARM_GET_REG_WRITABLE_MASKS	_IOR(KVMIO, 0xb6, struct reg_mask_range)
#endif
#ifndef KVM_CAP_ARM_SUPPORTED_REG_MASK_RANGES
#define KVM_CAP_ARM_SUPPORTED_REG_MASK_RANGES	230
#endif
#define FEATURE_ID_RANGE	0	/* KVM_ARM_FEATURE_ID_RANGE, bit 0 of the capability */

/* Every feature this host offers a vcpu, so the ID registers show them all. */
static uint32_t host_vcpu_features(int kvm_fd)
{
	uint32_t f = 1u << KVM_ARM_VCPU_PSCI_0_2;

	if (check_cap(kvm_fd, KVM_CAP_ARM_PMU_V3) > 0)
		f |= 1u << KVM_ARM_VCPU_PMU_V3;
	if (check_cap(kvm_fd, KVM_CAP_ARM_SVE) > 0)
		f |= 1u << KVM_ARM_VCPU_SVE;
	if (check_cap(kvm_fd, KVM_CAP_ARM_PTRAUTH_ADDRESS) > 0 &&
	    check_cap(kvm_fd, KVM_CAP_ARM_PTRAUTH_GENERIC) > 0)
		f |= 1u << KVM_ARM_VCPU_PTRAUTH_ADDRESS | 1u << KVM_ARM_VCPU_PTRAUTH_GENERIC;
	return f;
}

bool caps__writable_masks(int kvm_fd, int vm_fd, uint64_t mask[IDREG_COUNT])
{
	struct reg_mask_range range = {
		.addr = (uintptr_t)mask, .range = FEATURE_ID_RANGE,
	};

	if ((check_cap(kvm_fd, KVM_CAP_ARM_SUPPORTED_REG_MASK_RANGES) & 1 << FEATURE_ID_RANGE) &&
	    ioctl(vm_fd, KVM_ARM_GET_REG_WRITABLE_MASKS, &range) == 0)
		return true;
	memset(mask, 0, IDREG_COUNT * sizeof(*mask));
	return false;
}

/* The registers KVM lists; the ids are kept in d, the CCSIDR values read. */
static int read_reg_list(int vcpu_fd, struct cpu_desc *d)
{
	struct kvm_reg_list probe = { .n = 0 }, *list;
	uint32_t ccsidr;

	/* The first call fails with E2BIG and says how many there are. */
	if (ioctl(vcpu_fd, KVM_GET_REG_LIST, &probe) == 0 || errno != E2BIG)
		return -errno;
	list = calloc(1, sizeof(*list) + probe.n * sizeof(uint64_t));
	if (!list)
		return -ENOMEM;
	list->n = probe.n;
	if (ioctl(vcpu_fd, KVM_GET_REG_LIST, list) < 0) {
		free(list);
		return -errno;
	}
	d->nr_regs = list->n;
	d->reg_digest = idregs__digest((const uint64_t *)list->reg, list->n);
	d->nr_ids = list->n < CPU_REG_LIST_MAX ? list->n : CPU_REG_LIST_MAX;
	memcpy(d->ids, list->reg, d->nr_ids * sizeof(uint64_t));
	for (uint64_t i = 0; i < list->n; i++) {
		uint64_t id = list->reg[i];

		if ((id & KVM_REG_ARM_COPROC_MASK) != KVM_REG_ARM_DEMUX ||
		    (id & KVM_REG_ARM_DEMUX_ID_MASK) != KVM_REG_ARM_DEMUX_ID_CCSIDR ||
		    d->nr_ccsidr >= CPU_CCSIDR_MAX || arm64__get_reg(vcpu_fd, id, &ccsidr))
			continue;
		d->ccsidr[d->nr_ccsidr].csselr = id & KVM_REG_ARM_DEMUX_VAL_MASK;
		d->ccsidr[d->nr_ccsidr++].value = ccsidr;
	}
	free(list);
	return 0;
}

/* What KVM_GET_ONE_REG gives of each register in the feature ID range. */
static void read_id_regs(int vcpu_fd, struct cpu_desc *d)
{
	for (unsigned idx = 0; idx < IDREG_COUNT; idx++)
		d->valid[idx] = !arm64__get_reg(vcpu_fd, idregs__reg_id(idx), &d->value[idx]);
}

/*
 * CNTFRQ_EL0 and DCZID_EL0 as this process reads them: KVM passes both
 * through to the guest unchanged (neither is trapped), so they are what a
 * guest will see here.
 */
static void read_own_regs(struct cpu_desc *d)
{
	uint64_t v;

	__asm__ volatile("mrs %0, cntfrq_el0" : "=r"(v));
	d->cntfrq = v;
	__asm__ volatile("mrs %0, dczid_el0" : "=r"(v));
	d->dczid = v;
}

static int probe_cpu(int kvm_fd, struct host_caps *c)
{
	struct cpu_desc *d = &c->cpu;
	uint32_t features[7] = { host_vcpu_features(kvm_fd) };
	unsigned long type = c->ipa_bits_max < 40 ? KVM_VM_TYPE_ARM_IPA_SIZE(c->ipa_bits_max) : 0;
	int sve = KVM_ARM_VCPU_SVE, err;
	struct scratch_vcpu s;
	bool init_failed;

	err = arm64__scratch_vcpu(kvm_fd, type, features, &s, &init_failed);
	/* Registers of an SVE vcpu can be read only once it is finalized. */
	if (!err && (features[0] & 1u << KVM_ARM_VCPU_SVE) &&
	    ioctl(s.vcpu_fd, KVM_ARM_VCPU_FINALIZE, &sve) < 0) {
		err = -errno;
		arm64__scratch_close(&s);
	}
	if (err) {
		pr_err("caps: cannot create a scratch vcpu with features 0x%x: %s",
		       features[0], strerror(-err));
		return -VMM_ERR_INTERNAL;
	}
	d->present = true;
	d->vcpu_features = features[0];
	d->has_masks = caps__writable_masks(kvm_fd, s.vm_fd, d->mask);
	read_id_regs(s.vcpu_fd, d);
	err = read_reg_list(s.vcpu_fd, d);
	arm64__scratch_close(&s);
	if (err) {
		pr_err("caps: KVM_GET_REG_LIST: %s", strerror(-err));
		return -VMM_ERR_INTERNAL;
	}
	read_own_regs(d);
	return 0;
}
