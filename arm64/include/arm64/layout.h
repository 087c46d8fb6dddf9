#ifndef VMM_ARM64_LAYOUT_H
#define VMM_ARM64_LAYOUT_H

#include <stddef.h>
#include <stdint.h>

/*
 * The guest physical memory map (see docs/memory-map.md).
 * Devices live below 2 GiB, RAM starts at 2 GiB.
 */
#define GIC_DIST_BASE		0x08000000ULL
#define GIC_DIST_SIZE		0x00010000ULL
#define GIC_REDIST_BASE		0x080a0000ULL
#define GIC_REDIST_SIZE		0x00020000ULL	/* per vcpu: RD + SGI frames */
#define GIC_REDIST_LIMIT	0x09000000ULL
#define UART_BASE		0x09000000ULL
#define UART_SIZE		0x00001000ULL
#define UART_SPI		1
#define UART_EXTRA		2		/* vmm exec's ttyAMA1, ttyAMA2 */
#define UART_EXTRA_SPI		3		/* theirs: SPI 3 and 4 */
#define RTC_BASE		0x09010000ULL
#define RTC_SIZE		0x00001000ULL
#define RTC_SPI			2
#define TESTDEV_BASE		0x09020000ULL
#define TESTDEV_SIZE		0x00001000ULL
#define EXEC_DOORBELL_BASE	0x09030000ULL	/* vmm exec's exit doorbell */
#define EXEC_DOORBELL_PAGE	0x00001000ULL
#define VIRTIO_MMIO_BASE	0x0a000000ULL
#define VIRTIO_MMIO_SIZE	0x00000200ULL
#define VIRTIO_MMIO_SLOTS	32
#define VIRTIO_SPI_BASE		16
#define RAM_BASE		0x80000000ULL

/* Redistributor frames that fit below GIC_REDIST_LIMIT. */
#define VMM_MAX_VCPUS		((GIC_REDIST_LIMIT - GIC_REDIST_BASE) / GIC_REDIST_SIZE)
#define GIC_NR_IRQS		128	/* 32 private + 96 SPIs */

#define VMM_MIN_IPA_BITS	32	/* the smallest IPA size KVM accepts */

/* The smallest IPA size that covers RAM of ram_size bytes at RAM_BASE. */
unsigned layout__min_ipa_bits(uint64_t ram_size);

/* Where the arm64 boot protocol lets us put the kernel, initrd and DTB. */
struct boot_layout {
	uint64_t kernel;	/* guest address of the Image */
	uint64_t initrd;	/* 0 when there is none */
	uint64_t dtb;
};
#define SZ_2M_BOOT	0x200000ULL
#define FDT_MAX_SIZE	SZ_2M_BOOT

/*
 * Computes the boot layout in RAM [RAM_BASE, RAM_BASE + ram_size).
 * Returns 0, or -1 when RAM is too small (why in err).
 */
int layout__boot(uint64_t ram_size, uint64_t text_offset, uint64_t image_size,
		 uint64_t initrd_size, struct boot_layout *out, char *err, size_t errlen);

#endif
