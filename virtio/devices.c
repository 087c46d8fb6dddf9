/*
 * The VM's virtio devices as one entry of vmm/devices.c: created from the
 * config in slot order, paused and resumed around snapshots, described in
 * the device tree, and saved one section each (virtio/state.c).
 */
#include "vmm/devices.h"
#include "vmm/fdt.h"
#include "vmm/virtio.h"
#include "vmm/vm.h"
#include "internal.h"

static unsigned count_all(struct vm *vm)
{
	return virtio__count();
}

static const char *name_of(struct vm *vm, unsigned k)
{
	return virtio__get(k)->ops->name;
}

static bool any_wanted(const struct vm_config *cfg)
{
	return cfg->console == CONSOLE_VIRTIO || cfg->nr_disks || cfg->nr_nets || cfg->rng;
}

static void destroy_all(struct vm *vm)
{
	virtio__destroy_all();
}

/* Slots in this order: console, disks, nets, rng (docs/memory-map.md). */
static int init_all(struct vm *vm)
{
	int err = 0;

	if (vm->cfg->console == CONSOLE_VIRTIO)
		err = virtio_console__init(vm);
	err = err ?: virtio_blk__init(vm);
	err = err ?: virtio_net__init(vm);
	if (!err && vm->cfg->rng)
		err = virtio_rng__init(vm);
	return err;
}

static void pause_all(struct vm *vm)
{
	for (unsigned i = 0; i < virtio__count(); i++) {
		struct virtio_dev *dev = virtio__get(i);

		pthread_mutex_lock(&dev->lock);
		dev->paused = true;
		if (dev->ops->drain && (dev->status & VIRTIO_STATUS_DRIVER_OK))
			dev->ops->drain(dev);
		pthread_mutex_unlock(&dev->lock);
	}
}

static void resume_all(struct vm *vm)
{
	for (unsigned i = 0; i < virtio__count(); i++) {
		struct virtio_dev *dev = virtio__get(i);

		pthread_mutex_lock(&dev->lock);
		dev->paused = false;
		virtio__kick_all(dev);	/* what a drain left in the rings */
		pthread_cond_broadcast(&dev->cond);
		pthread_mutex_unlock(&dev->lock);
	}
}

/* irqfd gives pulses: the guest must take them as edges. */
static int fdt_all(struct vm *vm, struct fdt_params *p)
{
	static const char compatible[] = "virtio,mmio";
	int err = 0;

	for (unsigned i = 0; i < virtio__count() && !err; i++) {
		const struct virtio_dev *dev = virtio__get(i);
		const struct fdt_device d = {
			.name = "virtio_mmio", .compatible = compatible,
			.compatible_len = sizeof(compatible),
			.base = dev->base, .size = dev->size, .irq = (int)dev->spi,
			.edge = true, .dma_coherent = true,
		};

		err = fdt__add_device(p, &d);
	}
	return err;
}

const struct device_ops virtio_devices = {
	.name = "virtio",
	.wanted = any_wanted,
	.init = init_all,
	.exit = destroy_all,
	.fdt_node = fdt_all,
	.pause = pause_all,
	.resume = resume_all,
	.count = count_all,
	.instance_name = name_of,
	.save_one = virtio__save_dev,
	.restore_one = virtio__restore_dev,
};
