/*
 * The test device (--testdev): the doorbell through which the test
 * guests in guest/ report values. The guest writes an 8-character key
 * (packed little-endian in a 64-bit word) to KEY, then a 64-bit value to
 * VALUE; each VALUE write prints "testdev: KEY=VALUE" (decimal) on stdout.
 */
#include <ctype.h>
#include <pthread.h>
#include <stdio.h>

#include "vmm/devices.h"
#include "vmm/fdt.h"
#include "vmm/persist.h"
#include "vmm/term.h"
#include "vmm/vm.h"

enum { TESTDEV_KEY = 0x00, TESTDEV_VALUE = 0x08 };

static struct testdev {
	pthread_mutex_t lock;
	uint64_t key;
	struct device_place place;
} testdev = { .lock = PTHREAD_MUTEX_INITIALIZER };

/* The key as text; anything unprintable becomes '?'. */
static void key_text(uint64_t key, char out[9])
{
	int i;

	for (i = 0; i < 8 && (key >> (8 * i)) & 0xff; i++) {
		char c = (char)((key >> (8 * i)) & 0xff);

		out[i] = isgraph((unsigned char)c) ? c : '?';
	}
	out[i] = 0;
}

static void testdev_mmio(struct mmio_region *region, uint64_t offset, uint8_t *data,
			 uint32_t len, bool is_write)
{
	struct testdev *t = region->dev;
	char line[64], key[9];
	int n;

	if (!is_write) {
		mmio__put(data, len, 0);
		return;
	}
	pthread_mutex_lock(&t->lock);
	if (offset == TESTDEV_KEY) {
		t->key = mmio__get(data, len);
	} else if (offset == TESTDEV_VALUE) {
		key_text(t->key, key);
		n = snprintf(line, sizeof(line), "testdev: %s=%llu\n", key,
			     (unsigned long long)mmio__get(data, len));
		term__write(line, (size_t)n);
	}
	pthread_mutex_unlock(&t->lock);
}

static bool testdev_wanted(const struct vm_config *cfg)
{
	return cfg->testdev;
}

static int testdev_init(struct vm *vm)
{
	int err = arch__device_place(DEVICE_TESTDEV, 0, &testdev.place);

	return err ?: mmio__register(&vm->mmio, testdev.place.base, testdev.place.size,
				     testdev_mmio, &testdev, "testdev");
}

static void testdev_save(struct vm *vm, struct pbuf *b)
{
	pthread_mutex_lock(&testdev.lock);
	pbuf__put_u64(b, testdev.key);
	pthread_mutex_unlock(&testdev.lock);
}

static int testdev_restore(struct vm *vm, struct preader *r)
{
	pthread_mutex_lock(&testdev.lock);
	testdev.key = preader__get_u64(r);
	pthread_mutex_unlock(&testdev.lock);
	return preader__ok(r) ? 0 : -1;
}

static const char testdev_compatible[] = "vmm,testdev";

static int testdev_fdt(struct vm *vm, struct fdt_params *p)
{
	const struct fdt_device d = {
		.name = "testdev", .compatible = testdev_compatible,
		.compatible_len = sizeof(testdev_compatible),
		.base = testdev.place.base, .size = testdev.place.size, .irq = testdev.place.irq,
	};

	return fdt__add_device(p, &d);
}

const struct device_ops testdev_device = {
	.name = "testdev",
	.wanted = testdev_wanted,
	.init = testdev_init,
	.fdt_node = testdev_fdt,
	.save = testdev_save,
	.restore = testdev_restore,
};
