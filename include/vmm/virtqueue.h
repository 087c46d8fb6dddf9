#ifndef VMM_VIRTQUEUE_H
#define VMM_VIRTQUEUE_H

/*
 * The device side of a virtio 1.x split virtqueue (little-endian), over guest
 * memory that the guest may change at any moment. See docs/virtio.md.
 *
 * The guest is untrusted: a malformed ring or descriptor chain makes the
 * queue "broken" (vq->broken, with the first reason in vq->why) and every
 * later pop fails. The caller sets DEVICE_NEEDS_RESET and logs vq->why once;
 * the VMM runs on. Nothing here writes a log line.
 *
 * One thread at a time per queue: the caller serialises pop, push, notify,
 * save and restore. Ordering against the guest is done here, with fences.
 */
#include <stdbool.h>
#include <stdint.h>
#include <sys/uio.h>

#include "vmm/guest-mem.h"
#include "vmm/util.h"

struct pbuf;
struct preader;

#define VQ_MAX_SIZE			32768	/* the largest queue size */

/* Descriptor flags */
#define VRING_DESC_F_NEXT		1
#define VRING_DESC_F_WRITE		2	/* device-writable */
#define VRING_DESC_F_INDIRECT		4
/* Available ring flags, used ring flags */
#define VRING_AVAIL_F_NO_INTERRUPT	1
#define VRING_USED_F_NO_NOTIFY		1
/* Feature bits (as bit numbers) */
#define VIRTIO_RING_F_INDIRECT_DESC	28
#define VIRTIO_RING_F_EVENT_IDX		29

struct virtqueue {
	const struct guest_mem *mem;
	uint64_t desc, avail, used;	/* guest addresses of the three parts */
	uint32_t num;			/* queue size: a power of 2, at most 32768 */
	uint16_t last_avail_idx;	/* the next available entry to pop */
	uint16_t used_idx;		/* our copy of used->idx */
	uint16_t signalled_used;	/* used_idx at the last vq__should_notify() */
	bool signalled_valid;		/* false: the next should_notify says yes */
	bool event_idx;			/* VIRTIO_RING_F_EVENT_IDX negotiated */
	bool indirect;			/* VIRTIO_RING_F_INDIRECT_DESC negotiated */
	bool ready;			/* set up: the fields above are checked */
	bool broken;			/* the guest broke the rules: needs a reset */
	char why[160];			/* the first reason it broke */
};

/* One buffer of a chain: guest range [gpa, gpa + len) mapped at host. */
struct vq_elem {
	uint64_t gpa;
	void *host;		/* inside guest memory; valid only when len > 0 */
	uint32_t len;
	bool writable;		/* device-writable (VRING_DESC_F_WRITE) */
};

/*
 * A popped chain: device-readable elements first (nr_out of them), then
 * device-writable ones. The caller provides room for max elements; a chain
 * of more is malformed (a device's limit, virtio "Message Framing"). With
 * max >= num every legal chain fits, since no chain is longer than num.
 */
struct vq_chain {
	struct vq_elem *elem;
	uint32_t max;
	uint32_t nr, nr_out;
	uint32_t out_len, in_len;	/* bytes readable, bytes writable */
	uint16_t head;			/* what vq__push() gives back */
};

/*
 * Elements e[0..n) of a popped chain as one byte stream: a driver may frame
 * a message any way it likes, so a header, data or status need not have
 * buffers of their own.
 * vq__elems_iov: the host ranges of bytes [off, off + len) into iov, at most
 * one entry per element (none for an empty one); returns how many.
 * vq__elems_copy: copies bytes [off, off + len) out of (to_guest false) or
 * into guest memory, as far as the elements go.
 */
unsigned vq__elems_iov(const struct vq_elem *e, unsigned n, uint64_t off, uint64_t len,
		       struct iovec *iov);
void vq__elems_copy(const struct vq_elem *e, unsigned n, uint64_t off, void *buf, size_t len,
		    bool to_guest);

/* What a device accepts from a queue; anything else is malformed. */
enum vq_expect {
	VQ_ANY,		/* readable then writable elements, any number of each */
	VQ_OUT,		/* device-readable elements only (e.g. transmit) */
	VQ_IN,		/* device-writable elements only (e.g. receive, entropy) */
	VQ_OUT_IN,	/* at least one readable, then at least one writable (block) */
};

/* A reset queue over mem: not ready, not broken. */
void vq__init(struct virtqueue *vq, const struct guest_mem *mem);
void vq__reset(struct virtqueue *vq);

/*
 * Makes a queue ready once the driver has set it up: num a power of 2 no
 * larger than 32768, the descriptor table (16-byte aligned, 16 * num bytes),
 * available ring (2-aligned, 6 + 2 * num) and used ring (4-aligned,
 * 6 + 8 * num) inside guest memory. features are the negotiated ones.
 * Returns 0, or -EINVAL and breaks the queue.
 */
int vq__setup(struct virtqueue *vq, uint32_t num, uint64_t desc, uint64_t avail,
	      uint64_t used, uint64_t features) __must_check;

void vq__chain_init(struct vq_chain *c, struct vq_elem *elem, uint32_t max);

/*
 * Takes the next available chain: 1 with *c filled in, 0 when there is none
 * (or the queue is not ready), -EINVAL when the queue is or becomes broken.
 */
int vq__pop(struct virtqueue *vq, struct vq_chain *c, enum vq_expect expect) __must_check;

/*
 * Returns chain head to the driver with len bytes written, and publishes
 * used->idx after the element (release). -EINVAL when the queue is not ready
 * or broken, or head is not one popped and not yet pushed by count.
 */
int vq__push(struct virtqueue *vq, uint16_t head, uint32_t len) __must_check;

/*
 * Several chains at once (a network frame spread over receive buffers):
 * every used element is written before used->idx moves past all of them,
 * so the driver never sees some without the others. Same errors as
 * vq__push (nothing is published on one).
 */
struct vq_used {
	uint16_t head;
	uint32_t len;
};
int vq__push_many(struct virtqueue *vq, const struct vq_used *u, unsigned n) __must_check;

/*
 * After one or more pushes: must the driver get a used buffer notification?
 * With event idx, by used_event (vring_need_event); else by the available
 * ring's NO_INTERRUPT flag. Each call covers the pushes since the last one.
 */
bool vq__should_notify(struct virtqueue *vq);

/*
 * Available buffer notifications. disable: the device is polling (without
 * event idx, sets NO_NOTIFY; with it, nothing: avail_event stays behind).
 * enable: asks for a notification at the next available buffer (avail_event
 * = last_avail_idx, or clears NO_NOTIFY), then looks again: returns 1 if
 * buffers came meanwhile (pop them; no notification will), 0 if none,
 * -EINVAL if the queue is broken.
 */
void vq__disable_notify(struct virtqueue *vq);
int vq__enable_notify(struct virtqueue *vq) __must_check;

/*
 * Persist pair. restore checks everything against mem as vq__setup() does
 * and leaves a reset queue on failure: -EINVAL with a message naming the
 * field in err. The first notification after a restore always goes out.
 */
void vq__save(const struct virtqueue *vq, struct pbuf *b);
int vq__restore(struct virtqueue *vq, const struct guest_mem *mem, struct preader *r,
		char *err, size_t errlen) __must_check;

#endif
