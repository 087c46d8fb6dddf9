#ifndef VMM_TESTS_FAKE_VIRTIO_H
#define VMM_TESTS_FAKE_VIRTIO_H

/*
 * A fake virtio transport for device unit tests (tests/unit/fake-virtio.c).
 *
 * It defines what include/vmm/virtio.h declares for devices (create, start,
 * destroy, pop, push, notify, fail, watch_fd ...) without KVM: a device's
 * guest memory is vm->ram at RAM_BASE (vm->ram_size bytes, e.g. a malloc'd
 * buffer), its queues are real struct virtqueues (virtio/virtqueue.c) the
 * test lays out there as a driver would, and its callbacks run on the
 * test's own thread, with dev->lock held as the transport would hold it.
 * There is no I/O thread: fake_virtio__poll() waits on the watched fds and
 * calls fd_ready().
 */
#include <stdbool.h>
#include <stdint.h>

#include "vmm/virtio.h"

struct vm;

/* What the fake saw of a device. */
struct fake_virtio_stats {
	unsigned notifies;		/* used buffer notifications that went out */
	unsigned config_changes;
	bool started;
	bool failed;			/* virtio__fail(): NEEDS_RESET */
	char why[160];			/* its first reason */
};

/* The devices created so far (in order), and their number. */
unsigned fake_virtio__nr_devs(void);
struct virtio_dev *fake_virtio__dev(unsigned i);
struct fake_virtio_stats *fake_virtio__stats(struct virtio_dev *dev);
/* Destroys every device (ops->exit) and forgets them. */
void fake_virtio__destroy_all(void);

/*
 * The fake driver accepts every offered feature but these at its next
 * fake_virtio__setup_queue() (0: all of them, the default).
 */
void fake_virtio__refuse(struct virtio_dev *dev, uint64_t features);

/*
 * Acts as a driver that accepted every offered feature (but the refused ones) (and the
 * transport's) and set up queue q of num entries at the given guest
 * addresses, then DRIVER_OK (and calls ops->activate). 0 or -EINVAL.
 */
int fake_virtio__setup_queue(struct virtio_dev *dev, unsigned q, uint32_t num, uint64_t desc,
			     uint64_t avail, uint64_t used) __must_check;

/* The driver notified queue q: ops->queue_notify, as the I/O thread would. */
void fake_virtio__kick(struct virtio_dev *dev, unsigned q);
/*
 * Waits up to timeout_ms for a watched fd to be ready and calls fd_ready
 * for each one that is. Returns how many were ready (0 on timeout).
 */
int fake_virtio__poll(struct virtio_dev *dev, int timeout_ms);
/* ops->drain and ops->reset (the latter also resets the transport state). */
void fake_virtio__drain(struct virtio_dev *dev);
void fake_virtio__reset(struct virtio_dev *dev);

#endif
