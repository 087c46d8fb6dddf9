/*
 * The virtio-mmio transport, version 2 (virtio 1.x, "Virtio Over MMIO"):
 * creating a device in its slot (its MMIO range, an ioeventfd per queue,
 * an irqfd on its interrupt line), the register file a driver sees, feature
 * negotiation, the device status and queue set-up. Register accesses run on
 * vcpu threads with dev->lock held; queue notifications do not come here
 * but through the ioeventfds, to the device's I/O thread (virtio/core.c).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <linux/kvm.h>

#include "vmm/devices.h"
#include "vmm/mmio.h"
#include "vmm/virtio.h"
#include "vmm/vm.h"
#include "internal.h"

enum {
	REG_MAGIC = 0x000, REG_VERSION = 0x004, REG_DEVICE_ID = 0x008, REG_VENDOR_ID = 0x00c,
	REG_DEVICE_FEATURES = 0x010, REG_DEVICE_FEATURES_SEL = 0x014,
	REG_DRIVER_FEATURES = 0x020, REG_DRIVER_FEATURES_SEL = 0x024,
	REG_QUEUE_SEL = 0x030, REG_QUEUE_NUM_MAX = 0x034, REG_QUEUE_NUM = 0x038,
	REG_QUEUE_READY = 0x044, REG_QUEUE_NOTIFY = 0x050,
	REG_INTERRUPT_STATUS = 0x060, REG_INTERRUPT_ACK = 0x064, REG_STATUS = 0x070,
	REG_QUEUE_DESC_LOW = 0x080, REG_QUEUE_DESC_HIGH = 0x084,
	REG_QUEUE_DRIVER_LOW = 0x090, REG_QUEUE_DRIVER_HIGH = 0x094,
	REG_QUEUE_DEVICE_LOW = 0x0a0, REG_QUEUE_DEVICE_HIGH = 0x0a4,
	REG_SHM_SEL = 0x0ac, REG_SHM_LEN_LOW = 0x0b0, REG_SHM_LEN_HIGH = 0x0b4,
	REG_SHM_BASE_LOW = 0x0b8, REG_SHM_BASE_HIGH = 0x0bc,
	REG_CONFIG_GENERATION = 0x0fc, REG_CONFIG = 0x100,
};

#define VIRTIO_MMIO_MAGIC	0x74726976	/* "virt" */
#define VIRTIO_MMIO_VERSION	2
#define VIRTIO_VENDOR_ID	0x00766d6d	/* "vmm\0": any value is allowed */

static struct virtio_queue *selected(struct virtio_dev *dev)
{
	return dev->queue_sel < dev->ops->nr_queues ? &dev->queues[dev->queue_sel] : NULL;
}

static uint32_t half(uint64_t v, bool high)
{
	return (uint32_t)(high ? v >> 32 : v);
}

static void set_half(uint64_t *v, bool high, uint32_t x)
{
	if (high)
		*v = (*v & 0xffffffffULL) | (uint64_t)x << 32;
	else
		*v = (*v & ~0xffffffffULL) | x;
}

static uint32_t queue_read(struct virtio_dev *dev, uint64_t off)
{
	struct virtio_queue *q = selected(dev);

	if (!q)
		return 0;	/* QueueNumMax 0: no such queue */
	switch (off) {
	case REG_QUEUE_NUM_MAX: return dev->ops->queue_max;
	case REG_QUEUE_NUM: return q->num;
	case REG_QUEUE_READY: return q->vq.ready;
	case REG_QUEUE_DESC_LOW: return half(q->desc, false);
	case REG_QUEUE_DESC_HIGH: return half(q->desc, true);
	case REG_QUEUE_DRIVER_LOW: return half(q->driver, false);
	case REG_QUEUE_DRIVER_HIGH: return half(q->driver, true);
	case REG_QUEUE_DEVICE_LOW: return half(q->device, false);
	case REG_QUEUE_DEVICE_HIGH: return half(q->device, true);
	default: return 0;
	}
}

static uint32_t reg_read(struct virtio_dev *dev, uint64_t off)
{
	switch (off) {
	case REG_MAGIC: return VIRTIO_MMIO_MAGIC;
	case REG_VERSION: return VIRTIO_MMIO_VERSION;
	case REG_DEVICE_ID: return dev->ops->device_id;
	case REG_VENDOR_ID: return VIRTIO_VENDOR_ID;
	case REG_DEVICE_FEATURES:
		return dev->host_features_sel > 1 ? 0 :
		       half(dev->host_features, dev->host_features_sel == 1);
	case REG_INTERRUPT_STATUS: return dev->interrupt_status;
	case REG_STATUS: return dev->status;
	case REG_CONFIG_GENERATION: return dev->config_generation;
	/* No shared memory regions: length all ones (spec 4.2.2) */
	case REG_SHM_LEN_LOW: case REG_SHM_LEN_HIGH: return 0xffffffff;
	case REG_SHM_BASE_LOW: case REG_SHM_BASE_HIGH: return 0xffffffff;
	default: return queue_read(dev, off);
	}
}

/*
 * QueueReady 1: the driver has written the queue's size and addresses.
 * A layout that is not inside guest memory is the guest's error.
 */
static void queue_enable(struct virtio_dev *dev, struct virtio_queue *q)
{
	if (q->vq.ready)
		return;
	if (vq__setup(&q->vq, q->num, q->desc, q->driver, q->device, dev->driver_features))
		virtio__fail(dev, q->vq.why);
}

static void queue_write(struct virtio_dev *dev, uint64_t off, uint32_t v)
{
	struct virtio_queue *q = selected(dev);

	if (!q)
		return;
	if (off == REG_QUEUE_READY) {
		if (v & 1)
			queue_enable(dev, q);
		else
			virtio__queue_reset(q);
		return;
	}
	if (q->vq.ready)
		return;		/* the spec forbids changing a live queue */
	switch (off) {
	case REG_QUEUE_NUM: q->num = v; break;
	case REG_QUEUE_DESC_LOW: set_half(&q->desc, false, v); break;
	case REG_QUEUE_DESC_HIGH: set_half(&q->desc, true, v); break;
	case REG_QUEUE_DRIVER_LOW: set_half(&q->driver, false, v); break;
	case REG_QUEUE_DRIVER_HIGH: set_half(&q->driver, true, v); break;
	case REG_QUEUE_DEVICE_LOW: set_half(&q->device, false, v); break;
	case REG_QUEUE_DEVICE_HIGH: set_half(&q->device, true, v); break;
	default: break;
	}
}

/* FEATURES_OK holds only for a subset of what we offer that includes VERSION_1. */
static bool features_ok(const struct virtio_dev *dev)
{
	return !(dev->driver_features & ~dev->host_features) &&
	       (dev->driver_features & (1ULL << VIRTIO_F_VERSION_1));
}

static void status_write(struct virtio_dev *dev, uint32_t v)
{
	uint32_t old = dev->status;

	if (v == 0) {
		virtio__reset(dev);
		return;
	}
	v &= 0xff;
	if ((v & VIRTIO_STATUS_FEATURES_OK) && !(old & VIRTIO_STATUS_FEATURES_OK) &&
	    !features_ok(dev))
		v &= ~(uint32_t)VIRTIO_STATUS_FEATURES_OK;	/* the driver reads it back */
	/* NEEDS_RESET is the device's to set; the driver cannot clear it but by a reset */
	dev->status = (v & ~(uint32_t)VIRTIO_STATUS_NEEDS_RESET) |
		      (old & VIRTIO_STATUS_NEEDS_RESET);
	if ((v & VIRTIO_STATUS_DRIVER_OK) && !(old & VIRTIO_STATUS_DRIVER_OK) &&
	    (dev->status & VIRTIO_STATUS_FEATURES_OK)) {
		if (dev->ops->activate)
			dev->ops->activate(dev);
		virtio__kick_all(dev);	/* buffers may be there already */
	}
}

static void reg_write(struct virtio_dev *dev, uint64_t off, uint32_t v)
{
	switch (off) {
	case REG_DEVICE_FEATURES_SEL: dev->host_features_sel = v; break;
	case REG_DRIVER_FEATURES:
		if (dev->driver_features_sel <= 1 && !(dev->status & VIRTIO_STATUS_FEATURES_OK))
			set_half(&dev->driver_features, dev->driver_features_sel == 1, v);
		break;
	case REG_DRIVER_FEATURES_SEL: dev->driver_features_sel = v; break;
	case REG_QUEUE_SEL: dev->queue_sel = v; break;
	case REG_QUEUE_NOTIFY:
		/* Normally caught by the ioeventfd; a notify of another width lands here. */
		if (v < dev->ops->nr_queues)
			virtio__kick(dev, v);
		break;
	case REG_INTERRUPT_ACK: dev->interrupt_status &= ~v; break;
	case REG_STATUS: status_write(dev, v); break;
	default: queue_write(dev, off, v); break;
	}
}

static void config_access(struct virtio_dev *dev, uint64_t off, uint8_t *data, uint32_t len,
			  bool is_write)
{
	uint32_t size = dev->ops->config_size;

	if (off >= size || len > size - off) {
		if (!is_write)
			memset(data, 0, len);
		return;
	}
	if (!is_write)
		memcpy(data, dev->config + off, len);
	else if (dev->ops->config_write)
		dev->ops->config_write(dev, (uint32_t)off, data, len);
}

void virtio__mmio_access(struct mmio_region *region, uint64_t off, uint8_t *data, uint32_t len,
			 bool is_write)
{
	struct virtio_dev *dev = region->dev;

	pthread_mutex_lock(&dev->lock);
	if (off >= REG_CONFIG)
		config_access(dev, off - REG_CONFIG, data, len, is_write);
	else if (len != 4 || (off & 3))
		memset(data, 0, is_write ? 0 : len);	/* registers are 32-bit only */
	else if (is_write)
		reg_write(dev, off, (uint32_t)mmio__get(data, len));
	else
		mmio__put(data, len, reg_read(dev, off));
	pthread_mutex_unlock(&dev->lock);
}

/* ---- creation ---- */

/* QueueNotify writes of queue q's index signal its eventfd inside KVM. */
static int setup_kick(struct virtio_dev *dev, unsigned q)
{
	struct virtio_queue *vq = &dev->queues[q];
	struct kvm_ioeventfd io = {
		.datamatch = q,
		.addr = dev->base + REG_QUEUE_NOTIFY,
		.len = 4,
		.flags = KVM_IOEVENTFD_FLAG_DATAMATCH,
	};

	vq->kick_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (vq->kick_fd < 0)
		return -errno;
	io.fd = vq->kick_fd;
	if (ioctl(dev->vm->vm_fd, KVM_IOEVENTFD, &io) < 0)
		return -errno;
	return virtio__watch_kick(dev, q);
}

static int setup_irq(struct virtio_dev *dev)
{
	struct kvm_irqfd irqfd = { .gsi = arch__irqfd_gsi(dev->spi) };

	dev->irq_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (dev->irq_fd < 0)
		return -errno;
	irqfd.fd = (uint32_t)dev->irq_fd;
	return ioctl(dev->vm->vm_fd, KVM_IRQFD, &irqfd) < 0 ? -errno : 0;
}

static int setup(struct virtio_dev *dev)
{
	int err = virtio__open_io(dev);

	for (unsigned q = 0; !err && q < dev->ops->nr_queues; q++)
		err = setup_kick(dev, q);
	err = err ?: setup_irq(dev);
	return err ?: mmio__register(&dev->vm->mmio, dev->base, dev->size, virtio__mmio_access, dev,
				     dev->ops->name);
}

struct virtio_dev *virtio__create(struct vm *vm, const struct virtio_dev_ops *ops, void *priv)
{
	struct device_place place;
	struct virtio_dev *dev;
	int err;

	if (virtio__count() >= VIRTIO_MAX_DEVICES ||
	    arch__device_place(DEVICE_VIRTIO_MMIO, virtio__count(), &place) ||
	    ops->nr_queues > VIRTIO_MAX_QUEUES || ops->config_size > VIRTIO_CONFIG_MAX) {
		pr_err("%s: no room for another virtio device", ops->name);
		return NULL;
	}
	dev = virtio__alloc(vm, ops, priv);
	if (!dev) {
		pr_err("%s: out of memory", ops->name);
		return NULL;
	}
	err = setup(dev);
	if (err) {
		pr_err("%s: cannot set up the virtio-mmio transport: %s", ops->name, strerror(-err));
		virtio__free(dev);
		return NULL;
	}
	virtio__add(dev);
	return dev;
}
