#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include <fcntl.h>
#include <unistd.h>
#include <zlib.h>

#include "arm64/image.h"
#include "vmm/util.h"

#define MAGIC		0x644d5241U
#define IMG_LEN		20000	/* not a multiple of 4K, compresses well */

/* What each test may leave behind; the teardown cleans it up even on failure. */
struct fixture {
	char path[64];		/* temp file, "" if none */
	uint8_t *buf;		/* test data */
	uint8_t *gz;		/* compressed test data */
	struct arm64_image img;
	uint8_t *out;		/* where load() read the Image to */
	char err[256];
};

struct hdr {
	uint64_t text_offset;
	uint64_t image_size;
	uint64_t flags;
	uint32_t magic;
};

/* A plausible Image of len bytes: header h, then a patterned body. */
static uint8_t *make_image(size_t len, const struct hdr *h)
{
	uint8_t *buf = malloc(len);
	size_t i;

	assert_non_null(buf);
	for (i = 0; i < len; i++)
		buf[i] = (i * 7 + i / 251) & 0xff;
	if (len < 64)
		return buf;
	put_le(buf + 0x00, 0x91005a4d, 4);	/* code0: "MZ" + add */
	put_le(buf + 0x04, 0x14000000, 4);	/* code1: b */
	put_le(buf + 0x08, h->text_offset, 8);
	put_le(buf + 0x10, h->image_size, 8);
	put_le(buf + 0x18, h->flags, 8);
	put_le(buf + 0x20, 0, 8);
	put_le(buf + 0x28, 0, 8);
	put_le(buf + 0x30, 0, 8);
	put_le(buf + 0x38, h->magic, 4);
	put_le(buf + 0x3c, 0, 4);
	return buf;
}

static const struct hdr good_hdr = {
	.text_offset = 0,
	.image_size = 0x10000,
	.flags = 1 << 1,	/* 4K pages */
	.magic = MAGIC,
};

/* gzip (windowBits 15 + 16) of in into a new buffer. */
static uint8_t *gzip(const uint8_t *in, size_t len, size_t *outlen)
{
	z_stream s;
	size_t cap;
	uint8_t *out;

	memset(&s, 0, sizeof(s));
	assert_int_equal(deflateInit2(&s, Z_BEST_COMPRESSION, Z_DEFLATED, 15 + 16,
				      8, Z_DEFAULT_STRATEGY), Z_OK);
	cap = deflateBound(&s, len);
	out = malloc(cap);
	assert_non_null(out);
	s.next_in = (Bytef *)in;
	s.avail_in = len;
	s.next_out = out;
	s.avail_out = cap;
	assert_int_equal(deflate(&s, Z_FINISH), Z_STREAM_END);
	*outlen = s.total_out;
	deflateEnd(&s);
	return out;
}

static void write_temp(struct fixture *f, const void *data, size_t len)
{
	int fd;

	strcpy(f->path, "/tmp/vmm-test-image-XXXXXX");
	fd = mkstemp(f->path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, data, len), (ssize_t)len);
	close(fd);
}

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	if (!f)
		return -1;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	if (f->path[0])
		unlink(f->path);
	free(f->buf);
	free(f->gz);
	free(f->out);
	image__close(&f->img);
	free(f);
	return 0;
}

static void assert_err(int ret, const char *err, const char *want)
{
	assert_int_equal(ret, -VMM_ERR_INPUT);
	if (!strstr(err, want))
		fail_msg("error \"%s\" does not mention \"%s\"", err, want);
}

/* ---- image__parse_header ---- */

static void test_parse_good(void **state)
{
	struct fixture *f = *state;
	struct hdr h = good_hdr;

	h.text_offset = 0x80000;
	f->buf = make_image(IMG_LEN, &h);
	assert_int_equal(image__parse_header(f->buf, IMG_LEN, &f->img,
					     f->err, sizeof(f->err)), 0);
	assert_int_equal(f->img.text_offset, 0x80000);
	assert_int_equal(f->img.image_size, 0x10000);
	assert_int_equal(f->img.flags, 1 << 1);
}

static void test_parse_high_bits(void **state)
{
	struct fixture *f = *state;
	struct hdr h = good_hdr;

	/* Every byte of a field counts: image_size 0x1_0000_0000 is too big. */
	h.image_size = 1ULL << 32;
	f->buf = make_image(IMG_LEN, &h);
	assert_err(image__parse_header(f->buf, IMG_LEN, &f->img, f->err, sizeof(f->err)),
		   f->err, "image_size 4294967296");
	assert_int_equal(f->img.image_size, 0);
}

static void test_parse_truncated(void **state)
{
	struct fixture *f = *state;

	f->buf = make_image(IMG_LEN, &good_hdr);
	assert_err(image__parse_header(f->buf, 10, &f->img, f->err, sizeof(f->err)),
		   f->err, "truncated: 10 bytes");
	assert_err(image__parse_header(f->buf, 63, &f->img, f->err, sizeof(f->err)),
		   f->err, "truncated: 63 bytes");
	assert_err(image__parse_header(NULL, 0, &f->img, f->err, sizeof(f->err)),
		   f->err, "no Image");
}

static void test_parse_bad_magic(void **state)
{
	struct fixture *f = *state;
	struct hdr h = good_hdr;

	h.magic = 0x41524d64;	/* the right bytes in the wrong order */
	f->buf = make_image(IMG_LEN, &h);
	assert_err(image__parse_header(f->buf, IMG_LEN, &f->img, f->err, sizeof(f->err)),
		   f->err, "no ARM\\x64 magic");
}

static void test_parse_big_endian(void **state)
{
	struct fixture *f = *state;
	struct hdr h = good_hdr;

	h.flags |= 1;
	f->buf = make_image(IMG_LEN, &h);
	assert_err(image__parse_header(f->buf, IMG_LEN, &f->img, f->err, sizeof(f->err)),
		   f->err, "big-endian");
}

static void test_parse_old_kernel(void **state)
{
	struct fixture *f = *state;
	struct hdr h = good_hdr;

	h.image_size = 0;
	h.text_offset = 0x80000;
	f->buf = make_image(IMG_LEN, &h);
	assert_int_equal(image__parse_header(f->buf, IMG_LEN, &f->img,
					     f->err, sizeof(f->err)), 0);
	assert_int_equal(f->img.image_size, 0x5000);	/* 20000 rounded up to 4K */
	assert_int_equal(image__parse_header(f->buf, 0x4000, &f->img,
					     f->err, sizeof(f->err)), 0);
	assert_int_equal(f->img.image_size, 0x4000);	/* already aligned */
}

static void test_parse_image_size_small(void **state)
{
	struct fixture *f = *state;
	struct hdr h = good_hdr;

	h.image_size = IMG_LEN - 1;
	f->buf = make_image(IMG_LEN, &h);
	assert_err(image__parse_header(f->buf, IMG_LEN, &f->img, f->err, sizeof(f->err)),
		   f->err, "smaller than the file");
	/* Exactly the file length is fine. */
	assert_int_equal(image__parse_header(f->buf, IMG_LEN - 1, &f->img,
					     f->err, sizeof(f->err)), 0);
	assert_int_equal(f->img.image_size, IMG_LEN - 1);
}

static void test_parse_image_size_big(void **state)
{
	struct fixture *f = *state;
	struct hdr h = good_hdr;

	h.image_size = IMAGE_MAX_SIZE;
	f->buf = make_image(IMG_LEN, &h);
	assert_int_equal(image__parse_header(f->buf, IMG_LEN, &f->img,
					     f->err, sizeof(f->err)), 0);
	put_le(f->buf + 0x10, IMAGE_MAX_SIZE + 1, 8);
	assert_err(image__parse_header(f->buf, IMG_LEN, &f->img, f->err, sizeof(f->err)),
		   f->err, "256 MiB limit");
	put_le(f->buf + 0x10, UINT64_MAX, 8);
	assert_err(image__parse_header(f->buf, IMG_LEN, &f->img, f->err, sizeof(f->err)),
		   f->err, "256 MiB limit");
}

static void test_parse_text_offset(void **state)
{
	static const uint64_t bad[] = { 0x80001, 0x800, SZ_2M, SZ_2M + SZ_4K, UINT64_MAX };
	static const uint64_t good[] = { 0, SZ_4K, 0x80000, SZ_2M - SZ_4K };
	struct fixture *f = *state;
	size_t i;

	f->buf = make_image(IMG_LEN, &good_hdr);
	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		put_le(f->buf + 0x08, bad[i], 8);
		assert_err(image__parse_header(f->buf, IMG_LEN, &f->img,
					       f->err, sizeof(f->err)),
			   f->err, "text_offset");
	}
	for (i = 0; i < ARRAY_SIZE(good); i++) {
		put_le(f->buf + 0x08, good[i], 8);
		assert_int_equal(image__parse_header(f->buf, IMG_LEN, &f->img,
						     f->err, sizeof(f->err)), 0);
		assert_int_equal(f->img.text_offset, good[i]);
	}
}

static void test_parse_no_err_buffer(void **state)
{
	struct fixture *f = *state;

	f->buf = make_image(IMG_LEN, &good_hdr);
	assert_int_equal(image__parse_header(f->buf, 10, &f->img, NULL, 0), -VMM_ERR_INPUT);
}

/* ---- image__open and image__read ---- */

/*
 * What vmm run does: opens f->path, then reads the Image into image_size
 * bytes (f->out). Closes what an earlier load() of the test left open.
 */
static int load(struct fixture *f)
{
	int ret;

	image__close(&f->img);
	free(f->out);
	f->out = NULL;
	ret = image__open(f->path, &f->img, f->err, sizeof(f->err));
	if (ret)
		return ret;
	f->out = calloc(1, f->img.image_size);
	assert_non_null(f->out);
	return image__read(&f->img, f->out, f->err, sizeof(f->err));
}

static void test_load_raw(void **state)
{
	struct fixture *f = *state;

	f->buf = make_image(IMG_LEN, &good_hdr);
	write_temp(f, f->buf, IMG_LEN);
	assert_int_equal(load(f), 0);
	assert_int_equal(f->img.len, IMG_LEN);
	assert_memory_equal(f->out, f->buf, IMG_LEN);
	assert_int_equal(f->img.image_size, 0x10000);
	assert_int_equal(f->img.flags, 1 << 1);
}

static void test_load_gzip(void **state)
{
	struct fixture *f = *state;
	struct hdr h = good_hdr;
	size_t len = 300000, gzlen;	/* several inflate buffer growths */

	h.image_size = 0x80000;
	h.text_offset = 0x80000;
	f->buf = make_image(len, &h);
	f->gz = gzip(f->buf, len, &gzlen);
	assert_true(gzlen < len);
	write_temp(f, f->gz, gzlen);
	assert_int_equal(load(f), 0);
	assert_int_equal(f->img.len, len);
	assert_memory_equal(f->out, f->buf, len);
	assert_int_equal(f->img.text_offset, 0x80000);
	assert_int_equal(f->img.image_size, 0x80000);
}

static void test_load_gzip_truncated(void **state)
{
	struct fixture *f = *state;
	size_t gzlen;

	f->buf = make_image(IMG_LEN, &good_hdr);
	f->gz = gzip(f->buf, IMG_LEN, &gzlen);
	write_temp(f, f->gz, gzlen / 2);
	assert_err(load(f),
		   f->err, "truncated gzip stream");
	unlink(f->path);
	/* Only the trailer missing. */
	write_temp(f, f->gz, gzlen - 4);
	assert_err(load(f),
		   f->err, "truncated gzip stream");
	unlink(f->path);
	/* Only the magic. */
	write_temp(f, f->gz, 2);
	assert_err(load(f),
		   f->err, "truncated gzip stream");
}

static void test_load_gzip_corrupt(void **state)
{
	struct fixture *f = *state;
	size_t gzlen;

	f->buf = make_image(IMG_LEN, &good_hdr);
	f->gz = gzip(f->buf, IMG_LEN, &gzlen);
	f->gz[gzlen - 8] ^= 0xff;	/* the CRC32 in the trailer */
	write_temp(f, f->gz, gzlen);
	assert_err(load(f),
		   f->err, "corrupt gzip stream");
	unlink(f->path);
	f->gz[gzlen - 8] ^= 0xff;
	f->gz[3] = 0xe0;		/* reserved header flag bits */
	write_temp(f, f->gz, gzlen);
	assert_err(load(f),
		   f->err, "corrupt gzip stream");
}

static void test_load_gzip_not_image(void **state)
{
	struct fixture *f = *state;
	struct hdr h = good_hdr;
	size_t gzlen;

	f->buf = make_image(10, &good_hdr);
	f->gz = gzip(f->buf, 10, &gzlen);
	write_temp(f, f->gz, gzlen);
	assert_err(load(f),
		   f->err, "truncated: 10 bytes");
	unlink(f->path);
	free(f->buf);
	free(f->gz);
	f->buf = f->gz = NULL;
	/* The header of the decompressed bytes is checked. */
	h.magic = 0;
	f->buf = make_image(IMG_LEN, &h);
	f->gz = gzip(f->buf, IMG_LEN, &gzlen);
	write_temp(f, f->gz, gzlen);
	assert_err(load(f),
		   f->err, "magic");
}

/* gzip of prefix (plen bytes) then mib MiB of zeros, streamed; NULL if zlib failed. */
static uint8_t *gzip_zeros(const uint8_t *prefix, size_t plen, size_t mib, size_t *outlen)
{
	static uint8_t zeros[1 << 20];
	size_t cap = (mib << 11) + plen + 1024;	/* deflate gets ~1000:1 at best */
	uint8_t *out = malloc(cap);
	int ret = Z_OK;
	z_stream s;
	size_t i;

	memset(&s, 0, sizeof(s));
	if (!out || deflateInit2(&s, Z_BEST_COMPRESSION, Z_DEFLATED, 15 + 16, 8,
				 Z_DEFAULT_STRATEGY) != Z_OK) {
		free(out);
		return NULL;
	}
	s.next_out = out;
	s.avail_out = cap;
	s.next_in = (Bytef *)prefix;
	s.avail_in = plen;
	while (s.avail_in && s.avail_out && ret == Z_OK)
		ret = deflate(&s, Z_NO_FLUSH);
	for (i = 0; i < mib && ret == Z_OK; i++) {
		s.next_in = zeros;
		s.avail_in = sizeof(zeros);
		while (s.avail_in && s.avail_out && ret == Z_OK)
			ret = deflate(&s, Z_NO_FLUSH);
	}
	while (ret == Z_OK && s.avail_out)
		ret = deflate(&s, Z_FINISH);
	*outlen = s.total_out;
	deflateEnd(&s);
	if (ret != Z_STREAM_END) {
		free(out);
		return NULL;
	}
	return out;
}

/* 257 MiB of zeros behind a header that says 16 MiB: refused at 16 MiB, not loaded. */
static void test_load_gzip_bomb(void **state)
{
	struct fixture *f = *state;
	struct hdr h = good_hdr;
	size_t gzlen;

	h.image_size = 16 << 20;
	f->buf = make_image(64, &h);
	f->gz = gzip_zeros(f->buf, 64, (IMAGE_MAX_SIZE >> 20) + 1, &gzlen);
	assert_non_null(f->gz);
	write_temp(f, f->gz, gzlen);
	assert_err(load(f), f->err, "more than the header's image_size (16777216 bytes)");
}

/* A stream that fills image_size exactly is whole; one byte more is refused. */
static void test_load_gzip_exact(void **state)
{
	struct fixture *f = *state;
	struct hdr h = good_hdr;
	size_t gzlen;

	h.image_size = (1 << 20) + 64;
	f->buf = make_image(64, &h);
	f->gz = gzip_zeros(f->buf, 64, 1, &gzlen);
	assert_non_null(f->gz);
	write_temp(f, f->gz, gzlen);
	assert_int_equal(load(f), 0);
	assert_int_equal(f->img.len, (1 << 20) + 64);
	assert_memory_equal(f->out, f->buf, 64);
	unlink(f->path);
	put_le(f->buf + 0x10, (1 << 20) + 63, 8);
	free(f->gz);
	f->gz = gzip_zeros(f->buf, 64, 1, &gzlen);
	write_temp(f, f->gz, gzlen);
	assert_err(load(f), f->err, "more than the header's image_size");
}

/* A compressed pre-3.17 Image (image_size 0) cannot be placed before it is decompressed. */
static void test_load_gzip_no_image_size(void **state)
{
	struct fixture *f = *state;
	struct hdr h = good_hdr;
	size_t gzlen;

	h.image_size = 0;
	f->buf = make_image(IMG_LEN, &h);
	f->gz = gzip(f->buf, IMG_LEN, &gzlen);
	write_temp(f, f->gz, gzlen);
	assert_err(load(f), f->err, "without an image_size");
}

/* A raw Image is checked from its header alone: the file's length against image_size. */
static void test_open_raw_reads_header_only(void **state)
{
	struct fixture *f = *state;
	struct hdr h = good_hdr;

	h.image_size = IMG_LEN - 1;
	f->buf = make_image(IMG_LEN, &h);
	write_temp(f, f->buf, IMG_LEN);
	assert_err(image__open(f->path, &f->img, f->err, sizeof(f->err)), f->err,
		   "smaller than the file");
	image__close(&f->img);
	unlink(f->path);
	write_temp(f, f->buf, IMG_LEN - 1);
	assert_int_equal(image__open(f->path, &f->img, f->err, sizeof(f->err)), 0);
	assert_int_equal(f->img.len, IMG_LEN - 1);
	assert_false(f->img.gzip);
}

static void test_load_truncated(void **state)
{
	struct fixture *f = *state;

	f->buf = make_image(IMG_LEN, &good_hdr);
	write_temp(f, f->buf, 10);
	assert_err(load(f),
		   f->err, "truncated: 10 bytes");
}

static void test_load_bad_header(void **state)
{
	struct fixture *f = *state;
	struct hdr h = good_hdr;

	h.flags = 1;
	f->buf = make_image(IMG_LEN, &h);
	write_temp(f, f->buf, IMG_LEN);
	assert_err(load(f),
		   f->err, "big-endian");
	assert_int_equal(f->img.len, 0);
}

static void test_load_missing(void **state)
{
	struct fixture *f = *state;

	assert_err(image__open("/nonexistent/vmm-test/Image", &f->img, f->err, sizeof(f->err)),
		   f->err, "cannot read: No such file or directory");
	assert_false(f->img.is_open);
	assert_err(image__open(NULL, &f->img, f->err, sizeof(f->err)), f->err, "no kernel file");
	assert_err(image__open("/tmp", &f->img, f->err, sizeof(f->err)), f->err, "Is a directory");
	image__close(&f->img);
}

static void test_load_empty(void **state)
{
	struct fixture *f = *state;

	write_temp(f, "", 0);
	assert_err(load(f), f->err, "empty file");
}

static void test_image_close(void **state)
{
	struct fixture *f = *state;
	int fd;

	f->buf = make_image(IMG_LEN, &good_hdr);
	write_temp(f, f->buf, IMG_LEN);
	assert_int_equal(image__open(f->path, &f->img, f->err, sizeof(f->err)), 0);
	fd = f->img.fd;
	assert_true(fcntl(fd, F_GETFD) >= 0);
	image__close(&f->img);
	assert_true(fcntl(fd, F_GETFD) < 0);	/* the file is closed */
	assert_false(f->img.is_open);
	assert_int_equal(f->img.image_size, 0);
	image__close(&f->img);	/* twice is harmless */
	image__close(NULL);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_parse_good),
		T(test_parse_high_bits),
		T(test_parse_truncated),
		T(test_parse_bad_magic),
		T(test_parse_big_endian),
		T(test_parse_old_kernel),
		T(test_parse_image_size_small),
		T(test_parse_image_size_big),
		T(test_parse_text_offset),
		T(test_parse_no_err_buffer),
		T(test_load_raw),
		T(test_load_gzip),
		T(test_load_gzip_truncated),
		T(test_load_gzip_corrupt),
		T(test_load_gzip_not_image),
		T(test_load_gzip_bomb),
		T(test_load_gzip_exact),
		T(test_load_gzip_no_image_size),
		T(test_open_raw_reads_header_only),
		T(test_load_truncated),
		T(test_load_bad_header),
		T(test_load_missing),
		T(test_load_empty),
		T(test_image_close),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
