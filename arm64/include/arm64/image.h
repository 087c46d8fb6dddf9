#ifndef VMM_ARM64_IMAGE_H
#define VMM_ARM64_IMAGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * An arm64 Linux Image (Documentation/arch/arm64/booting.rst), raw or
 * gzip-compressed on disk. image__open() checks the header without
 * reading the rest; image__read() then reads (or decompresses) the whole
 * Image once, straight to where it runs: no copy in vmm's own memory.
 */
struct arm64_image {
	bool is_open;		/* fd is ours to close */
	int fd;			/* the open file */
	bool gzip;		/* the file is a gzip stream */
	void *zs;		/* gzip: the inflate stream, past the header */
	uint8_t *zbuf;		/* gzip: compressed input read so far */
	uint8_t head[64];	/* the header's bytes (gzip: already inflated) */
	size_t len;		/* bytes of the Image (gzip: known after image__read) */
	uint64_t text_offset;	/* load offset from a 2 MiB aligned base */
	uint64_t image_size;	/* bytes the kernel owns once loaded, BSS included */
	uint64_t flags;		/* header flags: bit 0 big-endian, bits 1-2 page size */
};

#define IMAGE_MAX_SIZE	(256ULL << 20)	/* decompressed size limit */

/*
 * Checks the 64-byte header at buf: the "ARM\x64" magic, a little-endian
 * kernel, sane text_offset and image_size. Fills img (not fd/len).
 * Returns 0, or -2 (VMM_ERR_INPUT) with a short reason in err.
 */
int image__parse_header(const uint8_t *buf, size_t len, struct arm64_image *img,
			char *err, size_t errlen);

/*
 * Opens a kernel file, raw or gzip-compressed (told by its magic), and
 * checks its header. A compressed Image must say its image_size (Linux
 * 3.17 and later). Returns 0, or -2 with the reason in err (the caller
 * adds the file name); image__close() in either case.
 */
int image__open(const char *path, struct arm64_image *img, char *err, size_t errlen);

/*
 * Reads the whole Image into dst, which has img->image_size bytes of room.
 * A compressed one must decompress to at most that. Sets img->len.
 * Returns 0, or -2 with the reason in err.
 */
int image__read(struct arm64_image *img, uint8_t *dst, char *err, size_t errlen);

void image__close(struct arm64_image *img);

#endif
