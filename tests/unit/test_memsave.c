/*
 * Unit tests of the memory file writer (vmm/memsave.c): whatever the RAM
 * is (anonymous memory, a private file mapping, a deleted file, a buffer
 * not on a page boundary), the file holds exactly its bytes, each zero page
 * is a hole and each non-zero page is data; and pages the host never
 * populated are not read (they stay unpopulated, which mincore() shows).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "unit.h"
#include "vmm/memsave.h"
#include "vmm/util.h"

#define PAGE	4096

struct fixture {
	char dir[64];
	int out;		/* the memory file being written */
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	char *path;

	assert_non_null(f);
	strcpy(f->dir, "/tmp/vmm-memsave-XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	assert_true(asprintf(&path, "%s/memory", f->dir) > 0);
	f->out = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	assert_true(f->out >= 0);
	free(path);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	char *path;

	close(f->out);
	assert_true(asprintf(&path, "%s/memory", f->dir) > 0);
	unlink(path);
	free(path);
	assert_true(asprintf(&path, "%s/source", f->dir) > 0);
	unlink(path);
	free(path);
	rmdir(f->dir);
	free(f);
	return 0;
}

static bool have_pagemap(void)
{
	int fd = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return false;
	close(fd);
	return true;
}

static void *map_anon(size_t size)
{
	void *p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	assert_true(p != MAP_FAILED);
	madvise(p, size, MADV_NOHUGEPAGE);	/* one touched page populates one page */
	return p;
}

/* Page i gets bytes that are not all zero, different for each page. */
static void fill_page(uint8_t *ram, size_t i)
{
	memset(ram + i * PAGE, (int)(i % 251) + 1, PAGE);
	ram[i * PAGE + i % PAGE] = 0xa5;
}

/* Whether the host holds page i of the mapping at ram in memory. */
static bool resident(const uint8_t *ram, size_t i)
{
	unsigned char v = 0;

	assert_int_equal(mincore((void *)(ram + i * PAGE), PAGE, &v), 0);
	return v & 1;
}

static bool is_data(int fd, size_t i)
{
	off_t off = (off_t)i * PAGE;

	return lseek(fd, off, SEEK_DATA) == off;
}

/*
 * The file has size bytes, equal to ram's, and page i is data exactly when
 * nonzero[i] (nonzero: n page numbers, ascending).
 */
static void check_file(int fd, const uint8_t *ram, size_t size, const size_t *nonzero,
		       size_t n)
{
	uint8_t *buf = malloc(size);
	size_t k = 0;

	assert_non_null(buf);
	assert_int_equal(lseek(fd, 0, SEEK_END), (off_t)size);
	assert_int_equal(pread(fd, buf, size, 0), (ssize_t)size);
	assert_memory_equal(buf, ram, size);
	for (size_t i = 0; i < size / PAGE; i++) {
		bool want = k < n && nonzero[k] == i;

		if (is_data(fd, i) != want)
			fail_msg("page %zu: %s in the file, want %s", i,
				 is_data(fd, i) ? "data" : "a hole", want ? "data" : "a hole");
		k += want;
	}
	free(buf);
}

/* Anonymous memory: unpopulated, non-zero, written back to zero, read only. */
static void test_anonymous(void **state)
{
	struct fixture *f = *state;
	const size_t n = 64, nonzero[] = { 0, 1, 4, 10, 63 };
	const size_t untouched[] = { 3, 5, 6, 7, 8, 9, 11, 40, 62 };
	uint8_t *ram = map_anon(n * PAGE);
	struct memsave_stats st;
	volatile uint8_t sink;

	if (!have_pagemap())
		skip();
	for (size_t i = 0; i < ARRAY_SIZE(nonzero); i++)
		fill_page(ram, nonzero[i]);
	ram[2 * PAGE + 7] = 1;		/* populated, then zero again */
	ram[2 * PAGE + 7] = 0;
	sink = ram[12 * PAGE];		/* populated by a read: the zero page */
	(void)sink;
	assert_false(resident(ram, 3));

	assert_int_equal(memsave__write(f->out, ram, n * PAGE, &st), 0);
	for (size_t i = 0; i < ARRAY_SIZE(untouched); i++)
		if (resident(ram, untouched[i]))
			fail_msg("page %zu was never populated, yet saving read it", untouched[i]);
	assert_true(st.pagemap);
	assert_int_equal(st.read, (ARRAY_SIZE(nonzero) + 2) * PAGE);
	assert_int_equal(st.written, ARRAY_SIZE(nonzero) * PAGE);
	assert_int_equal(st.writes, 4);		/* 0-1, 4, 10, 63 */
	check_file(f->out, ram, n * PAGE, nonzero, ARRAY_SIZE(nonzero));
	munmap(ram, n * PAGE);
}

/* A run of non-zero pages across a pagemap batch is still one write. */
static void test_run_across_batches(void **state)
{
	struct fixture *f = *state;
	const size_t n = 20 * SZ_1M / PAGE, nonzero[] = { 4094, 4095, 4096, 4097, n - 1 };
	uint8_t *ram = map_anon(n * PAGE);
	struct memsave_stats st;

	if (!have_pagemap() || sysconf(_SC_PAGESIZE) != PAGE)
		skip();
	for (size_t i = 0; i < ARRAY_SIZE(nonzero); i++)
		fill_page(ram, nonzero[i]);
	assert_int_equal(memsave__write(f->out, ram, n * PAGE, &st), 0);
	assert_false(resident(ram, 4093));
	assert_false(resident(ram, 4098));
	assert_int_equal(st.writes, 2);
	assert_int_equal(st.written, ARRAY_SIZE(nonzero) * PAGE);
	check_file(f->out, ram, n * PAGE, nonzero, ARRAY_SIZE(nonzero));
	munmap(ram, n * PAGE);
}

/*
 * A source file of 16 pages: pages 2 and 3 data, page 5 written as zeros,
 * the rest holes. Returns it mapped MAP_PRIVATE; the file is closed.
 */
static uint8_t *map_source(struct fixture *f, size_t n, bool unlink_it)
{
	uint8_t page[PAGE];
	char *path;
	void *ram;
	int fd;

	assert_true(asprintf(&path, "%s/source", f->dir) > 0);
	fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, n * PAGE), 0);
	memset(page, 0x3c, PAGE);
	assert_int_equal(pwrite(fd, page, PAGE, 2 * PAGE), PAGE);
	memset(page, 0x4d, PAGE);
	assert_int_equal(pwrite(fd, page, PAGE, 3 * PAGE), PAGE);
	memset(page, 0, PAGE);
	assert_int_equal(pwrite(fd, page, PAGE, 5 * PAGE), PAGE);
	assert_int_equal(fsync(fd), 0);
	ram = mmap(NULL, n * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
	assert_true(ram != MAP_FAILED);
	/* no read-around: a fault reads its own page, not the holes near it */
	assert_int_equal(madvise(ram, n * PAGE, MADV_RANDOM), 0);
	close(fd);
	if (unlink_it)
		assert_int_equal(unlink(path), 0);
	free(path);
	return ram;
}

/*
 * A restored VM's RAM: file data never touched (page 2), file data written
 * over with zeros (3), zeros in the file (5), a hole written to (8), holes.
 */
static void test_private_file_mapping(void **state)
{
	struct fixture *f = *state;
	const size_t n = 16, nonzero[] = { 2, 8 }, holes[] = { 0, 1, 4, 6, 7, 9, 12, 15 };
	uint8_t *ram = map_source(f, n, false);
	struct memsave_stats st;

	if (!have_pagemap())
		skip();
	memset(ram + 3 * PAGE, 0, PAGE);
	fill_page(ram, 8);
	assert_int_equal(memsave__write(f->out, ram, n * PAGE, &st), 0);
	for (size_t i = 0; i < ARRAY_SIZE(holes); i++)
		if (resident(ram, holes[i]))
			fail_msg("page %zu is a hole of the file, yet saving read it", holes[i]);
	assert_true(st.pagemap);
	assert_int_equal(st.read, 4 * PAGE);	/* 2, 3, 5, 8 */
	assert_int_equal(st.written, 2 * PAGE);
	assert_int_equal(ram[2 * PAGE], 0x3c);
	check_file(f->out, ram, n * PAGE, nonzero, ARRAY_SIZE(nonzero));
	munmap(ram, n * PAGE);
}

/*
 * A booted VM's RAM with its kernel Image mapped copy-on-write into it: the
 * Image's pages the guest never touched are not populated, yet they hold
 * the file's data and must be saved; the anonymous RAM around it is still
 * skipped where never populated.
 */
static void test_file_mapped_into_anonymous(void **state)
{
	struct fixture *f = *state;
	const size_t n = 24, at = 4, nonzero[] = { 1, 4 + 2, 4 + 3, 4 + 9, 20 };
	uint8_t *ram = map_anon(n * PAGE), *src = map_source(f, 16, false);
	struct memsave_stats st;
	char *path;
	int fd;

	if (!have_pagemap())
		skip();
	munmap(src, 16 * PAGE);
	assert_true(asprintf(&path, "%s/source", f->dir) > 0);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	assert_true(fd >= 0);
	free(path);
	assert_true(mmap(ram + at * PAGE, 16 * PAGE, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_FIXED, fd, 0) != MAP_FAILED);
	close(fd);
	fill_page(ram, 1);
	fill_page(ram, 20);
	fill_page(ram, at + 9);		/* a hole of the file, written */
	assert_int_equal(memsave__write(f->out, ram, n * PAGE, &st), 0);
	assert_true(st.pagemap);
	assert_false(resident(ram, 22));	/* anonymous, never populated: not read */
	assert_int_equal(ram[(at + 2) * PAGE], 0x3c);
	assert_int_equal(ram[(at + 3) * PAGE], 0x4d);
	check_file(f->out, ram, n * PAGE, nonzero, ARRAY_SIZE(nonzero));
	munmap(ram, n * PAGE);
}

/* A mapped file that cannot be found again: every page is read, all correct. */
static void test_deleted_file_mapping(void **state)
{
	struct fixture *f = *state;
	const size_t n = 16, nonzero[] = { 2, 3, 9 };
	uint8_t *ram = map_source(f, n, true);
	struct memsave_stats st;

	fill_page(ram, 9);
	assert_int_equal(memsave__write(f->out, ram, n * PAGE, &st), 0);
	assert_int_equal(st.read, n * PAGE);
	assert_int_equal(st.written, 3 * PAGE);
	check_file(f->out, ram, n * PAGE, nonzero, ARRAY_SIZE(nonzero));
	munmap(ram, n * PAGE);
}

/* RAM not on a host page boundary: no pagemap, every page read. */
static void test_unaligned_buffer(void **state)
{
	struct fixture *f = *state;
	const size_t n = 8, nonzero[] = { 1, 6, 7 };
	uint8_t *block = calloc(1, (n + 1) * PAGE), *ram = block + 64;
	struct memsave_stats st;

	assert_non_null(block);
	for (size_t i = 0; i < ARRAY_SIZE(nonzero); i++)
		fill_page(ram, nonzero[i]);
	assert_int_equal(memsave__write(f->out, ram, n * PAGE, &st), 0);
	assert_false(st.pagemap);
	assert_int_equal(st.read, n * PAGE);
	assert_int_equal(st.writes, 2);
	check_file(f->out, ram, n * PAGE, nonzero, ARRAY_SIZE(nonzero));
	free(block);
}

static void test_bad_arguments(void **state)
{
	struct fixture *f = *state;
	uint8_t *ram = map_anon(4 * PAGE);
	int ro;
	char *path;

	assert_int_equal(memsave__write(f->out, ram, PAGE + 1, NULL), -EINVAL);
	assert_int_equal(memsave__write(f->out, NULL, PAGE, NULL), -EINVAL);
	assert_int_equal(memsave__write(f->out, ram, 0, NULL), 0);
	assert_int_equal(lseek(f->out, 0, SEEK_END), 0);
	/* a failed write is reported, not skipped */
	fill_page(ram, 1);
	assert_true(asprintf(&path, "%s/memory", f->dir) > 0);
	ro = open(path, O_RDONLY | O_CLOEXEC);
	assert_true(ro >= 0);
	assert_int_equal(memsave__write(ro, ram, 4 * PAGE, NULL), -EBADF);
	close(ro);
	free(path);
	munmap(ram, 4 * PAGE);
}

/*
 * memsave__populated, which the first round of a live migration asks: in
 * anonymous memory the pages written or read are marked, the others are
 * not, and asking populates none of them.
 */
static void test_populated_anonymous(void **state)
{
	const size_t n = 130, touched[] = { 0, 5, 63, 64, 129 };
	uint8_t *ram = map_anon(n * PAGE);
	uint64_t bitmap[3];
	bool used = false;
	volatile uint8_t sink;
	size_t k = 0;

	(void)state;
	if (!have_pagemap() || sysconf(_SC_PAGESIZE) != PAGE)
		skip();
	for (size_t i = 0; i < ARRAY_SIZE(touched) - 1; i++)
		fill_page(ram, touched[i]);
	sink = ram[129 * PAGE];		/* read only: the zero page */
	(void)sink;
	memset(bitmap, 0xff, sizeof(bitmap));	/* overwritten, not ORed into */
	assert_int_equal(memsave__populated(ram, n * PAGE, bitmap, &used),
			 (int64_t)ARRAY_SIZE(touched));
	assert_true(used);
	for (size_t i = 0; i < n; i++) {
		bool want = k < ARRAY_SIZE(touched) && touched[k] == i;

		if ((bitmap[i / 64] >> (i % 64) & 1) != want)
			fail_msg("page %zu: %s, want %s", i, want ? "not marked" : "marked",
				 want ? "marked" : "not marked");
		if (!want && resident(ram, i))
			fail_msg("page %zu was never populated, yet asking populated it", i);
		k += want;
	}
	assert_int_equal(bitmap[2] >> 2, 0);	/* no bit past the last page */
	munmap(ram, n * PAGE);
}

/* What cannot be told is marked: RAM not on a host page boundary. */
static void test_populated_unknown(void **state)
{
	const size_t n = 8;
	uint8_t *block = calloc(1, (n + 1) * PAGE);
	uint64_t bitmap[1] = { 0 };
	bool used = true;

	(void)state;
	assert_non_null(block);
	assert_int_equal(memsave__populated(block + 64, n * PAGE, bitmap, &used), (int64_t)n);
	assert_false(used);
	assert_int_equal(bitmap[0], 0xff);
	assert_int_equal(memsave__populated(block, PAGE + 1, bitmap, NULL), -EINVAL);
	free(block);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_anonymous),
		T(test_run_across_batches),
		T(test_private_file_mapping),
		T(test_deleted_file_mapping),
		T(test_file_mapped_into_anonymous),
		T(test_unaligned_buffer),
		T(test_bad_arguments),
		T(test_populated_anonymous),
		T(test_populated_unknown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
