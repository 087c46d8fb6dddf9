/* The in-kernel vGICv3: created before the vcpus, initialised after them. */
#include <errno.h>
#include <linux/kvm.h>
#include <string.h>
#include <sys/ioctl.h>

#include "arm64/arm64.h"
#include "arm64/layout.h"
#include "vmm/vm.h"

static int gic_set_attr(struct vm *vm, uint32_t group, uint64_t attr, void *value)
{
	struct kvm_device_attr a = {
		.group = group, .attr = attr, .addr = (uintptr_t)value,
	};

	return ioctl(vm->arch.gic_fd, KVM_SET_DEVICE_ATTR, &a) < 0 ? -errno : 0;
}

int gic__create(struct vm *vm)
{
	struct kvm_create_device dev = { .type = KVM_DEV_TYPE_ARM_VGIC_V3 };
	uint64_t dist = GIC_DIST_BASE, redist = GIC_REDIST_BASE;
	uint32_t nr_irqs = GIC_NR_IRQS;
	int err;

	if (ioctl(vm->vm_fd, KVM_CREATE_DEVICE, &dev) < 0) {
		pr_err("cannot create the in-kernel GICv3: %s", strerror(errno));
		return errno == ENODEV ? -VMM_ERR_HOST : -VMM_ERR_INTERNAL;
	}
	vm->arch.gic_fd = dev.fd;
	err = gic_set_attr(vm, KVM_DEV_ARM_VGIC_GRP_ADDR, KVM_VGIC_V3_ADDR_TYPE_DIST, &dist);
	if (!err)
		err = gic_set_attr(vm, KVM_DEV_ARM_VGIC_GRP_ADDR,
				   KVM_VGIC_V3_ADDR_TYPE_REDIST, &redist);
	if (!err)
		err = gic_set_attr(vm, KVM_DEV_ARM_VGIC_GRP_NR_IRQS, 0, &nr_irqs);
	if (err) {
		pr_err("cannot configure the GICv3: %s", strerror(-err));
		return -VMM_ERR_INTERNAL;
	}
	return 0;
}

int gic__init(struct vm *vm)
{
	int err = gic_set_attr(vm, KVM_DEV_ARM_VGIC_GRP_CTRL, KVM_DEV_ARM_VGIC_CTRL_INIT, NULL);

	if (err) {
		pr_err("cannot initialise the GICv3: %s", strerror(-err));
		return -VMM_ERR_INTERNAL;
	}
	return 0;
}

/* The default routing of an in-kernel vGIC maps gsi N to SPI N (INTID 32 + N). */
unsigned arch__irqfd_gsi(unsigned spi)
{
	return spi;
}

void arch__set_spi(struct vm *vm, unsigned spi, int level)
{
	struct kvm_irq_level irq = {
		.irq = (KVM_ARM_IRQ_TYPE_SPI << KVM_ARM_IRQ_TYPE_SHIFT) | (32 + spi),
		.level = level,
	};

	if (ioctl(vm->vm_fd, KVM_IRQ_LINE, &irq) < 0)
		pr_debug("KVM_IRQ_LINE spi %u: %s", spi, strerror(errno));
}
