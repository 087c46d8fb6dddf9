/*
 * The virtio-mmio register file (virtio/mmio.c) and the transport core
 * (virtio/core.c, virtio/state.c) as a driver sees them, without KVM: a
 * device from virtio__alloc() over fake guest memory, eventfds standing in
 * for the ioeventfds and the irqfd, every access through the MMIO handler.
 */
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "unit.h"
#include "arm64/layout.h"
#include "vmm/mmio.h"
#include "vmm/persist.h"
#include "vmm/virtio.h"
#include "vmm/vm.h"
#include "../../virtio/internal.h"

#define RAM_SIZE	(1 << 20)
#define DESC_GPA	(RAM_BASE + 0x1000)
#define AVAIL_GPA	(RAM_BASE + 0x2000)
#define USED_GPA	(RAM_BASE + 0x3000)
#define TEST_FEATURE	3

unsigned arch__irqfd_gsi(unsigned spi)
{
	return spi;
}

/* an I/O thread that cannot enter its seccomp filter stops the VM */
void vm__request_stop(struct vm *vm, int status)
{
}

static int activated, resets, config_writes;
static uint32_t last_config_write;

static void t_activate(struct virtio_dev *dev) { activated++; }
static void t_reset(struct virtio_dev *dev) { resets++; }

static void t_config_write(struct virtio_dev *dev, uint32_t off, const uint8_t *data, uint32_t len)
{
	config_writes++;
	last_config_write = off << 8 | len;
}

static const struct virtio_dev_ops test_ops = {
	.name = "virtio-test",
	.device_id = 42,
	.nr_queues = 2,
	.queue_max = 16,
	.features = 1ULL << TEST_FEATURE,
	.config_size = 8,
	.config_write = t_config_write,
	.activate = t_activate,
	.reset = t_reset,
};

struct fx {
	struct vm vm;
	struct virtio_dev *dev;
	struct mmio_region region;
};

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	f->vm.ram = calloc(1, RAM_SIZE);
	f->vm.ram_size = RAM_SIZE;
	f->vm.ram_base = RAM_BASE;
	f->dev = virtio__alloc(&f->vm, &test_ops, NULL);
	f->dev->irq_fd = eventfd(0, EFD_NONBLOCK);
	f->dev->wake_fd = eventfd(0, EFD_NONBLOCK);
	for (unsigned q = 0; q < test_ops.nr_queues; q++)
		f->dev->queues[q].kick_fd = eventfd(0, EFD_NONBLOCK);
	memcpy(f->dev->config, "\x11\x22\x33\x44\x55\x66\x77\x88", 8);
	f->region.dev = f->dev;
	activated = resets = config_writes = 0;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	close(f->dev->irq_fd);
	close(f->dev->wake_fd);
	for (unsigned q = 0; q < test_ops.nr_queues; q++)
		close(f->dev->queues[q].kick_fd);
	free(f->dev);
	free(f->vm.ram);
	free(f);
	return 0;
}

static uint32_t rd(struct fx *f, uint64_t off)
{
	uint8_t data[4];

	virtio__mmio_access(&f->region, off, data, 4, false);
	return (uint32_t)get_le(data, 4);
}

static void wr(struct fx *f, uint64_t off, uint32_t v)
{
	uint8_t data[4];

	put_le(data, v, 4);
	virtio__mmio_access(&f->region, off, data, 4, true);
}

/* The eventfd's count since the last call (0 when not signalled). */
static uint64_t signalled(int fd)
{
	uint64_t v = 0;

	return read(fd, &v, sizeof(v)) == sizeof(v) ? v : 0;
}

/* ACKNOWLEDGE, DRIVER, the features, FEATURES_OK; returns the status read back. */
static uint32_t negotiate(struct fx *f, uint64_t features)
{
	wr(f, 0x070, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER);
	wr(f, 0x024, 0);
	wr(f, 0x020, (uint32_t)features);
	wr(f, 0x024, 1);
	wr(f, 0x020, (uint32_t)(features >> 32));
	wr(f, 0x070, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER | VIRTIO_STATUS_FEATURES_OK);
	return rd(f, 0x070);
}

static void setup_queue(struct fx *f, unsigned q, uint32_t num, uint64_t desc)
{
	wr(f, 0x030, q);
	wr(f, 0x038, num);
	wr(f, 0x080, (uint32_t)desc);
	wr(f, 0x084, (uint32_t)(desc >> 32));
	wr(f, 0x090, (uint32_t)AVAIL_GPA);
	wr(f, 0x094, 0);
	wr(f, 0x0a0, (uint32_t)USED_GPA);
	wr(f, 0x0a4, 0);
	wr(f, 0x044, 1);
}

#define ALL_STATUS (VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER | \
		    VIRTIO_STATUS_FEATURES_OK | VIRTIO_STATUS_DRIVER_OK)
#define VERSION_1 (1ULL << VIRTIO_F_VERSION_1)

/* A driver that brings the device all the way up with queue 0. */
static void bring_up(struct fx *f)
{
	assert_true(negotiate(f, VERSION_1 | 1ULL << VIRTIO_RING_F_EVENT_IDX) &
		    VIRTIO_STATUS_FEATURES_OK);
	setup_queue(f, 0, 8, DESC_GPA);
	wr(f, 0x070, ALL_STATUS);
}

static void test_identity(void **state)
{
	struct fx *f = *state;

	assert_int_equal(rd(f, 0x000), 0x74726976);
	assert_int_equal(rd(f, 0x004), 2);
	assert_int_equal(rd(f, 0x008), 42);
	wr(f, 0x014, 0);
	assert_int_equal(rd(f, 0x010), 1u << TEST_FEATURE | 1u << VIRTIO_RING_F_INDIRECT_DESC |
			 1u << VIRTIO_RING_F_EVENT_IDX);
	wr(f, 0x014, 1);
	assert_int_equal(rd(f, 0x010), 1);	/* VERSION_1 */
	wr(f, 0x014, 2);
	assert_int_equal(rd(f, 0x010), 0);
	assert_int_equal(rd(f, 0x034), 16);	/* QueueSel 0 before any write */
}

static void test_queue_num_max(void **state)
{
	struct fx *f = *state;

	wr(f, 0x030, 1);
	assert_int_equal(rd(f, 0x034), 16);
	wr(f, 0x030, 2);			/* no such queue */
	assert_int_equal(rd(f, 0x034), 0);
}

static void test_features_ok_rules(void **state)
{
	struct fx *f = *state;

	/* A legacy driver (no VERSION_1) does not get FEATURES_OK. */
	assert_false(negotiate(f, 1ULL << TEST_FEATURE) & VIRTIO_STATUS_FEATURES_OK);
	wr(f, 0x070, 0);
	/* Nor one that takes a feature it was not offered. */
	assert_false(negotiate(f, VERSION_1 | 1ULL << 5) & VIRTIO_STATUS_FEATURES_OK);
	wr(f, 0x070, 0);
	assert_true(negotiate(f, VERSION_1 | 1ULL << TEST_FEATURE) & VIRTIO_STATUS_FEATURES_OK);
	assert_int_equal(f->dev->driver_features, VERSION_1 | 1ULL << TEST_FEATURE);
	/* Features are fixed once FEATURES_OK holds. */
	wr(f, 0x024, 0);
	wr(f, 0x020, 0);
	assert_int_equal(f->dev->driver_features, VERSION_1 | 1ULL << TEST_FEATURE);
}

static void test_queue_setup(void **state)
{
	struct fx *f = *state;

	assert_true(negotiate(f, VERSION_1) & VIRTIO_STATUS_FEATURES_OK);
	setup_queue(f, 0, 8, DESC_GPA);
	assert_int_equal(rd(f, 0x044), 1);
	assert_true(f->dev->queues[0].vq.ready);
	assert_int_equal(f->dev->queues[0].vq.desc, DESC_GPA);
	/* A live queue's registers do not change. */
	wr(f, 0x038, 4);
	wr(f, 0x080, 0);
	assert_int_equal(rd(f, 0x038), 8);
	assert_int_equal(rd(f, 0x080), (uint32_t)DESC_GPA);
	/* QueueReady 0 takes it down. */
	wr(f, 0x044, 0);
	assert_int_equal(rd(f, 0x044), 0);
	assert_false(f->dev->queues[0].vq.ready);
	assert_false(rd(f, 0x070) & VIRTIO_STATUS_NEEDS_RESET);
}

static void test_bad_queue_needs_reset(void **state)
{
	struct fx *f = *state;

	assert_true(negotiate(f, VERSION_1) & VIRTIO_STATUS_FEATURES_OK);
	setup_queue(f, 1, 8, RAM_BASE + RAM_SIZE - 16);	/* the table runs off the end */
	assert_int_equal(rd(f, 0x044), 0);
	assert_true(rd(f, 0x070) & VIRTIO_STATUS_NEEDS_RESET);
	/* The driver cannot clear it but by a reset. */
	wr(f, 0x070, ALL_STATUS);
	assert_true(rd(f, 0x070) & VIRTIO_STATUS_NEEDS_RESET);
	wr(f, 0x070, 0);
	assert_int_equal(rd(f, 0x070), 0);
	assert_false(f->dev->queues[1].vq.broken);
}

static void test_driver_ok_activates(void **state)
{
	struct fx *f = *state;

	bring_up(f);
	assert_int_equal(activated, 1);
	/* Every queue gets looked at once, in case buffers came first. */
	assert_int_equal(f->dev->pending_queues, 3);
	assert_int_equal(signalled(f->dev->wake_fd), 1);
	assert_true(virtio__queue_live(f->dev, 0));
	assert_false(virtio__queue_live(f->dev, 1));
	/* DRIVER_OK without FEATURES_OK does not activate. */
	wr(f, 0x070, 0);
	wr(f, 0x070, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER | VIRTIO_STATUS_DRIVER_OK);
	assert_int_equal(activated, 1);
}

static void test_reset(void **state)
{
	struct fx *f = *state;

	bring_up(f);
	f->dev->interrupt_status = 3;
	wr(f, 0x070, 0);
	assert_int_equal(resets, 1);
	assert_int_equal(rd(f, 0x070), 0);
	assert_int_equal(rd(f, 0x060), 0);
	assert_int_equal(f->dev->driver_features, 0);
	wr(f, 0x030, 0);
	assert_int_equal(rd(f, 0x044), 0);
	assert_int_equal(rd(f, 0x038), 0);
	assert_false(f->dev->queues[0].vq.ready);
}

static void test_config_space(void **state)
{
	struct fx *f = *state;
	uint8_t data[8];

	virtio__mmio_access(&f->region, 0x100, data, 4, false);
	assert_int_equal(get_le(data, 4), 0x44332211);
	virtio__mmio_access(&f->region, 0x106, data, 2, false);
	assert_int_equal(get_le(data, 2), 0x8877);
	virtio__mmio_access(&f->region, 0x105, data, 1, false);
	assert_int_equal(data[0], 0x66);
	/* Past the end (or straddling it) reads zeros. */
	virtio__mmio_access(&f->region, 0x106, data, 4, false);
	assert_int_equal(get_le(data, 4), 0);
	virtio__mmio_access(&f->region, 0x1f0, data, 4, false);
	assert_int_equal(get_le(data, 4), 0);
	put_le(data, 0xabcd, 2);
	virtio__mmio_access(&f->region, 0x102, data, 2, true);
	assert_int_equal(config_writes, 1);
	assert_int_equal(last_config_write, 2 << 8 | 2);
	virtio__mmio_access(&f->region, 0x108, data, 2, true);	/* outside: dropped */
	assert_int_equal(config_writes, 1);
	assert_int_equal(rd(f, 0x0fc), 0);
	virtio__config_changed(f->dev);
	assert_int_equal(rd(f, 0x0fc), 1);
}

static void test_register_widths(void **state)
{
	struct fx *f = *state;
	uint8_t data[2] = { 0xff, 0xff };

	virtio__mmio_access(&f->region, 0x000, data, 2, false);
	assert_int_equal(get_le(data, 2), 0);		/* registers are 32-bit only */
	put_le(data, 0, 2);
	bring_up(f);
	virtio__mmio_access(&f->region, 0x070, data, 2, true);
	assert_int_equal(rd(f, 0x070), ALL_STATUS);	/* not a reset */
	assert_int_equal(rd(f, 0x072), 0);		/* unaligned */
}

static void test_interrupts(void **state)
{
	struct fx *f = *state;

	bring_up(f);
	signalled(f->dev->irq_fd);
	/* The first used-buffer check after set-up always says yes. */
	virtio__notify(f->dev, 0);
	assert_int_equal(signalled(f->dev->irq_fd), 1);
	assert_int_equal(rd(f, 0x060), 1);
	wr(f, 0x064, 1);
	assert_int_equal(rd(f, 0x060), 0);
	/* A broken queue: NEEDS_RESET and a config interrupt, once. */
	virtio__fail(f->dev, "test");
	virtio__fail(f->dev, "test again");
	assert_true(rd(f, 0x070) & VIRTIO_STATUS_NEEDS_RESET);
	assert_int_equal(rd(f, 0x060), 2);
	assert_int_equal(signalled(f->dev->irq_fd), 1);
	assert_false(virtio__queue_live(f->dev, 0));
}

static void test_notify_register(void **state)
{
	struct fx *f = *state;

	/* A notification KVM's ioeventfd did not catch ends up the same. */
	wr(f, 0x050, 1);
	assert_int_equal(signalled(f->dev->queues[1].kick_fd), 1);
	assert_int_equal(signalled(f->dev->queues[0].kick_fd), 0);
	wr(f, 0x050, 7);			/* no such queue: ignored */
}

static void test_state_round_trip(void **state)
{
	struct fx *f = *state;
	struct virtio_dev *copy;
	struct pbuf b;
	struct preader r;

	bring_up(f);
	f->dev->interrupt_status = 1;
	f->dev->config[3] = 0x99;
	pbuf__init(&b);
	virtio__save_state(f->dev, &b);
	assert_false(b.failed);

	copy = virtio__alloc(&f->vm, &test_ops, NULL);
	copy->wake_fd = eventfd(0, EFD_NONBLOCK);
	preader__init(&r, b.data, b.len);
	assert_int_equal(virtio__restore_state(copy, &r), 0);
	assert_true(preader__done(&r));
	assert_int_equal(copy->status, ALL_STATUS);
	assert_int_equal(copy->driver_features, f->dev->driver_features);
	assert_int_equal(copy->interrupt_status, 1);
	assert_int_equal(copy->config[3], 0x99);
	assert_true(copy->queues[0].vq.ready);
	assert_int_equal(copy->queues[0].vq.num, 8);
	assert_false(copy->queues[1].vq.ready);
	assert_int_equal(copy->pending_queues, 3);

	/* Another device type's state, or a truncated one, is refused. */
	for (size_t cut = 0; cut < b.len; cut += 7) {
		struct virtio_dev *bad = virtio__alloc(&f->vm, &test_ops, NULL);

		bad->wake_fd = copy->wake_fd;
		preader__init(&r, b.data, cut);
		assert_int_not_equal(virtio__restore_state(bad, &r), 0);
		free(bad);
	}
	close(copy->wake_fd);
	free(copy);
	pbuf__free(&b);
}

static void test_state_refuses_other_features(void **state)
{
	struct fx *f = *state;
	struct virtio_dev *other;
	struct pbuf b;
	struct preader r;

	pbuf__init(&b);
	virtio__save_state(f->dev, &b);
	other = virtio__alloc(&f->vm, &test_ops, NULL);
	other->host_features |= 1ULL << 5;	/* e.g. a disk that is read-only here */
	preader__init(&r, b.data, b.len);
	assert_int_not_equal(virtio__restore_state(other, &r), 0);
	free(other);
	pbuf__free(&b);
}

#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_identity),
		T(test_queue_num_max),
		T(test_features_ok_rules),
		T(test_queue_setup),
		T(test_bad_queue_needs_reset),
		T(test_driver_ok_activates),
		T(test_reset),
		T(test_config_space),
		T(test_register_widths),
		T(test_interrupts),
		T(test_notify_register),
		T(test_state_round_trip),
		T(test_state_refuses_other_features),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
