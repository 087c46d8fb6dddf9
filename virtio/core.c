/*
 * The core of a virtio device, below its transport (virtio/mmio.c): its
 * state, its I/O thread, the helpers device types use on their queues, and
 * the VM's list of devices. It never calls the transport. See
 * include/vmm/virtio.h for the threading rules.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "vmm/devices.h"
#include "vmm/seccomp.h"
#include "vmm/virtio.h"
#include "vmm/vm.h"
#include "internal.h"

#define VIRTIO_INT_USED		1	/* InterruptStatus: a used buffer */
#define VIRTIO_INT_CONFIG	2	/* InterruptStatus: config or status changed */
#define IO_THREAD_STACK		(256 << 10)	/* as a vcpu's: see start_thread() */

/* epoll data: what became ready */
enum { EV_WAKE = 0, EV_KICK = 1, EV_FD = 2 };
#define EV(kind, i)	((uint64_t)(kind) << 32 | (uint32_t)(i))

static void eventfd_signal(int fd)
{
	uint64_t one = 1;

	if (write(fd, &one, sizeof(one)) < 0 && errno != EAGAIN)
		pr_debug("virtio: eventfd write: %s", strerror(errno));
}

static void eventfd_drain(int fd)
{
	uint64_t v;

	if (read(fd, &v, sizeof(v)) < 0 && errno != EAGAIN)
		pr_debug("virtio: eventfd read: %s", strerror(errno));
}

static void raise_interrupt(struct virtio_dev *dev, uint32_t why)
{
	dev->interrupt_status |= why;
	eventfd_signal(dev->irq_fd);
}

void virtio__fail(struct virtio_dev *dev, const char *why)
{
	if (dev->status & VIRTIO_STATUS_NEEDS_RESET)
		return;
	dev->status |= VIRTIO_STATUS_NEEDS_RESET;
	if (!dev->warned) {
		pr_err("%s at %#llx: the guest broke the rules (%s); the device needs a reset",
		       dev->ops->name, (unsigned long long)dev->base, why);
		dev->warned = true;
	}
	if (dev->status & VIRTIO_STATUS_DRIVER_OK)
		raise_interrupt(dev, VIRTIO_INT_CONFIG);
}

void virtio__config_changed(struct virtio_dev *dev)
{
	dev->config_generation++;
	if (dev->status & VIRTIO_STATUS_DRIVER_OK)
		raise_interrupt(dev, VIRTIO_INT_CONFIG);
}

bool virtio__queue_live(const struct virtio_dev *dev, unsigned q)
{
	return q < dev->ops->nr_queues && dev->queues[q].vq.ready &&
	       (dev->status & VIRTIO_STATUS_DRIVER_OK) &&
	       !(dev->status & VIRTIO_STATUS_NEEDS_RESET);
}

int virtio__pop(struct virtio_dev *dev, unsigned q, struct vq_chain *c, enum vq_expect expect)
{
	int ret;

	if (!virtio__queue_live(dev, q))
		return 0;
	ret = vq__pop(&dev->queues[q].vq, c, expect);
	/*
	 * Found empty: ask the driver to notify at its next buffer (with
	 * event idx, avail_event catches up), and look once more for one
	 * that came meanwhile.
	 */
	if (ret == 0 && vq__enable_notify(&dev->queues[q].vq) == 1)
		ret = vq__pop(&dev->queues[q].vq, c, expect);
	if (ret < 0 || dev->queues[q].vq.broken) {
		virtio__fail(dev, dev->queues[q].vq.why);
		return -EINVAL;
	}
	return ret;
}

void virtio__push(struct virtio_dev *dev, unsigned q, uint16_t head, uint32_t len)
{
	if (!virtio__queue_live(dev, q))
		return;
	if (vq__push(&dev->queues[q].vq, head, len))
		virtio__fail(dev, dev->queues[q].vq.broken ? dev->queues[q].vq.why :
				  "a used ring entry could not be written");
}

void virtio__notify(struct virtio_dev *dev, unsigned q)
{
	if (virtio__queue_live(dev, q) && vq__should_notify(&dev->queues[q].vq))
		raise_interrupt(dev, VIRTIO_INT_USED);
}

void virtio__queue_reset(struct virtio_queue *q)
{
	vq__reset(&q->vq);
	q->num = 0;
	q->desc = q->driver = q->device = 0;
}

/* Status 0: the device forgets everything the driver set up. */
void virtio__reset(struct virtio_dev *dev)
{
	if (dev->ops->reset)
		dev->ops->reset(dev);
	for (unsigned q = 0; q < dev->ops->nr_queues; q++)
		virtio__queue_reset(&dev->queues[q]);
	dev->status = 0;
	dev->driver_features = 0;
	dev->host_features_sel = dev->driver_features_sel = 0;
	dev->queue_sel = 0;
	dev->interrupt_status = 0;
	dev->pending_queues = 0;
}

void virtio__kick(struct virtio_dev *dev, unsigned q)
{
	eventfd_signal(dev->queues[q].kick_fd);
}

void virtio__kick_all(struct virtio_dev *dev)
{
	dev->pending_queues = (1u << dev->ops->nr_queues) - 1;
	eventfd_signal(dev->wake_fd);
}

/* ---- watched fds ---- */

static int fd_slot(const struct virtio_dev *dev, int fd)
{
	for (int i = 0; i < VIRTIO_MAX_FDS; i++)
		if (dev->fds[i] == fd)
			return i;
	return -1;
}

int virtio__watch_fd(struct virtio_dev *dev, int fd, uint32_t events)
{
	struct epoll_event ev = { .events = events };
	int i = fd_slot(dev, fd), op = EPOLL_CTL_MOD;

	if (i < 0) {
		i = fd_slot(dev, -1);
		if (i < 0)
			return -ENOSPC;
		op = EPOLL_CTL_ADD;
	}
	ev.data.u64 = EV(EV_FD, i);
	if (epoll_ctl(dev->epoll_fd, op, fd, &ev) < 0)
		return -errno;
	dev->fds[i] = fd;
	return 0;
}

void virtio__unwatch_fd(struct virtio_dev *dev, int fd)
{
	int i = fd_slot(dev, fd);

	if (i < 0)
		return;
	epoll_ctl(dev->epoll_fd, EPOLL_CTL_DEL, fd, NULL);
	dev->fds[i] = -1;
	dev->pending_fds &= ~(1u << i);
}

/* ---- the I/O thread ---- */

/* Takes note of one epoll event; the work is done by run_pending(). */
static void note_event(struct virtio_dev *dev, uint64_t data)
{
	unsigned kind = (unsigned)(data >> 32), i = (uint32_t)data;

	switch (kind) {
	case EV_WAKE:
		eventfd_drain(dev->wake_fd);
		break;
	case EV_KICK:
		eventfd_drain(dev->queues[i].kick_fd);
		dev->pending_queues |= 1u << i;
		break;
	case EV_FD:
		dev->pending_fds |= 1u << i;
		break;
	}
}

static void run_pending(struct virtio_dev *dev)
{
	while ((dev->pending_queues || dev->pending_fds) && !dev->paused) {
		uint32_t queues = dev->pending_queues, fds = dev->pending_fds;

		dev->pending_queues = dev->pending_fds = 0;
		for (unsigned i = 0; i < VIRTIO_MAX_FDS; i++)
			if ((fds & (1u << i)) && dev->fds[i] >= 0 && dev->ops->fd_ready)
				dev->ops->fd_ready(dev, dev->fds[i]);
		for (unsigned q = 0; q < dev->ops->nr_queues; q++)
			if ((queues & (1u << q)) && virtio__queue_live(dev, q) &&
			    dev->ops->queue_notify)
				dev->ops->queue_notify(dev, q);
	}
}

static void *io_thread(void *arg)
{
	struct virtio_dev *dev = arg;
	struct epoll_event ev[8];
	int n;

	if (seccomp__enter(SECCOMP_THREAD_IO)) {
		vm__request_stop(dev->vm, VMM_ERR_INTERNAL);
		return NULL;
	}
	pthread_mutex_lock(&dev->lock);
	for (;;) {
		while (dev->paused && !dev->stopping)
			pthread_cond_wait(&dev->cond, &dev->lock);
		if (dev->stopping)
			break;
		run_pending(dev);
		pthread_mutex_unlock(&dev->lock);
		n = epoll_wait(dev->epoll_fd, ev, ARRAY_SIZE(ev), -1);
		pthread_mutex_lock(&dev->lock);
		for (int i = 0; i < n; i++)
			note_event(dev, ev[i].data.u64);
	}
	pthread_mutex_unlock(&dev->lock);
	return NULL;
}

/* ---- creation ---- */

static struct virtio_dev *all[VIRTIO_MAX_DEVICES];
static unsigned nr_all;

static int add_epoll(struct virtio_dev *dev, int fd, uint64_t data)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.u64 = data };

	return epoll_ctl(dev->epoll_fd, EPOLL_CTL_ADD, fd, &ev) < 0 ? -errno : 0;
}

int virtio__open_io(struct virtio_dev *dev)
{
	dev->epoll_fd = epoll_create1(EPOLL_CLOEXEC);
	dev->wake_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (dev->epoll_fd < 0 || dev->wake_fd < 0)
		return -errno;
	return add_epoll(dev, dev->wake_fd, EV(EV_WAKE, 0));
}

int virtio__watch_kick(struct virtio_dev *dev, unsigned q)
{
	return add_epoll(dev, dev->queues[q].kick_fd, EV(EV_KICK, q));
}

static void close_fds(struct virtio_dev *dev)
{
	int *fds[] = { &dev->epoll_fd, &dev->wake_fd, &dev->irq_fd };

	for (size_t i = 0; i < ARRAY_SIZE(fds); i++)
		if (*fds[i] >= 0)
			close(*fds[i]);
	for (unsigned q = 0; q < VIRTIO_MAX_QUEUES; q++)
		if (dev->queues[q].kick_fd >= 0)
			close(dev->queues[q].kick_fd);
}

struct virtio_dev *virtio__alloc(struct vm *vm, const struct virtio_dev_ops *ops, void *priv)
{
	struct virtio_dev *dev = calloc(1, sizeof(*dev));
	struct device_place place;

	if (!dev)
		return NULL;
	dev->ops = ops;
	dev->vm = vm;
	dev->priv = priv;
	dev->slot = nr_all;
	if (nr_all >= VIRTIO_MAX_DEVICES ||
	    arch__device_place(DEVICE_VIRTIO_MMIO, nr_all, &place)) {
		free(dev);
		return NULL;
	}
	dev->base = place.base;
	dev->size = place.size;
	dev->spi = (unsigned)place.irq;
	dev->epoll_fd = dev->wake_fd = dev->irq_fd = -1;
	for (unsigned i = 0; i < VIRTIO_MAX_FDS; i++)
		dev->fds[i] = -1;
	guest_mem__init(&dev->mem, vm->ram, vm->ram_base, vm->ram_size);
	dev->mem.dirty = vm->dirty;	/* the devices' writes are tracked (vmm/dirty.h) */
	for (unsigned q = 0; q < VIRTIO_MAX_QUEUES; q++) {
		vq__init(&dev->queues[q].vq, &dev->mem);
		dev->queues[q].kick_fd = -1;
	}
	dev->host_features = ops->features | 1ULL << VIRTIO_F_VERSION_1 |
			     1ULL << VIRTIO_RING_F_EVENT_IDX | 1ULL << VIRTIO_RING_F_INDIRECT_DESC;
	pthread_mutex_init(&dev->lock, NULL);
	pthread_cond_init(&dev->cond, NULL);
	return dev;
}

void virtio__free(struct virtio_dev *dev)
{
	close_fds(dev);
	free(dev);
}

void virtio__add(struct virtio_dev *dev)
{
	all[nr_all++] = dev;
}

int virtio__start(struct virtio_dev *dev)
{
	int err = start_thread(&dev->thread, IO_THREAD_STACK, io_thread, dev);

	if (err) {
		pr_err("%s: cannot start its I/O thread: %s", dev->ops->name, strerror(err));
		return -err;
	}
	dev->thread_started = true;
	return 0;
}

void virtio__destroy(struct virtio_dev *dev)
{
	if (dev->thread_started) {
		pthread_mutex_lock(&dev->lock);
		dev->stopping = true;
		pthread_cond_broadcast(&dev->cond);
		eventfd_signal(dev->wake_fd);
		pthread_mutex_unlock(&dev->lock);
		pthread_join(dev->thread, NULL);
	}
	if (dev->ops->exit)
		dev->ops->exit(dev);
	virtio__free(dev);
}

/* ---- the VM's devices, in slot order ---- */

unsigned virtio__count(void)
{
	return nr_all;
}

struct virtio_dev *virtio__get(unsigned i)
{
	return i < nr_all ? all[i] : NULL;
}

/* Destroys every device, the last created first. */
void virtio__destroy_all(void)
{
	while (nr_all > 0)
		virtio__destroy(all[--nr_all]);
}
