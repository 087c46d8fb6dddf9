/*
 * KVM's ONE_REG interface and a throwaway scratch vcpu: the leaf that
 * vcpu.c, sve-kvm.c, vcpu-state.c and the host checks all build on.
 */
#include <errno.h>
#include <linux/kvm.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "arm64/arm64.h"

int arm64__get_reg(int vcpu_fd, uint64_t id, void *value)
{
	struct kvm_one_reg reg = { .id = id, .addr = (uintptr_t)value };

	return ioctl(vcpu_fd, KVM_GET_ONE_REG, &reg) < 0 ? -errno : 0;
}

int arm64__set_reg(int vcpu_fd, uint64_t id, const void *value)
{
	struct kvm_one_reg reg = { .id = id, .addr = (uintptr_t)value };

	return ioctl(vcpu_fd, KVM_SET_ONE_REG, &reg) < 0 ? -errno : 0;
}

int arm64__scratch_vcpu(int kvm_fd, unsigned long vm_type, const uint32_t features[7],
			struct scratch_vcpu *s, bool *init_failed)
{
	struct kvm_vcpu_init init;
	int err = 0;

	*init_failed = false;
	s->vcpu_fd = -1;
	s->vm_fd = ioctl(kvm_fd, KVM_CREATE_VM, vm_type);
	if (s->vm_fd < 0)
		return -errno;
	s->vcpu_fd = ioctl(s->vm_fd, KVM_CREATE_VCPU, 0);
	if (s->vcpu_fd < 0 || ioctl(s->vm_fd, KVM_ARM_PREFERRED_TARGET, &init) < 0) {
		err = -errno;
	} else {
		memcpy(init.features, features, sizeof(init.features));
		if (ioctl(s->vcpu_fd, KVM_ARM_VCPU_INIT, &init) < 0) {
			err = -errno;
			*init_failed = true;
		}
	}
	if (err)
		arm64__scratch_close(s);
	return err;
}

void arm64__scratch_close(struct scratch_vcpu *s)
{
	if (s->vcpu_fd >= 0)
		close(s->vcpu_fd);
	if (s->vm_fd >= 0)
		close(s->vm_fd);
	s->vm_fd = s->vcpu_fd = -1;
}
