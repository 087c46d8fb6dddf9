#include <errno.h>
#include <stdio.h>

#include "arm64/layout.h"
#include "vmm/devices.h"
#include "vmm/vm.h"
#include "vmm/util.h"
#include "vmm/vm.h"

unsigned layout__min_ipa_bits(uint64_t ram_size)
{
	uint64_t top = RAM_BASE + ram_size;
	unsigned bits = VMM_MIN_IPA_BITS;

	while (bits < 64 && (1ULL << bits) < top)
		bits++;
	return bits;
}

unsigned arch__default_ipa_bits(uint64_t ram_size)
{
	return layout__min_ipa_bits(ram_size);
}

/*
 * The Image goes at the start of RAM (2 MiB aligned) plus text_offset, and
 * owns image_size bytes from there (its BSS included). The DTB takes the
 * last 2 MiB of RAM; the initrd sits page-aligned just below the DTB.
 */
int layout__boot(uint64_t ram_size, uint64_t text_offset, uint64_t image_size,
		 uint64_t initrd_size, struct boot_layout *out, char *err, size_t errlen)
{
	uint64_t ram_end = RAM_BASE + ram_size;
	uint64_t kernel_end = RAM_BASE + text_offset + image_size;
	uint64_t dtb = ram_end - FDT_MAX_SIZE;
	uint64_t initrd = dtb - align_up(initrd_size, SZ_4K);

	if (ram_size < FDT_MAX_SIZE || initrd > dtb || kernel_end > initrd) {
		snprintf(err, errlen,
			 "%llu MiB of memory is too small: the kernel needs %llu MiB, the initrd %llu MiB and the device tree 2 MiB",
			 (unsigned long long)(ram_size >> 20),
			 (unsigned long long)((text_offset + image_size + SZ_1M - 1) >> 20),
			 (unsigned long long)((initrd_size + SZ_1M - 1) >> 20));
		return -1;
	}
	out->kernel = RAM_BASE + text_offset;
	out->initrd = initrd_size ? initrd : 0;
	out->dtb = dtb;
	return 0;
}

uint64_t arch__ram_base(void)
{
	return RAM_BASE;
}

/* The devices of docs/memory-map.md: below 2 GiB, their SPIs from 1 up. */
int arch__device_place(enum device_kind kind, unsigned index, struct device_place *out)
{
	switch (kind) {
	case DEVICE_UART:	/* the console, then vmm exec's two: 4 KiB apart */
		if (index > UART_EXTRA)
			return -ENOSPC;
		*out = (struct device_place){ UART_BASE + index * UART_SIZE, UART_SIZE,
					      index ? UART_EXTRA_SPI + (int)index - 1 : UART_SPI };
		return 0;
	case DEVICE_RTC:
		*out = (struct device_place){ RTC_BASE, RTC_SIZE, RTC_SPI };
		break;
	case DEVICE_TESTDEV:
		*out = (struct device_place){ TESTDEV_BASE, TESTDEV_SIZE, -1 };
		break;
	case DEVICE_EXEC_DOORBELL:
		*out = (struct device_place){ EXEC_DOORBELL_BASE, EXEC_DOORBELL_PAGE, -1 };
		break;
	case DEVICE_VIRTIO_MMIO:
		if (index >= VIRTIO_MMIO_SLOTS)
			return -ENOSPC;
		*out = (struct device_place){ VIRTIO_MMIO_BASE + index * VIRTIO_MMIO_SIZE,
					      VIRTIO_MMIO_SIZE, (int)(VIRTIO_SPI_BASE + index) };
		return 0;
	default:
		return -EINVAL;
	}
	return index ? -ENOSPC : 0;
}
