#ifndef VMM_VIRTIO_H
#define VMM_VIRTIO_H

/*
 * virtio-mmio devices (virtio 1.x, transport version 2). See docs/virtio.md.
 *
 * virtio/mmio.c is the transport: the device's place (from the arch), the
 * register file the guest sees, feature negotiation, interrupts. Below it
 * virtio/core.c holds the device's state, queues and its own I/O thread.
 * Each device type (virtio/blk.c, net.c, console.c, rng.c) fills in a
 * struct virtio_dev_ops and calls virtio__create().
 *
 * Threads and locking: guest register accesses run on vcpu threads; queue
 * notifications arrive through an ioeventfd per queue and are handled on the
 * device's I/O thread, never on a vcpu thread. Every callback below runs
 * with dev->lock held, so a device's callbacks never run concurrently.
 */
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "vmm/guest-mem.h"
#include "vmm/util.h"
#include "vmm/virtqueue.h"

struct vm;
struct pbuf;
struct preader;

/* Device IDs (virtio 1.x "Device Types") */
#define VIRTIO_ID_NET		1
#define VIRTIO_ID_BLOCK		2
#define VIRTIO_ID_CONSOLE	3
#define VIRTIO_ID_RNG		4

/* Feature bits, as bit numbers */
#define VIRTIO_F_VERSION_1	32

/* Device status bits */
#define VIRTIO_STATUS_ACKNOWLEDGE	1
#define VIRTIO_STATUS_DRIVER		2
#define VIRTIO_STATUS_DRIVER_OK		4
#define VIRTIO_STATUS_FEATURES_OK	8
#define VIRTIO_STATUS_NEEDS_RESET	64
#define VIRTIO_STATUS_FAILED		128

#define VIRTIO_MAX_QUEUES	4
#define VIRTIO_CONFIG_MAX	256	/* bytes of device config space */
#define VIRTIO_MAX_FDS		4	/* extra fds a device can watch */
#define VIRTIO_MAX_DEVICES	32	/* the arch may place fewer */

struct virtio_dev;

struct virtio_dev_ops {
	const char *name;		/* "virtio-blk", in messages and the snapshot */
	uint32_t device_id;		/* VIRTIO_ID_* */
	unsigned nr_queues;
	uint16_t queue_max;		/* the largest queue size the driver may choose */
	/*
	 * The device-type features it offers (bit n = feature n). The
	 * transport adds VIRTIO_F_VERSION_1, EVENT_IDX and INDIRECT_DESC; a
	 * device may add its own per instance to dev->host_features before
	 * virtio__start().
	 */
	uint64_t features;
	uint32_t config_size;		/* bytes of dev->config the guest sees */

	/* The guest wrote config space (NULL: writes are ignored). */
	void (*config_write)(struct virtio_dev *dev, uint32_t offset, const uint8_t *data,
			     uint32_t len);
	/*
	 * Queue q has new buffers, or may have: after a notification, and
	 * after a resume or restore for every ready queue. Only called while
	 * the driver has set DRIVER_OK and the device does not need a reset.
	 */
	void (*queue_notify)(struct virtio_dev *dev, unsigned q);
	/* A watched fd (virtio__watch_fd) is ready. */
	void (*fd_ready)(struct virtio_dev *dev, int fd);
	/* The driver set DRIVER_OK (after a feature negotiation). */
	void (*activate)(struct virtio_dev *dev);
	/*
	 * The driver reset the device: forget every popped chain (finish I/O
	 * in flight first; its results are not pushed).
	 */
	void (*reset)(struct virtio_dev *dev);
	/*
	 * Finish everything in flight and push its results, before a snapshot
	 * is written (the VM's vcpus are paused).
	 */
	void (*drain)(struct virtio_dev *dev);
	/* Device-type state beyond the transport's (both NULL when none). */
	void (*save)(struct virtio_dev *dev, struct pbuf *b);
	int (*restore)(struct virtio_dev *dev, struct preader *r);
	/* Frees the device's own state (the thread has stopped). */
	void (*exit)(struct virtio_dev *dev);
};

struct virtio_queue {
	struct virtqueue vq;		/* vq.ready is QueueReady as the driver reads it */
	uint32_t num;			/* as the driver set it (QueueNum) */
	uint64_t desc, driver, device;	/* the driver's addresses (QueueDesc...) */
	int kick_fd;			/* the ioeventfd of QueueNotify with this index */
};

struct virtio_dev {
	const struct virtio_dev_ops *ops;
	struct vm *vm;
	struct guest_mem mem;		/* guest RAM: every access goes through it */
	void *priv;			/* the device type's state */
	unsigned slot;			/* virtio-mmio slot: the arch places it */
	uint64_t base, size;		/* its MMIO range */
	unsigned spi;			/* its interrupt line */
	pthread_mutex_t lock;

	/* Transport state (saved in snapshots) */
	uint64_t host_features, driver_features;
	uint32_t host_features_sel, driver_features_sel;
	uint32_t queue_sel;
	uint32_t status;
	uint32_t interrupt_status;
	uint32_t config_generation;
	struct virtio_queue queues[VIRTIO_MAX_QUEUES];
	uint8_t config[VIRTIO_CONFIG_MAX];

	/* I/O thread */
	int irq_fd;			/* irqfd on the device's SPI */
	int epoll_fd;
	int wake_fd;			/* eventfd: pause, resume, stop */
	int fds[VIRTIO_MAX_FDS];	/* watched fds (-1: free) */
	pthread_t thread;
	bool thread_started;
	pthread_cond_t cond;
	bool paused, stopping;
	uint32_t pending_queues;	/* bit q: look at queue q when running again */
	uint32_t pending_fds;		/* bit i: fds[i] was ready while paused */
	bool warned;			/* the NEEDS_RESET reason was logged */
};

/*
 * A device in the next free virtio-mmio slot: claims its MMIO range, an
 * ioeventfd per queue and an irqfd. The caller fills in dev->config and
 * then calls virtio__start(). Returns NULL (and logs why) on failure.
 */
struct virtio_dev *virtio__create(struct vm *vm, const struct virtio_dev_ops *ops, void *priv);
/* Starts the device's I/O thread. */
int virtio__start(struct virtio_dev *dev) __must_check;
/* Stops the thread, calls ops->exit and frees dev. */
void virtio__destroy(struct virtio_dev *dev);

/*
 * For device callbacks (dev->lock is held):
 * virtio__pop takes the next chain of queue q: 1 with *c filled in, 0 when
 * there is none, -EINVAL when the guest broke the queue (the device is then
 * marked NEEDS_RESET and the reason logged once; stop using the queue).
 * A pop that finds the queue empty asks the driver for a notification at
 * its next buffer, so a device pops until 0 unless it means to stop early
 * (and then pops again, unasked, when it can take more).
 */
int virtio__pop(struct virtio_dev *dev, unsigned q, struct vq_chain *c, enum vq_expect expect);
/* Returns a chain with len bytes written; marks NEEDS_RESET on failure. */
void virtio__push(struct virtio_dev *dev, unsigned q, uint16_t head, uint32_t len);
/* After pushes: interrupts the driver if queue q asks for it. */
void virtio__notify(struct virtio_dev *dev, unsigned q);
/* The driver may use queue q: DRIVER_OK, the queue ready, no reset needed. */
bool virtio__queue_live(const struct virtio_dev *dev, unsigned q);
/* The guest broke the rules: NEEDS_RESET, logged once, and a config interrupt. */
void virtio__fail(struct virtio_dev *dev, const char *why);
/* A config space change: bumps the generation and interrupts the driver. */
void virtio__config_changed(struct virtio_dev *dev);

/*
 * Watched fds: fd_ready() is called on the I/O thread when fd has any of
 * events (EPOLLIN, EPOLLOUT). virtio__watch_fd with events 0 stops watching
 * for a while without forgetting the fd (e.g. no receive buffers).
 */
int virtio__watch_fd(struct virtio_dev *dev, int fd, uint32_t events) __must_check;
void virtio__unwatch_fd(struct virtio_dev *dev, int fd);

/* Every device of the VM (vmm/devices.c lists them as one device, "virtio"). */
extern const struct device_ops virtio_devices;

/* Device types: each creates its devices from the VM's config. */
int virtio_console__init(struct vm *vm) __must_check;
int virtio_blk__init(struct vm *vm) __must_check;
int virtio_net__init(struct vm *vm) __must_check;
int virtio_rng__init(struct vm *vm) __must_check;

/* Bytes typed on the console, for the virtio console (--console virtio). */
void virtio_console__input(const uint8_t *buf, size_t len);

#endif
