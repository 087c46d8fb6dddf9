/* The arm64 VM before it exists: the host's SVE set, the machine type (IPA size). */
#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <string.h>
#include <unistd.h>

#include "arm64/arm64.h"
#include "arm64/cpuplan-kvm.h"
#include "arm64/layout.h"
#include "vmm/vm.h"

void arch__vm_struct_init(struct vm *vm)
{
	vm->arch.gic_fd = -1;
}

void arch__vm_close(struct vm *vm)
{
	if (vm->arch.gic_fd >= 0)
		close(vm->arch.gic_fd);
	vm->arch.gic_fd = -1;
}

/* The guest's VL set from the request and the host's set. */
static int choose_sve_set(struct vm *vm)
{
	char why[512];
	int err;

	err = sve__resolve(&vm->cfg->arch.sve, vm->arch.host_sve, &vm->arch.sve_set, why, sizeof(why));
	if (err) {
		pr_err("%s", why);
		return err;
	}
	err = cpuplan__prepare(vm);	/* --cpu-plan: its VL set; exit 3 before the VM exists */
	if (err)
		return err;
	sve__format_set(vm->arch.sve_set, why, sizeof(why));
	pr_debug("SVE vector lengths: %s", why);
	return 0;
}

/*
 * With SVE on the host and asked for, the host's set is read on the VM's
 * own vcpu 0 (arch__sve_from_vcpu0), saving a scratch VM; otherwise the
 * set is chosen here (an impossible request fails now).
 */
int arch__host_probe(struct vm *vm)
{
	bool sve = vm->cfg->arch.sve.kind != SVE_REQ_OFF && kvm__check_cap(vm, KVM_CAP_ARM_SVE) > 0;
	int err;

	if (sve && !vm->cfg->arch.cpu_plan) {
		vm->arch.sve_from_vcpu0 = true;
		return 0;
	}
	/* A --cpu-plan is checked before the VM exists: the host's set from a scratch vcpu. */
	if (sve) {
		err = sve__probe_host(vm->kvm_fd, &vm->arch.host_sve);
		if (err)
			return err;
	}
	return choose_sve_set(vm);
}

/* vcpu 0, initialised with SVE and not finalized: its VL register is the host's set. */
int arch__sve_from_vcpu0(struct vcpu *vcpu)
{
	struct vm *vm = vcpu->vm;
	int err = sve__read_vcpu_vls(vcpu->fd, &vm->arch.host_sve);

	if (err) {
		pr_err("cannot read the host's SVE vector lengths: %s", strerror(-err));
		return -VMM_ERR_INTERNAL;
	}
	vm->arch.sve_from_vcpu0 = false;
	return choose_sve_set(vm);
}

/* KVM_CREATE_VM's type on arm64 is the IPA size, which the host may limit. */
int arch__vm_type(struct vm *vm, unsigned ipa_bits, unsigned long *type)
{
	int max_ipa = kvm__check_cap(vm, KVM_CAP_ARM_VM_IPA_SIZE);

	/* Without the capability, only the default 40-bit space exists. */
	if (max_ipa == 0)
		max_ipa = 40;
	if (ipa_bits > (unsigned)max_ipa) {
		pr_err("IPA size %u bits cannot be given: this host's limit is %d bits",
		       ipa_bits, max_ipa);
		return -VMM_ERR_HOST;
	}
	pr_debug("a %u-bit IPA space (host limit %d)", ipa_bits, max_ipa);
	*type = KVM_VM_TYPE_ARM_IPA_SIZE(ipa_bits);
	return 0;
}

/* vmm exec --each-vl: the host's SVE lengths in bits, smallest first. */
int arch__host_vector_lengths(unsigned *bits, unsigned max)
{
	int fd = open("/dev/kvm", O_RDWR | O_CLOEXEC), err;
	vq_mask_t host;
	unsigned n = 0;

	if (fd < 0) {
		pr_err("cannot open /dev/kvm: %s", strerror(errno));
		return -VMM_ERR_HOST;
	}
	err = sve__probe_host(fd, &host);
	close(fd);
	if (err)
		return err;
	for (unsigned vq = 1; vq <= SVE_VQ_MAX_ARCH && n < max; vq++)
		if (host & VQ_BIT(vq))
			bits[n++] = 128 * vq;
	return (int)n;
}
