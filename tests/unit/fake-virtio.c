/*
 * A fake virtio transport for device unit tests: see fake-virtio.h.
 * Device-neutral: nothing here knows a device type.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fake-virtio.h"
#include "arm64/layout.h"
#include "vmm/virtio.h"
#include "vmm/vm.h"

#define FAKE_MAX_DEVS	16

struct fake_dev {
	struct virtio_dev dev;		/* first: a dev is a fake_dev */
	struct fake_virtio_stats stats;
	uint32_t events[VIRTIO_MAX_FDS];	/* what each watched fd waits for */
	uint64_t refused;		/* features the fake driver does not accept */
};

static struct fake_dev *devs[FAKE_MAX_DEVS];
static unsigned nr_devs;

static struct fake_dev *fake(struct virtio_dev *dev)
{
	return (struct fake_dev *)dev;
}

unsigned fake_virtio__nr_devs(void)
{
	return nr_devs;
}

struct virtio_dev *fake_virtio__dev(unsigned i)
{
	return i < nr_devs ? &devs[i]->dev : NULL;
}

struct fake_virtio_stats *fake_virtio__stats(struct virtio_dev *dev)
{
	return &fake(dev)->stats;
}

/* ---- what devices call ---- */

struct virtio_dev *virtio__create(struct vm *vm, const struct virtio_dev_ops *ops, void *priv)
{
	struct fake_dev *f;
	struct virtio_dev *dev;

	if (nr_devs == FAKE_MAX_DEVS || ops->nr_queues > VIRTIO_MAX_QUEUES ||
	    ops->config_size > VIRTIO_CONFIG_MAX)
		return NULL;
	f = calloc(1, sizeof(*f));
	if (!f)
		return NULL;
	dev = &f->dev;
	dev->ops = ops;
	dev->vm = vm;
	dev->priv = priv;
	dev->slot = nr_devs;
	dev->base = VIRTIO_MMIO_BASE + nr_devs * VIRTIO_MMIO_SIZE;
	dev->spi = VIRTIO_SPI_BASE + nr_devs;
	guest_mem__init(&dev->mem, vm->ram, RAM_BASE, vm->ram_size);
	pthread_mutex_init(&dev->lock, NULL);
	dev->host_features = ops->features | 1ULL << VIRTIO_F_VERSION_1 |
			     1ULL << VIRTIO_RING_F_EVENT_IDX | 1ULL << VIRTIO_RING_F_INDIRECT_DESC;
	for (unsigned q = 0; q < VIRTIO_MAX_QUEUES; q++) {
		vq__init(&dev->queues[q].vq, &dev->mem);
		dev->queues[q].kick_fd = -1;
	}
	dev->irq_fd = dev->epoll_fd = dev->wake_fd = -1;
	for (unsigned i = 0; i < VIRTIO_MAX_FDS; i++)
		dev->fds[i] = -1;
	devs[nr_devs++] = f;
	return dev;
}

int virtio__start(struct virtio_dev *dev)
{
	fake(dev)->stats.started = true;
	return 0;
}

void virtio__destroy(struct virtio_dev *dev)
{
	unsigned i;

	if (dev->ops->exit)
		dev->ops->exit(dev);
	for (i = 0; i < nr_devs && devs[i] != fake(dev); i++)
		;
	if (i < nr_devs) {
		memmove(&devs[i], &devs[i + 1], (nr_devs - i - 1) * sizeof(devs[0]));
		nr_devs--;
	}
	pthread_mutex_destroy(&dev->lock);
	free(fake(dev));
}

bool virtio__queue_live(const struct virtio_dev *dev, unsigned q)
{
	return q < dev->ops->nr_queues && (dev->status & VIRTIO_STATUS_DRIVER_OK) &&
	       !(dev->status & VIRTIO_STATUS_NEEDS_RESET) && dev->queues[q].vq.ready;
}

void virtio__fail(struct virtio_dev *dev, const char *why)
{
	struct fake_virtio_stats *s = &fake(dev)->stats;

	if (!s->failed)
		snprintf(s->why, sizeof(s->why), "%s", why);
	s->failed = true;
	dev->status |= VIRTIO_STATUS_NEEDS_RESET;
}

int virtio__pop(struct virtio_dev *dev, unsigned q, struct vq_chain *c, enum vq_expect expect)
{
	int r;

	if (!virtio__queue_live(dev, q))
		return 0;
	r = vq__pop(&dev->queues[q].vq, c, expect);
	if (r < 0)
		virtio__fail(dev, dev->queues[q].vq.why);
	return r;
}

void virtio__push(struct virtio_dev *dev, unsigned q, uint16_t head, uint32_t len)
{
	if (q >= dev->ops->nr_queues || vq__push(&dev->queues[q].vq, head, len) < 0)
		virtio__fail(dev, "push failed");
}

void virtio__notify(struct virtio_dev *dev, unsigned q)
{
	if (q < dev->ops->nr_queues && vq__should_notify(&dev->queues[q].vq))
		fake(dev)->stats.notifies++;
}

void virtio__config_changed(struct virtio_dev *dev)
{
	dev->config_generation++;
	fake(dev)->stats.config_changes++;
}

static int fd_slot(const struct virtio_dev *dev, int fd)
{
	for (int i = 0; i < VIRTIO_MAX_FDS; i++)
		if (dev->fds[i] == fd)
			return i;
	return -1;
}

int virtio__watch_fd(struct virtio_dev *dev, int fd, uint32_t events)
{
	int i = fd_slot(dev, fd);

	if (fd < 0)
		return -EINVAL;
	if (i < 0)
		i = fd_slot(dev, -1);
	if (i < 0)
		return -ENOSPC;
	dev->fds[i] = fd;
	fake(dev)->events[i] = events;
	return 0;
}

void virtio__unwatch_fd(struct virtio_dev *dev, int fd)
{
	int i = fd_slot(dev, fd);

	if (fd >= 0 && i >= 0)
		dev->fds[i] = -1;
}

/* ---- what tests call ---- */

void fake_virtio__destroy_all(void)
{
	while (nr_devs)
		virtio__destroy(&devs[nr_devs - 1]->dev);
}

void fake_virtio__refuse(struct virtio_dev *dev, uint64_t features)
{
	fake(dev)->refused = features;
}

int fake_virtio__setup_queue(struct virtio_dev *dev, unsigned q, uint32_t num, uint64_t desc,
			     uint64_t avail, uint64_t used)
{
	struct virtio_queue *vq = &dev->queues[q];

	if (q >= dev->ops->nr_queues || num > dev->ops->queue_max)
		return -EINVAL;
	dev->driver_features = dev->host_features & ~fake(dev)->refused;
	if (vq__setup(&vq->vq, num, desc, avail, used, dev->driver_features) < 0)
		return -EINVAL;
	vq->num = num;
	vq->desc = desc;
	vq->driver = avail;
	vq->device = used;
	dev->status = VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER |
		      VIRTIO_STATUS_FEATURES_OK | VIRTIO_STATUS_DRIVER_OK;
	if (dev->ops->activate) {
		pthread_mutex_lock(&dev->lock);
		dev->ops->activate(dev);
		pthread_mutex_unlock(&dev->lock);
	}
	return 0;
}

void fake_virtio__kick(struct virtio_dev *dev, unsigned q)
{
	pthread_mutex_lock(&dev->lock);
	if (dev->ops->queue_notify && virtio__queue_live(dev, q))
		dev->ops->queue_notify(dev, q);
	pthread_mutex_unlock(&dev->lock);
}

int fake_virtio__poll(struct virtio_dev *dev, int timeout_ms)
{
	struct pollfd pfd[VIRTIO_MAX_FDS];
	int n = 0, ready = 0;

	for (int i = 0; i < VIRTIO_MAX_FDS; i++) {
		if (dev->fds[i] < 0 || !fake(dev)->events[i])
			continue;
		pfd[n].fd = dev->fds[i];
		pfd[n].events = (short)fake(dev)->events[i];	/* EPOLLIN/OUT == POLLIN/OUT */
		pfd[n].revents = 0;
		n++;
	}
	if (!n || poll(pfd, (nfds_t)n, timeout_ms) <= 0)
		return 0;
	pthread_mutex_lock(&dev->lock);
	for (int i = 0; i < n; i++) {
		if (!pfd[i].revents)
			continue;
		ready++;
		if (dev->ops->fd_ready)
			dev->ops->fd_ready(dev, pfd[i].fd);
	}
	pthread_mutex_unlock(&dev->lock);
	return ready;
}

void fake_virtio__drain(struct virtio_dev *dev)
{
	pthread_mutex_lock(&dev->lock);
	if (dev->ops->drain)
		dev->ops->drain(dev);
	pthread_mutex_unlock(&dev->lock);
}

void fake_virtio__reset(struct virtio_dev *dev)
{
	pthread_mutex_lock(&dev->lock);
	if (dev->ops->reset)
		dev->ops->reset(dev);
	for (unsigned q = 0; q < VIRTIO_MAX_QUEUES; q++) {
		vq__reset(&dev->queues[q].vq);
	}
	dev->status = 0;
	dev->driver_features = 0;
	pthread_mutex_unlock(&dev->lock);
}
