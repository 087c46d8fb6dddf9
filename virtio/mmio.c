/*
 * The virtio-mmio transport, version 2 (virtio 1.x, "Virtio Over MMIO"):
 * the register file a driver sees, feature negotiation, the device status
 * and queue set-up. Runs on vcpu threads with dev->lock held; queue
 * notifications do not come here but through ioeventfds (virtio/core.c).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "vmm/mmio.h"
#include "vmm/virtio.h"
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

/* The offset of QueueNotify, for the ioeventfds. */
uint64_t virtio__notify_offset(void)
{
	return REG_QUEUE_NOTIFY;
}
