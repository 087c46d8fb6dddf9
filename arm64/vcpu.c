/* arm64 vcpus: features, KVM_ARM_VCPU_INIT, boot registers. */
#include <errno.h>
#include <linux/kvm.h>
#include <stddef.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "arm64/arm64.h"
#include "arm64/vcpu-state.h"
#include "arm64/cpuplan-kvm.h"
#include "vmm/vm.h"

#define CORE_REG(name) (KVM_REG_ARM64 | KVM_REG_SIZE_U64 | KVM_REG_ARM_CORE | \
			KVM_REG_ARM_CORE_REG(name))
#define SYS_MPIDR_EL1 ARM64_SYS_REG(3, 0, 0, 0, 5)

static void set_feature(struct vm *vm, unsigned feature)
{
	vm->arch.vcpu_features[feature / 32] |= 1u << (feature % 32);
}

/*
 * Chooses the vcpu features once for the VM: PSCI 0.2, SVE when the guest
 * gets a VL set, the PMU when asked, pointer auth when the host has both
 * halves of it and the user did not turn it off (with --cpu-plan: when
 * the plan has it).
 */
static int choose_features(struct vm *vm)
{
	struct kvm_vcpu_init init;

	if (ioctl(vm->vm_fd, KVM_ARM_PREFERRED_TARGET, &init) < 0) {
		pr_err("KVM_ARM_PREFERRED_TARGET: %s", strerror(errno));
		return -VMM_ERR_INTERNAL;
	}
	vm->arch.target = init.target;
	if (vm->restoring)
		return 0;	/* the features come from the snapshot */
	set_feature(vm, KVM_ARM_VCPU_PSCI_0_2);
	if (vm->arch.sve_set || vm->arch.sve_from_vcpu0)
		set_feature(vm, KVM_ARM_VCPU_SVE);
	if (vm->cfg->arch.pmu) {
		if (!kvm__check_cap(vm, KVM_CAP_ARM_PMU_V3)) {
			pr_err("--pmu cannot be given: this host has no KVM_CAP_ARM_PMU_V3");
			return -VMM_ERR_HOST;
		}
		set_feature(vm, KVM_ARM_VCPU_PMU_V3);
	}
	/* A CPU plan says (and checked that this host has it); else the host does. */
	if (vm->arch.cpu_plan ? cpuplan__gives(vm, KVM_ARM_VCPU_PTRAUTH_ADDRESS) :
	    !vm->cfg->arch.no_ptrauth && kvm__check_cap(vm, KVM_CAP_ARM_PTRAUTH_ADDRESS) &&
	    kvm__check_cap(vm, KVM_CAP_ARM_PTRAUTH_GENERIC)) {
		set_feature(vm, KVM_ARM_VCPU_PTRAUTH_ADDRESS);
		set_feature(vm, KVM_ARM_VCPU_PTRAUTH_GENERIC);
	}
	return 0;
}

int arch__vm_init(struct vm *vm)
{
	int err = choose_features(vm);

	return err ? err : gic__create(vm);
}

int arch__vcpu_init(struct vcpu *vcpu)
{
	struct vm *vm = vcpu->vm;
	struct kvm_vcpu_init init = { .target = vm->arch.target };

	memcpy(init.features, vm->arch.vcpu_features, sizeof(init.features));
	/* Secondaries wait, powered off, for the guest's PSCI CPU_ON. */
	if (vcpu->id > 0)
		init.features[0] |= 1u << KVM_ARM_VCPU_POWER_OFF;
	if (ioctl(vcpu->fd, KVM_ARM_VCPU_INIT, &init) < 0) {
		pr_err("vcpu %u: KVM_ARM_VCPU_INIT: %s", vcpu->id, strerror(errno));
		return -VMM_ERR_INTERNAL;
	}
	if (vm->arch.sve_from_vcpu0) {
		int err = arch__sve_from_vcpu0(vcpu);

		if (err)
			return err;
	}
	if (vm->arch.sve_set) {
		int err = sve__configure_vcpu(vcpu, vm->arch.sve_set);

		if (err)
			return err;
	}
	/* ID registers: after INIT and finalize, before any vcpu runs. */
	return cpuplan__apply(vcpu);
}

/* The PMU overflow interrupt: PPI 7, INTID 23, as the device tree says. */
#define PMU_IRQ 23

static int vcpu_set_attr(struct vcpu *vcpu, uint32_t group, uint64_t attr, void *value)
{
	struct kvm_device_attr a = { .group = group, .attr = attr, .addr = (uintptr_t)value };

	return ioctl(vcpu->fd, KVM_SET_DEVICE_ATTR, &a) < 0 ? -errno : 0;
}

/* KVM runs a vcpu with a PMU only once its interrupt is set and it is initialised. */
static int pmu_init(struct vcpu *vcpu)
{
	int irq = PMU_IRQ;
	int err = vcpu_set_attr(vcpu, KVM_ARM_VCPU_PMU_V3_CTRL, KVM_ARM_VCPU_PMU_V3_IRQ, &irq);

	if (!err)
		err = vcpu_set_attr(vcpu, KVM_ARM_VCPU_PMU_V3_CTRL, KVM_ARM_VCPU_PMU_V3_INIT, NULL);
	if (err) {
		pr_err("vcpu %u: cannot set up the PMU: %s", vcpu->id, strerror(-err));
		return -VMM_ERR_INTERNAL;
	}
	return 0;
}

int arch__vm_finish(struct vm *vm)
{
	int err = gic__init(vm);

	for (unsigned i = 0; i < vm->nr_vcpus && !err && vm->cfg->arch.pmu; i++)
		err = pmu_init(&vm->vcpus[i]);
	return err;
}

static int set_reg64(struct vcpu *vcpu, uint64_t id, uint64_t value)
{
	return arm64__set_reg(vcpu->fd, id, &value);
}

/* The arm64 boot protocol: x0 = DTB, x1-x3 = 0, pc = the Image's first byte. */
int arch__set_boot_regs(struct vcpu *vcpu, uint64_t entry, uint64_t dtb)
{
	int err = set_reg64(vcpu, CORE_REG(regs.regs[0]), dtb);

	for (int i = 1; i <= 3 && !err; i++)
		err = set_reg64(vcpu, CORE_REG(regs.regs[i]), 0);
	if (!err)
		err = set_reg64(vcpu, CORE_REG(regs.pc), entry);
	if (err) {
		pr_err("vcpu %u: cannot set boot registers: %s", vcpu->id, strerror(-err));
		return -VMM_ERR_INTERNAL;
	}
	return 0;
}

int arm64__read_mpidr(struct vcpu *vcpu, uint64_t *mpidr)
{
	int err = arm64__get_reg(vcpu->fd, SYS_MPIDR_EL1, mpidr);

	if (err) {
		pr_err("vcpu %u: cannot read MPIDR_EL1: %s", vcpu->id, strerror(-err));
		return -VMM_ERR_INTERNAL;
	}
	return 0;
}

/* KVM's name for the virtual counter (its encoding differs from CNTVCT_EL0's). */
#define GUEST_COUNTER KVM_REG_ARM_TIMER_CNT

/* The counter is VM-wide: one value, read through vcpu 0. */
int arch__freeze_time(struct vm *vm)
{
	int err;

	if (vm->arch.time_frozen || !vm->nr_vcpus)
		return 0;
	err = arm64__get_reg(vm->vcpus[0].fd, GUEST_COUNTER, &vm->arch.frozen_counter);
	if (err) {
		pr_err("cannot read the guest's virtual counter: %s", strerror(-err));
		return -VMM_ERR_INTERNAL;
	}
	vm->arch.time_frozen = true;
	return 0;
}

void arch__freeze_time_at(struct vm *vm, uint64_t counter)
{
	vm->arch.frozen_counter = counter;
	vm->arch.time_frozen = true;
}

void arch__advance_time(struct vm *vm, uint64_t ns)
{
	uint64_t freq = arm64__own_cntfrq();

	if (vm->arch.time_frozen && freq)
		vm->arch.frozen_counter += (uint64_t)((double)ns * (double)freq / 1e9);
}

/* Linux 6.4's VM-wide counter offset, for older UAPI headers. */
#ifndef KVM_CAP_COUNTER_OFFSET
#define KVM_CAP_COUNTER_OFFSET 227
struct kvm_arm_counter_offset {
	__u64 counter_offset;
	__u64 reserved;
};
#define KVM_ARM_SET_COUNTER_OFFSET _IOW(KVMIO, 0xb5, struct kvm_arm_counter_offset)
#endif

/* This host's counter as vmm sees it (the guest's is it minus the offset). */
static uint64_t host_counter(void)
{
	uint64_t v;

	__asm__ volatile("isb; mrs %0, cntvct_el0" : "=r"(v) :: "memory");
	return v;
}

/*
 * Where the host has it (Linux 6.4+), one VM-wide offset moves the virtual
 * and the physical counter together. From then on KVM ignores counter
 * writes through ONE_REG, so once used it is used for every later thaw
 * (the registers restore wrote before it are overridden by it).
 */
static int thaw_by_offset(struct vm *vm)
{
	struct kvm_arm_counter_offset o = { 0 };

	o.counter_offset = host_counter() - vm->arch.frozen_counter;
	return ioctl(vm->vm_fd, KVM_ARM_SET_COUNTER_OFFSET, &o) ? -errno : 0;
}

/* Without it: written on every vcpu, for kernels that keep an offset per vcpu. */
int arch__thaw_time(struct vm *vm)
{
	int err = 0;

	if (!vm->arch.time_frozen)
		return 0;
	if (kvm__check_cap(vm, KVM_CAP_COUNTER_OFFSET) > 0) {
		err = thaw_by_offset(vm);
		if (err) {
			pr_err("KVM_ARM_SET_COUNTER_OFFSET: %s", strerror(-err));
			return -VMM_ERR_INTERNAL;
		}
		vm->arch.time_frozen = false;
		return 0;
	}
	for (unsigned i = 0; i < vm->nr_vcpus && !err; i++)
		err = set_reg64(&vm->vcpus[i], GUEST_COUNTER, vm->arch.frozen_counter);
	if (err) {
		pr_err("cannot write the guest's virtual counter: %s", strerror(-err));
		return -VMM_ERR_INTERNAL;
	}
	vm->arch.time_frozen = false;
	return 0;
}
