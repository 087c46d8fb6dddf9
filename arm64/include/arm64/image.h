#ifndef VMM_ARM64_IMAGE_H
#define VMM_ARM64_IMAGE_H

#include <stddef.h>
#include <stdint.h>

/*
 * An arm64 Linux Image (Documentation/arch/arm64/booting.rst), raw or
 * gzip-compressed on disk, held decompressed in memory.
 */
struct arm64_image {
	uint8_t *data;		/* the raw Image bytes (owned) */
	size_t len;		/* bytes in data */
	uint64_t text_offset;	/* load offset from a 2 MiB aligned base */
	uint64_t image_size;	/* bytes the kernel owns once loaded, BSS included */
	uint64_t flags;		/* header flags: bit 0 big-endian, bits 1-2 page size */
};

#define IMAGE_MAX_SIZE	(256ULL << 20)	/* decompressed size limit */

/*
 * Checks the 64-byte header at buf: the "ARM\x64" magic, a little-endian
 * kernel, sane text_offset and image_size. Fills img (not data/len).
 * Returns 0, or -2 (VMM_ERR_INPUT) with a short reason in err.
 */
int image__parse_header(const uint8_t *buf, size_t len, struct arm64_image *img,
			char *err, size_t errlen);

/*
 * Reads a kernel file, raw or gzip-compressed (detected by its magic),
 * and parses its header. Returns 0, or -2 with the reason in err (the
 * caller adds the file name).
 */
int image__load(const char *path, struct arm64_image *img, char *err, size_t errlen);

void image__free(struct arm64_image *img);

#endif
