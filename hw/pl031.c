/*
 * ARM PrimeCell PL031 real-time clock: seconds since the epoch, read from
 * the host's clock plus the offset the guest set by writing the load
 * register. The match interrupt is not raised (documented in docs/usage.md).
 */
#include <pthread.h>
#include <stdint.h>
#include <time.h>

#include "vmm/devices.h"
#include "vmm/fdt.h"
#include "vmm/persist.h"
#include "vmm/vm.h"

enum {
	RTC_DR = 0x00, RTC_MR = 0x04, RTC_LR = 0x08, RTC_CR = 0x0c,
	RTC_IMSC = 0x10, RTC_RIS = 0x14, RTC_MIS = 0x18, RTC_ICR = 0x1c, RTC_ID = 0xfe0,
};

static const uint8_t pl031_id[8] = { 0x31, 0x10, 0x04, 0x00, 0x0d, 0xf0, 0x05, 0xb1 };

static struct pl031 {
	pthread_mutex_t lock;
	int64_t offset;		/* guest time minus host time, in seconds */
	uint32_t mr, imsc;
	struct device_place place;
} rtc = { .lock = PTHREAD_MUTEX_INITIALIZER };

static uint32_t host_now(void)
{
	return (uint32_t)time(NULL);
}

/* Modulo 2^32, as the 32-bit counter wraps: no signed overflow for any offset. */
static uint32_t guest_now(const struct pl031 *r)
{
	return (uint32_t)((uint64_t)host_now() + (uint64_t)r->offset);
}

static uint32_t reg_read(struct pl031 *r, uint64_t off)
{
	if (off >= RTC_ID && off < RTC_ID + 0x20)
		return pl031_id[(off - RTC_ID) / 4];
	switch (off) {
	case RTC_DR: return guest_now(r);
	case RTC_MR: return r->mr;
	case RTC_LR: return guest_now(r);
	case RTC_CR: return 1;	/* always running */
	case RTC_IMSC: return r->imsc;
	default: return 0;
	}
}

static void reg_write(struct pl031 *r, uint64_t off, uint32_t v)
{
	switch (off) {
	case RTC_MR: r->mr = v; break;
	case RTC_LR: r->offset = (int64_t)v - (int64_t)host_now(); break;
	case RTC_IMSC: r->imsc = v & 1; break;
	default: break;
	}
}

static void pl031_mmio(struct mmio_region *region, uint64_t offset, uint8_t *data,
		       uint32_t len, bool is_write)
{
	struct pl031 *r = region->dev;

	pthread_mutex_lock(&r->lock);
	if (is_write)
		reg_write(r, offset, (uint32_t)mmio__get(data, len));
	else
		mmio__put(data, len, reg_read(r, offset));
	pthread_mutex_unlock(&r->lock);
}

static int pl031_init(struct vm *vm)
{
	int err = arch__device_place(DEVICE_RTC, 0, &rtc.place);

	return err ?: mmio__register(&vm->mmio, rtc.place.base, rtc.place.size, pl031_mmio,
				     &rtc, "pl031");
}

/* The offset from real time is what the guest set; time itself goes on. */
static void pl031_save(struct vm *vm, struct pbuf *b)
{
	pthread_mutex_lock(&rtc.lock);
	pbuf__put_u64(b, (uint64_t)rtc.offset);
	pbuf__put_u32(b, rtc.mr);
	pbuf__put_u32(b, rtc.imsc);
	pthread_mutex_unlock(&rtc.lock);
}

/*
 * A guest sets the offset through the 32-bit load register, so a saved one
 * lies within +-2^32 s; anything else is a damaged or crafted snapshot.
 */
#define PL031_OFFSET_MAX	(INT64_C(1) << 32)

static int pl031_restore(struct vm *vm, struct preader *r)
{
	int64_t offset = (int64_t)preader__get_u64(r);
	uint32_t mr = preader__get_u32(r), imsc = preader__get_u32(r);

	if (!preader__ok(r) || offset > PL031_OFFSET_MAX || offset < -PL031_OFFSET_MAX)
		return -1;
	pthread_mutex_lock(&rtc.lock);
	rtc.offset = offset;
	rtc.mr = mr;
	rtc.imsc = imsc & 1;
	pthread_mutex_unlock(&rtc.lock);
	return 0;
}

static const char pl031_compatible[] = "arm,pl031\0arm,primecell";

static int pl031_fdt(struct vm *vm, struct fdt_params *p)
{
	const struct fdt_device d = {
		.name = "pl031", .compatible = pl031_compatible,
		.compatible_len = sizeof(pl031_compatible),
		.base = rtc.place.base, .size = rtc.place.size, .irq = rtc.place.irq,
		.primecell_clocks = true,
	};

	return fdt__add_device(p, &d);
}

const struct device_ops pl031_device = {
	.name = "pl031",
	.init = pl031_init,
	.fdt_node = pl031_fdt,
	.save = pl031_save,
	.restore = pl031_restore,
};
