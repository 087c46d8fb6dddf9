/*
 * virtio entropy device (--rng): each buffer the driver offers on its one
 * queue is filled from getrandom(2), the host kernel's CSPRNG.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "vmm/config.h"
#include "vmm/virtio.h"
#include "vmm/vm.h"

#define RNG_QUEUE_SIZE	64

/* Fills len bytes; false only if the host's generator fails. */
static bool fill(uint8_t *p, uint32_t len)
{
	while (len > 0) {
		ssize_t n = getrandom(p, len, 0);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return false;
		p += n;
		len -= (uint32_t)n;
	}
	return true;
}

static void rng_queue_notify(struct virtio_dev *dev, unsigned q)
{
	struct vq_elem elem[RNG_QUEUE_SIZE];
	struct vq_chain c;
	bool pushed = false;

	vq__chain_init(&c, elem, RNG_QUEUE_SIZE);
	while (virtio__pop(dev, 0, &c, VQ_IN) == 1) {
		uint32_t done = 0;

		for (uint32_t i = 0; i < c.nr; i++) {
			if (!fill(elem[i].host, elem[i].len))
				break;
			done += elem[i].len;
		}
		virtio__push(dev, 0, c.head, done);
		pushed = true;
	}
	if (pushed)
		virtio__notify(dev, 0);
}

static const struct virtio_dev_ops rng_ops = {
	.name = "virtio-rng",
	.device_id = VIRTIO_ID_RNG,
	.nr_queues = 1,
	.queue_max = RNG_QUEUE_SIZE,
	.queue_notify = rng_queue_notify,
};

int virtio_rng__init(struct vm *vm)
{
	struct virtio_dev *dev = virtio__create(vm, &rng_ops, NULL);

	if (!dev)
		return -VMM_ERR_INTERNAL;
	return virtio__start(dev);
}
