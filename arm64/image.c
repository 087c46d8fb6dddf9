#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
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

#define GZIP_CHUNK_MIN		(64ULL << 10)

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

/*
 * Makes room for more output: doubles the buffer, up to one byte past the
 * limit so that a stream which goes over it (and fills that byte) can be
 * told from one that ends exactly on it. -EFBIG once that byte is used.
 */
static int grow(uint8_t **buf, size_t *cap)
{
	size_t limit = IMAGE_MAX_SIZE + 1;
	size_t want = *cap ? *cap * 2 : GZIP_CHUNK_MIN;
	uint8_t *p;

	if (*cap >= limit)
		return -EFBIG;
	if (want > limit)
		want = limit;
	p = realloc(*buf, want);
	if (!p)
		return -ENOMEM;
	*buf = p;
	*cap = want;
	return 0;
}

/* One inflate() step; 1 when the stream has ended, 0 to go on, or an error. */
static int inflate_step(z_stream *s, char *err, size_t errlen)
{
	int zret = inflate(s, Z_NO_FLUSH);

	switch (zret) {
	case Z_STREAM_END:
		return 1;
	case Z_OK:
	case Z_BUF_ERROR:
		/* No output room left: the caller grows the buffer. */
		if (!s->avail_out)
			return 0;
		/* Room left but no input, and no end of stream. */
		if (zret == Z_BUF_ERROR || !s->avail_in)
			return fail(err, errlen, "truncated gzip stream");
		return 0;
	case Z_MEM_ERROR:
		return fail(err, errlen, "out of memory decompressing the gzip stream");
	default:
		return fail(err, errlen, "corrupt gzip stream: %s",
			    s->msg ? s->msg : "invalid data");
	}
}

static int inflate_all(z_stream *s, uint8_t **out, size_t *cap,
		       char *err, size_t errlen)
{
	int ret = 0;

	while (ret == 0) {
		if (s->total_out == *cap) {
			ret = grow(out, cap);
			if (ret == -EFBIG)
				return fail(err, errlen,
					    "gzip stream decompresses to more than %llu MiB",
					    IMAGE_MAX_SIZE >> 20);
			if (ret)
				return fail(err, errlen,
					    "out of memory decompressing the gzip stream");
			s->next_out = *out + s->total_out;
			s->avail_out = *cap - s->total_out;
		}
		ret = inflate_step(s, err, errlen);
	}
	return ret < 0 ? ret : 0;
}

static int gunzip(const uint8_t *in, size_t inlen, uint8_t **out, size_t *outlen,
		  char *err, size_t errlen)
{
	z_stream s;
	uint8_t *buf = NULL;
	size_t cap = 0;
	int ret;

	memset(&s, 0, sizeof(s));
	if (inflateInit2(&s, 15 + 32) != Z_OK)
		return fail(err, errlen, "cannot start gzip decompression");
	s.next_in = (Bytef *)in;
	s.avail_in = inlen;	/* at most IMAGE_MAX_SIZE: fits a uInt */

	ret = inflate_all(&s, &buf, &cap, err, errlen);
	inflateEnd(&s);
	if (ret) {
		free(buf);
		return ret;
	}
	/* Give back the unused tail; keeping the larger buffer is fine too. */
	*out = realloc(buf, s.total_out ? s.total_out : 1);
	if (!*out)
		*out = buf;
	*outlen = s.total_out;
	return 0;
}

static int read_kernel(const char *path, uint8_t **buf, size_t *len,
		       char *err, size_t errlen)
{
	int ret = read_file(path, IMAGE_MAX_SIZE, buf, len);

	if (ret == -EFBIG)
		return fail(err, errlen, "larger than the %llu MiB limit",
			    IMAGE_MAX_SIZE >> 20);
	if (ret)
		return fail(err, errlen, "cannot read: %s", strerror(-ret));
	if (!*len) {
		free(*buf);
		return fail(err, errlen, "empty file");
	}
	return 0;
}

int image__load(const char *path, struct arm64_image *img, char *err, size_t errlen)
{
	struct arm64_image tmp = { 0 };
	uint8_t *raw;
	size_t rawlen;
	int ret;

	if (!path || !img)
		return fail(err, errlen, "no kernel file given");
	ret = read_kernel(path, &raw, &rawlen, err, errlen);
	if (ret)
		return ret;

	if (is_gzip(raw, rawlen)) {
		ret = gunzip(raw, rawlen, &tmp.data, &tmp.len, err, errlen);
		free(raw);
		if (ret)
			return ret;
	} else {
		tmp.data = raw;
		tmp.len = rawlen;
	}

	ret = image__parse_header(tmp.data, tmp.len, &tmp, err, errlen);
	if (ret) {
		free(tmp.data);
		return ret;
	}
	*img = tmp;
	return 0;
}

void image__free(struct arm64_image *img)
{
	if (!img)
		return;
	free(img->data);
	memset(img, 0, sizeof(*img));
}
