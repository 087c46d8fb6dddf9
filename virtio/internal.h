#ifndef VMM_VIRTIO_INTERNAL_H
#define VMM_VIRTIO_INTERNAL_H

/*
 * Between the transport (mmio.c) and the core of a device (core.c): the
 * transport calls the core, never the other way.
 */
#include <stdint.h>

#include "vmm/virtio.h"

struct mmio_region;

/* mmio.c: the register file, an MMIO handler (takes dev->lock). */
void virtio__mmio_access(struct mmio_region *region, uint64_t off, uint8_t *data, uint32_t len,
			 bool is_write);

/* core.c, for the transport: */

/* With dev->lock held: */
void virtio__reset(struct virtio_dev *dev);
void virtio__queue_reset(struct virtio_queue *q);
/* Has the I/O thread look at queue q, or at every queue. */
void virtio__kick(struct virtio_dev *dev, unsigned q);
void virtio__kick_all(struct virtio_dev *dev);

/* The VM's devices, in slot order. */
unsigned virtio__count(void);
struct virtio_dev *virtio__get(unsigned i);
void virtio__destroy_all(void);
/*
 * A device in the next slot (placed by the arch; NULL when there is no room
 * or memory) with its queues and fds not yet set up (no KVM call):
 * virtio__create() builds on it; unit tests use it alone.
 */
struct virtio_dev *virtio__alloc(struct vm *vm, const struct virtio_dev_ops *ops, void *priv);
/* The I/O thread's epoll and wake fds; then each queue's kick_fd is watched. */
int virtio__open_io(struct virtio_dev *dev) __must_check;
int virtio__watch_kick(struct virtio_dev *dev, unsigned q) __must_check;
/* Closes what virtio__alloc() and the set-up opened, and frees dev. */
void virtio__free(struct virtio_dev *dev);
/* Adds a set-up device to the VM's list (its slot was taken by virtio__alloc). */
void virtio__add(struct virtio_dev *dev);

/* The persist pair of device k (virtio/state.c), for struct device_ops. */
struct pbuf;
struct preader;
void virtio__save_dev(struct vm *vm, unsigned k, struct pbuf *b);
/* The same for one device, with dev->lock held. */
void virtio__save_state(struct virtio_dev *dev, struct pbuf *b);
int virtio__restore_state(struct virtio_dev *dev, struct preader *r);
int virtio__restore_dev(struct vm *vm, unsigned k, struct preader *r);

#endif
