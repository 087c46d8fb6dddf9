/*
 * `vmm caps`: the command, and the probe of this host's KVM that fills a
 * struct host_caps (the report, JSON and planner are in arm64/caps.c).
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <stdio.h>
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
				 args.json, err, sizeof(err));
		if (ret) {
			pr_err("%s", err);
			return -ret;
		}
		return finish_output();
	}
	ret = caps__probe(&caps);
	if (ret)
		return -ret;
	if (args.json)
		caps__print_json(stdout, &caps);
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
out:
	close(kvm_fd);
	return ret;
}
