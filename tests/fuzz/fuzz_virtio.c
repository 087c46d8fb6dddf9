/*
 * libFuzzer target: a virtio device section's payload (the device's name,
 * then virtio__restore_state, virtio/state.c: the transport, each queue's
 * registers and ring state) into a device like vmm's virtio-rng (input byte 0 even) or one with three
 * queues and an 8-byte config space (odd), over 16 MiB of guest memory.
 * A restore either succeeds with a state the device can run with (driver
 * features within host features, each ready queue inside guest memory), or
 * fails with -2; anything else aborts.
 *
 * Built with -DFUZZ_SEED_MAIN: writes the real snapshot's virtio-rng
 * section (tests/fixtures/snapshot-1.0) into the corpus directory given.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>

#include "vmm/persist.h"
#include "vmm/util.h"
#include "vmm/virtio.h"
#include "vmm/vm.h"
#include "../../virtio/internal.h"

/* virtio/core.c: an I/O thread that cannot enter its seccomp filter stops the VM */
void vm__request_stop(struct vm *vm, int status)
{
}

#define RAM_SIZE	(16u << 20)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

unsigned arch__irqfd_gsi(unsigned spi)
{
	return spi;
}

static const struct virtio_dev_ops rng_like = {
	.name = "virtio-rng", .device_id = VIRTIO_ID_RNG, .nr_queues = 1, .queue_max = 64,
};

static const struct virtio_dev_ops three_queues = {
	.name = "virtio-test", .device_id = 42, .nr_queues = 3, .queue_max = 256,
	.features = 1ULL << 3 | 1ULL << 40, .config_size = 8,
};

static void check_restored(const struct virtio_dev *dev)
{
	if (dev->driver_features & ~dev->host_features)
		abort();
	for (unsigned q = 0; q < dev->ops->nr_queues; q++) {
		const struct virtqueue *vq = &dev->queues[q].vq;

		if (vq->ready && (!vq->num || vq->num > dev->ops->queue_max))
			abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct vm vm;
	static int wake_fd = -1;
	struct virtio_dev *dev;
	struct preader r;
	char name[32];
	int ret;

	if (!size)
		return 0;
	if (!vm.ram) {
		vm.ram = calloc(1, RAM_SIZE);
		vm.ram_size = RAM_SIZE;
		vm.ram_base = arch__ram_base();
		wake_fd = eventfd(0, EFD_NONBLOCK);
	}
	/* the section starts with the device's name, which vmm/devices.c reads */
	preader__init(&r, data + 1, size - 1);
	if (!preader__get_str(&r, name, sizeof(name)))
		return 0;
	dev = virtio__alloc(&vm, data[0] & 1 ? &three_queues : &rng_like, NULL);
	if (!dev)
		abort();
	dev->wake_fd = wake_fd;
	ret = virtio__restore_state(dev, &r);
	if (ret != 0 && ret != -VMM_ERR_INPUT)
		abort();
	if (!ret)
		check_restored(dev);
	dev->wake_fd = -1;	/* shared by every input */
	virtio__free(dev);
	return 0;
}

#ifdef FUZZ_SEED_MAIN
#include <stdio.h>

#include "seed-fixture.h"

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: %s CORPUS-DIR\n", argv[0]);
		return 2;
	}
	return seed_sections(argv[1], SNAP_SEC_DEVICE, "", 1) ? 1 : 0;
}
#endif
