#ifndef VMM_VIRTIO_INTERNAL_H
#define VMM_VIRTIO_INTERNAL_H

/* Between the transport's register file (mmio.c) and its core (core.c). */
#include <stdint.h>

#include "vmm/virtio.h"

struct mmio_region;

/* The register file: an MMIO handler (takes dev->lock). */
void virtio__mmio_access(struct mmio_region *region, uint64_t off, uint8_t *data, uint32_t len,
			 bool is_write);
uint64_t virtio__notify_offset(void);

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
 * A device in the next slot with its queues and fds not yet set up (no
 * KVM call): virtio__create() builds on it; unit tests use it alone.
 */
struct virtio_dev *virtio__alloc(struct vm *vm, const struct virtio_dev_ops *ops, void *priv);

/* The persist pair of device k (virtio/state.c), for struct device_ops. */
struct pbuf;
struct preader;
void virtio__save_dev(struct vm *vm, unsigned k, struct pbuf *b);
/* The same for one device, with dev->lock held. */
void virtio__save_state(struct virtio_dev *dev, struct pbuf *b);
int virtio__restore_state(struct virtio_dev *dev, struct preader *r);
int virtio__restore_dev(struct vm *vm, unsigned k, struct preader *r);

#endif
