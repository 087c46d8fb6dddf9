/*
 * Snapshot state of the virtio devices: one device section each, in slot
 * order (vmm/devices.c names them). A device's state is its transport state
 * (features, status, interrupt status, config space, and per queue the
 * driver's registers and the ring state of virtio/virtqueue.c), then what
 * its type's own save() wrote. Saved while paused: devices have drained.
 */
#include <errno.h>
#include <string.h>

#include "vmm/persist.h"
#include "vmm/virtio.h"
#include "vmm/vm.h"
#include "internal.h"

static void save_queue(const struct virtio_queue *q, struct pbuf *b)
{
	pbuf__put_u32(b, q->num);
	pbuf__put_u64(b, q->desc);
	pbuf__put_u64(b, q->driver);
	pbuf__put_u64(b, q->device);
	pbuf__put_u8(b, q->vq.ready);
	vq__save(&q->vq, b);
}

void virtio__save_state(struct virtio_dev *dev, struct pbuf *b)
{
	pbuf__put_str(b, dev->ops->name);
	pbuf__put_u32(b, dev->ops->device_id);
	pbuf__put_u64(b, dev->host_features);
	pbuf__put_u64(b, dev->driver_features);
	pbuf__put_u32(b, dev->host_features_sel);
	pbuf__put_u32(b, dev->driver_features_sel);
	pbuf__put_u32(b, dev->queue_sel);
	pbuf__put_u32(b, dev->status);
	pbuf__put_u32(b, dev->interrupt_status);
	pbuf__put_u32(b, dev->config_generation);
	pbuf__put_u32(b, dev->ops->config_size);
	pbuf__put_bytes(b, dev->config, dev->ops->config_size);
	pbuf__put_u32(b, dev->ops->nr_queues);
	for (unsigned q = 0; q < dev->ops->nr_queues; q++)
		save_queue(&dev->queues[q], b);
	if (dev->ops->save)
		dev->ops->save(dev, b);
}

void virtio__save_dev(struct vm *vm, unsigned k, struct pbuf *b)
{
	struct virtio_dev *dev = virtio__get(k);

	pthread_mutex_lock(&dev->lock);
	virtio__save_state(dev, b);
	pthread_mutex_unlock(&dev->lock);
}

/* Logs why a device's state is refused; the caller names the section. */
static int bad(const struct virtio_dev *dev, const char *field)
{
	pr_err("snapshot: %s in slot %u: bad %s", dev->ops->name, dev->slot, field);
	return -VMM_ERR_INPUT;
}

static int restore_queue(struct virtio_dev *dev, struct virtio_queue *q, struct preader *r)
{
	char why[200];
	bool ready;

	q->num = preader__get_u32(r);
	q->desc = preader__get_u64(r);
	q->driver = preader__get_u64(r);
	q->device = preader__get_u64(r);
	ready = preader__get_u8(r) == 1;
	if (!preader__ok(r))
		return bad(dev, "queue registers");
	if (vq__restore(&q->vq, &dev->mem, r, why, sizeof(why)))
		return bad(dev, why);
	if (q->vq.ready != ready)
		return bad(dev, "queue ready flag");
	/* the device's own limit, which setup enforces, not only the ring format's */
	if (q->vq.ready && q->vq.num > dev->ops->queue_max)
		return bad(dev, "queue size (above the device's maximum)");
	return 0;
}

/* The transport's part; the device keeps its features and config size. */
static int restore_transport(struct virtio_dev *dev, struct preader *r)
{
	if (!preader__str_is(r, dev->ops->name) || preader__get_u32(r) != dev->ops->device_id)
		return bad(dev, "device type (not the device this VM has in this slot)");
	if (preader__get_u64(r) != dev->host_features)
		return bad(dev, "features (the device offers others here: a disk's ro flag?)");
	dev->driver_features = preader__get_u64(r);
	if (dev->driver_features & ~dev->host_features)
		return bad(dev, "driver features");
	dev->host_features_sel = preader__get_u32(r);
	dev->driver_features_sel = preader__get_u32(r);
	dev->queue_sel = preader__get_u32(r);
	dev->status = preader__get_u32(r) & 0xff;
	dev->interrupt_status = preader__get_u32(r) & 3;
	dev->config_generation = preader__get_u32(r);
	if (preader__get_u32(r) != dev->ops->config_size)
		return bad(dev, "config size");
	preader__get_bytes(r, dev->config, dev->ops->config_size);
	if (preader__get_u32(r) != dev->ops->nr_queues)
		return bad(dev, "number of queues");
	return preader__ok(r) ? 0 : bad(dev, "transport state (truncated)");
}

int virtio__restore_state(struct virtio_dev *dev, struct preader *r)
{
	int err = restore_transport(dev, r);

	for (unsigned q = 0; !err && q < dev->ops->nr_queues; q++)
		err = restore_queue(dev, &dev->queues[q], r);
	if (!err && dev->ops->restore && dev->ops->restore(dev, r))
		err = bad(dev, "device state");
	if (!err)
		virtio__kick_all(dev);	/* a notification may have been on its way */
	return err;
}

int virtio__restore_dev(struct vm *vm, unsigned k, struct preader *r)
{
	struct virtio_dev *dev = virtio__get(k);
	int err;

	pthread_mutex_lock(&dev->lock);
	err = virtio__restore_state(dev, r);
	pthread_mutex_unlock(&dev->lock);
	return err;
}
