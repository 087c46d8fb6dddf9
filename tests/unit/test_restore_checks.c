/*
 * Checks restore makes of device state from a snapshot (untrusted input):
 * a virtio device's driver features must be a subset of its host features,
 * and a ready queue no larger than the device allows;
 * a PL031 offset must be one a guest can set (a crafted INT64_MAX was a
 * signed overflow on every read); and snapshot-info writes names from the
 * snapshot without raw control characters.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include "unit.h"
#include "vmm/devices.h"
#include "vmm/persist.h"
#include "vmm/util.h"
#include "vmm/virtio.h"
#include "vmm/vm.h"
#include "../../virtio/internal.h"

/* virtio/core.c: an I/O thread that cannot enter its seccomp filter stops the VM */
void vm__request_stop(struct vm *vm, int status)
{
}

unsigned arch__irqfd_gsi(unsigned spi)
{
	return spi;
}

/* ---- virtio: driver features within host features ---- */

static const struct virtio_dev_ops test_ops = {
	.name = "virtio-test",
	.device_id = 42,
	.nr_queues = 1,
	.queue_max = 16,
	.features = 1ULL << 3 | 1ULL << 7,
	.config_size = 4,
};

/* The saved state with its driver features replaced by drv. */
static void saved_with(struct virtio_dev *dev, uint64_t drv, struct pbuf *b)
{
	/* str name, u32 device id, u64 host features, then u64 driver features */
	size_t off = 4 + strlen(test_ops.name) + 4 + 8;

	pbuf__init(b);
	virtio__save_state(dev, b);
	assert_false(b->failed);
	assert_int_equal(get_le(b->data + off - 8, 8), dev->host_features);
	put_le(b->data + off, drv, 8);
}

/* Restores the saved state b into a new test_ops device, then frees b. */
static int restore_saved(struct vm *vm, struct pbuf *b, uint64_t *driver_features)
{
	struct virtio_dev *dst = virtio__alloc(vm, &test_ops, NULL);
	struct preader r;
	int ret;

	dst->wake_fd = eventfd(0, EFD_NONBLOCK);
	preader__init(&r, b->data, b->len);
	ret = virtio__restore_state(dst, &r);
	if (driver_features)
		*driver_features = dst->driver_features;
	close(dst->wake_fd);
	free(dst);
	pbuf__free(b);
	return ret;
}

static int restore_with(struct vm *vm, uint64_t drv, uint64_t *got)
{
	struct virtio_dev *src = virtio__alloc(vm, &test_ops, NULL);
	struct pbuf b;

	saved_with(src, drv, &b);
	free(src);
	return restore_saved(vm, &b, got);
}

static void test_driver_features_subset(void **state)
{
	struct vm vm = { .ram_size = 1 << 20, .ram_base = 1 << 30 };
	uint64_t host, got;
	struct virtio_dev *probe;

	vm.ram = calloc(1, vm.ram_size);
	probe = virtio__alloc(&vm, &test_ops, NULL);
	host = probe->host_features;
	free(probe);
	assert_true(host & 1ULL << 3);
	/* every subset of what the device offers is taken as it is */
	assert_int_equal(restore_with(&vm, 0, &got), 0);
	assert_int_equal(got, 0);
	assert_int_equal(restore_with(&vm, 1ULL << 3, &got), 0);
	assert_int_equal(got, 1ULL << 3);
	assert_int_equal(restore_with(&vm, host, &got), 0);
	assert_int_equal(got, host);
	/* one bit more than offered, low or high, is refused */
	assert_int_equal(restore_with(&vm, host | 1ULL << 4, &got), -VMM_ERR_INPUT);
	assert_int_equal(restore_with(&vm, 1ULL << 63, &got), -VMM_ERR_INPUT);
	assert_int_equal(restore_with(&vm, ~0ULL, &got), -VMM_ERR_INPUT);
	free(vm.ram);
}

/* ---- virtio: a ready queue no larger than the device allows ---- */

/* The same device with a larger queue limit, to save a queue test_ops never accepts. */
static const struct virtio_dev_ops test_ops_big_queues = {
	.name = "virtio-test",
	.device_id = 42,
	.nr_queues = 1,
	.queue_max = 64,
	.features = 1ULL << 3 | 1ULL << 7,
	.config_size = 4,
};

static int restore_queue_of(struct vm *vm, uint32_t num)
{
	struct virtio_dev *src = virtio__alloc(vm, &test_ops_big_queues, NULL);
	struct virtio_queue *q = &src->queues[0];
	struct pbuf b;

	q->num = num;
	q->desc = vm->ram_base;
	q->driver = vm->ram_base + 0x1000;
	q->device = vm->ram_base + 0x2000;
	assert_int_equal(vq__setup(&q->vq, num, q->desc, q->driver, q->device, 0), 0);
	pbuf__init(&b);
	virtio__save_state(src, &b);
	assert_false(b.failed);
	free(src);
	return restore_saved(vm, &b, NULL);
}

static void test_queue_size_limit(void **state)
{
	struct vm vm = { .ram_size = 1 << 20, .ram_base = 1 << 30 };

	vm.ram = calloc(1, vm.ram_size);
	assert_int_equal(restore_queue_of(&vm, 16), 0);		/* test_ops' queue_max */
	assert_int_equal(restore_queue_of(&vm, 32), -VMM_ERR_INPUT);	/* a valid ring, too big here */
	free(vm.ram);
}

/* ---- PL031 ---- */

static int pl031_restore_offset(int64_t offset)
{
	struct preader r;
	struct pbuf b;
	int ret;

	pbuf__init(&b);
	pbuf__put_u64(&b, (uint64_t)offset);
	pbuf__put_u32(&b, 0);
	pbuf__put_u32(&b, 1);
	preader__init(&r, b.data, b.len);
	ret = pl031_device.restore(NULL, &r);
	pbuf__free(&b);
	return ret;
}

static uint32_t pl031_read(struct vm *vm, uint64_t off)
{
	struct device_place place;
	uint8_t data[4];

	assert_int_equal(arch__device_place(DEVICE_RTC, 0, &place), 0);
	assert_true(mmio__dispatch(&vm->mmio, place.base + off, data, 4, false));
	return (uint32_t)get_le(data, 4);
}

static void test_pl031_offset(void **state)
{
	struct vm vm = { 0 };
	uint32_t now;

	mmio__init(&vm.mmio);
	assert_int_equal(pl031_device.init(&vm), 0);
	/* what a crafted snapshot may hold: refused, not an overflow later */
	assert_int_not_equal(pl031_restore_offset(INT64_MAX), 0);
	assert_int_not_equal(pl031_restore_offset(INT64_MIN), 0);
	assert_int_not_equal(pl031_restore_offset((INT64_C(1) << 32) + 1), 0);
	/* the extremes a guest can set: read back modulo 2^32, without UB */
	assert_int_equal(pl031_restore_offset(INT64_C(1) << 32), 0);
	now = (uint32_t)time(NULL);
	assert_true(pl031_read(&vm, 0) - now <= 1);	/* + 2^32 wraps to now */
	assert_int_equal(pl031_restore_offset(-(INT64_C(1) << 32)), 0);
	assert_true(pl031_read(&vm, 0) - now <= 1);
	assert_int_equal(pl031_restore_offset(-1000), 0);
	assert_true(pl031_read(&vm, 0) - (now - 1000) <= 1);
}

/* ---- names printed for a terminal ---- */

static void test_printable(void **state)
{
	char *text = NULL;
	size_t len;
	FILE *f = open_memstream(&text, &len);

	fput_printable("/srv/a.img", f);
	fputc('|', f);
	fput_printable("x\x1b[2Jy\\z\x7f\n\xc3\xa9", f);
	fclose(f);
	assert_string_equal(text, "/srv/a.img|x\\x1b[2Jy\\\\z\\x7f\\x0a\\xc3\\xa9");
	free(text);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_driver_features_subset),
		cmocka_unit_test(test_queue_size_limit),
		cmocka_unit_test(test_pl031_offset),
		cmocka_unit_test(test_printable),
	};

	return cmocka_run_group_tests_name("restore_checks", tests, NULL, NULL);
}
