#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "arm64/image.h"
#include "vmm/util.h"

/*
 * The 64-byte header at the start of every arm64 Image
 * (Documentation/arch/arm64/booting.rst), all fields little-endian:
 *
 *	0x00 u32 code0		0x04 u32 code1
 *	0x08 u64 text_offset	0x10 u64 image_size
 *	0x18 u64 flags		0x20 u64 res2
 *	0x28 u64 res3		0x30 u64 res4
 *	0x38 u32 magic		0x3c u32 res5
 */
#define HDR_SIZE		64
#define HDR_TEXT_OFFSET		0x08
#define HDR_IMAGE_SIZE		0x10
#define HDR_FLAGS		0x18
#define HDR_MAGIC		0x38
#define IMAGE_MAGIC		0x644d5241U	/* "ARM\x64" */
#define FLAG_BE			(1ULL << 0)

#define GZIP_CHUNK		(64 << 10)	/* compressed bytes read at a time */

static int __printf(3, 4) fail(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vset_err(err, errlen, fmt, ap);
	va_end(ap);
	return -VMM_ERR_INPUT;
}

/* image_size from the header, or for a pre-3.17 kernel (0) the file rounded up. */
static int check_size(uint64_t image_size, size_t len, uint64_t *out,
		      char *err, size_t errlen)
{
	if (len > IMAGE_MAX_SIZE)
		return fail(err, errlen, "%zu bytes, more than the %llu MiB limit",
			    len, IMAGE_MAX_SIZE >> 20);
	if (!image_size)
		image_size = align_up(len, SZ_4K);
	if (image_size < len)
		return fail(err, errlen,
			    "header image_size %llu is smaller than the file (%zu bytes)",
			    (unsigned long long)image_size, len);
	if (image_size > IMAGE_MAX_SIZE)
		return fail(err, errlen,
			    "header image_size %llu is more than the %llu MiB limit",
			    (unsigned long long)image_size, IMAGE_MAX_SIZE >> 20);
	*out = image_size;
	return 0;
}

int image__parse_header(const uint8_t *buf, size_t len, struct arm64_image *img,
			char *err, size_t errlen)
{
	uint64_t text_offset, image_size = 0, flags;
	int ret;

	if (!buf || !img)
		return fail(err, errlen, "no Image to parse");
	if (len < HDR_SIZE)
		return fail(err, errlen,
			    "truncated: %zu bytes, an arm64 Image header needs %d",
			    len, HDR_SIZE);
	if ((uint32_t)get_le(buf + HDR_MAGIC, 4) != IMAGE_MAGIC)
		return fail(err, errlen, "not an arm64 Image (no ARM\\x64 magic)");

	flags = get_le(buf + HDR_FLAGS, 8);
	if (flags & FLAG_BE)
		return fail(err, errlen,
			    "big-endian Image, only little-endian kernels are supported");

	text_offset = get_le(buf + HDR_TEXT_OFFSET, 8);
	if (text_offset >= SZ_2M || text_offset % SZ_4K)
		return fail(err, errlen,
			    "header text_offset 0x%llx is not 4 KiB aligned below 2 MiB",
			    (unsigned long long)text_offset);

	ret = check_size(get_le(buf + HDR_IMAGE_SIZE, 8), len, &image_size, err, errlen);
	if (ret)
		return ret;

	img->text_offset = text_offset;
	img->image_size = image_size;
	img->flags = flags;
	return 0;
}

static bool is_gzip(const uint8_t *buf, size_t len)
{
	return len >= 2 && buf[0] == 0x1f && buf[1] == 0x8b;
}

/* More compressed input when the stream has used what it had; 0 at the file's end. */
static int refill(struct arm64_image *img, z_stream *s)
{
	ssize_t n;

	if (s->avail_in)
		return 1;
	do
		n = read(img->fd, img->zbuf, GZIP_CHUNK);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	s->next_in = img->zbuf;
	s->avail_in = (uInt)n;
	return n > 0;
}

/*
 * Inflates into [out, out + room) until it is full or the stream ends:
 * 1 at the stream's end, 0 when out is full, or an error. *done gets the
 * bytes written.
 */
static int inflate_to(struct arm64_image *img, uint8_t *out, size_t room, size_t *done,
		      char *err, size_t errlen)
{
	z_stream *s = img->zs;
	int ret = 0;

	s->next_out = out;
	s->avail_out = (uInt)room;	/* at most IMAGE_MAX_SIZE */
	while (ret == 0 && s->avail_out) {
		int more = refill(img, s);
		int zret;

		if (more < 0)
			return fail(err, errlen, "cannot read: %s", strerror(-more));
		zret = inflate(s, Z_NO_FLUSH);
		if (zret == Z_STREAM_END)
			ret = 1;
		else if (zret == Z_BUF_ERROR && !more)
			ret = fail(err, errlen, "truncated gzip stream");
		else if (zret == Z_MEM_ERROR)
			ret = fail(err, errlen, "out of memory decompressing the gzip stream");
		else if (zret != Z_OK && zret != Z_BUF_ERROR)
			ret = fail(err, errlen, "corrupt gzip stream: %s",
				   s->msg ? s->msg : "invalid data");
	}
	*done = room - s->avail_out;
	return ret;
}

/* The header of a gzip-compressed Image: its first 64 bytes inflated. */
static int open_gzip(struct arm64_image *img, char *err, size_t errlen)
{
	size_t got;
	int ret;

	img->gzip = true;
	img->zs = calloc(1, sizeof(z_stream));
	img->zbuf = malloc(GZIP_CHUNK);
	if (!img->zs || !img->zbuf || inflateInit2((z_stream *)img->zs, 15 + 32) != Z_OK) {
		free(img->zs);
		img->zs = NULL;
		return fail(err, errlen, "cannot start gzip decompression");
	}
	ret = inflate_to(img, img->head, HDR_SIZE, &got, err, errlen);
	if (ret < 0)
		return ret;
	ret = image__parse_header(img->head, got, img, err, errlen);
	if (ret)
		return ret;
	/* Without it, where the Image ends is known only once it is decompressed. */
	if (!get_le(img->head + HDR_IMAGE_SIZE, 8))
		return fail(err, errlen,
			    "gzip-compressed Image without an image_size (Linux before 3.17): decompress it first");
	return 0;
}

static int open_raw(struct arm64_image *img, size_t file_len, char *err, size_t errlen)
{
	size_t n = file_len < HDR_SIZE ? file_len : HDR_SIZE;
	int ret = read_exact(img->fd, img->head, n, 0);

	if (ret)
		return fail(err, errlen, "cannot read: %s", strerror(-ret));
	/* The header's checks see the file's length: only its first 64 bytes are read. */
	ret = image__parse_header(img->head, file_len, img, err, errlen);
	if (!ret)
		img->len = file_len;
	return ret;
}

static int open_file(const char *path, struct arm64_image *img, struct stat *st,
		     char *err, size_t errlen)
{
	img->fd = open(path, O_RDONLY | O_CLOEXEC);
	if (img->fd < 0)
		return fail(err, errlen, "cannot read: %s", strerror(errno));
	img->is_open = true;
	if (fstat(img->fd, st) < 0)
		return fail(err, errlen, "cannot read: %s", strerror(errno));
	if (!S_ISREG(st->st_mode))
		return fail(err, errlen, "cannot read: %s",
			    strerror(S_ISDIR(st->st_mode) ? EISDIR : EINVAL));
	if (!st->st_size)
		return fail(err, errlen, "empty file");
	if ((uint64_t)st->st_size > IMAGE_MAX_SIZE)
		return fail(err, errlen, "larger than the %llu MiB limit", IMAGE_MAX_SIZE >> 20);
	return 0;
}

int image__open(const char *path, struct arm64_image *img, char *err, size_t errlen)
{
	uint8_t magic[2];
	struct stat st;
	int ret;

	if (!img)
		return fail(err, errlen, "no kernel file given");
	memset(img, 0, sizeof(*img));
	img->fd = -1;
	if (!path)
		return fail(err, errlen, "no kernel file given");
	ret = open_file(path, img, &st, err, errlen);
	if (ret)
		return ret;
	ret = read_exact(img->fd, magic, st.st_size < 2 ? 1 : 2, 0);
	if (ret)
		return fail(err, errlen, "cannot read: %s", strerror(-ret));
	if (is_gzip(magic, (size_t)st.st_size))
		return open_gzip(img, err, errlen);
	return open_raw(img, (size_t)st.st_size, err, errlen);
}

static int read_gzip(struct arm64_image *img, uint8_t *dst, char *err, size_t errlen)
{
	size_t got, extra_got = 0;
	uint8_t extra;
	int ret;

	memcpy(dst, img->head, HDR_SIZE);
	ret = inflate_to(img, dst + HDR_SIZE, img->image_size - HDR_SIZE, &got, err, errlen);
	/* Full: the stream must end here, without one byte more. */
	if (ret == 0)
		ret = inflate_to(img, &extra, 1, &extra_got, err, errlen);
	if (ret == 0 || (ret == 1 && extra_got))
		return fail(err, errlen,
			    "gzip stream decompresses to more than the header's image_size (%llu bytes)",
			    (unsigned long long)img->image_size);
	if (ret < 0)
		return ret;
	img->len = HDR_SIZE + got;
	return 0;
}

int image__read(struct arm64_image *img, uint8_t *dst, char *err, size_t errlen)
{
	int ret;

	if (!img->is_open)
		return fail(err, errlen, "no kernel file open");
	if (img->gzip)
		return read_gzip(img, dst, err, errlen);
	ret = read_exact(img->fd, dst, img->len, 0);
	if (ret)
		return fail(err, errlen, "cannot read: %s", strerror(-ret));
	return 0;
}

void image__close(struct arm64_image *img)
{
	if (!img)
		return;
	if (img->zs) {
		inflateEnd(img->zs);
		free(img->zs);
	}
	free(img->zbuf);
	if (img->is_open)
		close(img->fd);
	memset(img, 0, sizeof(*img));
	img->fd = -1;
}
