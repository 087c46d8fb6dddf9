/*
 * Unit tests of the in-memory newc cpio builder (vmm/cpio.c). The archives
 * are checked against the format's rules (the kernel's buffer-format.rst:
 * "070701", thirteen 8-digit hex fields, name and data each padded to 4
 * bytes, TRAILER!!! last) by a parser written here, against bytes written
 * out by hand, and by unpacking them with the system's cpio -idm.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "unit.h"
#include "vmm/cpio.h"

struct entry {
	char name[256];
	unsigned mode, nlink, size;
	const uint8_t *data;
};

static unsigned hex8(const uint8_t *p)
{
	unsigned v = 0;
	int i;

	for (i = 0; i < 8; i++) {
		int c = p[i];

		if (c >= '0' && c <= '9')
			v = v * 16 + (unsigned)(c - '0');
		else if (c >= 'A' && c <= 'F')
			v = v * 16 + (unsigned)(c - 'A' + 10);
		else if (c >= 'a' && c <= 'f')
			v = v * 16 + (unsigned)(c - 'a' + 10);
		else
			fail_msg("'%c' is not a hex digit", c);
	}
	return v;
}

static void assert_zero_pad(const uint8_t *p, size_t from, size_t to)
{
	for (; from < to; from++)
		assert_int_equal(p[from], 0);
}

/* Parses a whole archive by the newc rules; returns the number of entries before the trailer. */
static int parse(const uint8_t *p, size_t len, struct entry *out, int max)
{
	size_t off = 0;
	int n = 0;

	assert_int_equal(len % 4, 0);
	for (;;) {
		unsigned namesize, size, field[13];
		size_t name_end, data_end;
		int i;

		assert_true(off + 110 <= len);
		assert_memory_equal(p + off, "070701", 6);
		for (i = 0; i < 13; i++)
			field[i] = hex8(p + off + 6 + 8 * i);
		namesize = field[11];
		size = field[6];
		assert_int_equal(field[2], 0);		/* uid */
		assert_int_equal(field[3], 0);		/* gid */
		assert_int_equal(field[12], 0);		/* check */
		assert_true(namesize >= 2);
		name_end = off + 110 + namesize;
		assert_true(name_end <= len);
		assert_int_equal(p[name_end - 1], 0);
		assert_int_equal(strlen((const char *)p + off + 110), namesize - 1);
		assert_zero_pad(p, name_end, (name_end + 3) & ~3UL);
		name_end = (name_end + 3) & ~3UL;
		data_end = name_end + size;
		assert_true(data_end <= len);
		assert_zero_pad(p, data_end, (data_end + 3) & ~3UL);
		if (!strcmp((const char *)p + off + 110, "TRAILER!!!")) {
			assert_int_equal(size, 0);
			assert_int_equal((data_end + 3) & ~3UL, len);	/* nothing after it */
			return n;
		}
		assert_true(n < max);
		/* names are relative, inode numbers distinct */
		assert_true(p[off + 110] != '/');
		for (i = 0; i < n; i++)
			assert_string_not_equal(out[i].name, (const char *)p + off + 110);
		snprintf(out[n].name, sizeof(out[n].name), "%s", (const char *)p + off + 110);
		out[n].mode = field[1];
		out[n].nlink = field[4];
		out[n].size = size;
		out[n].data = p + name_end;
		n++;
		off = (data_end + 3) & ~3UL;
	}
}

/* One file "x" (0600, "ab") and the trailer, written out by hand from the format. */
static void test_bytes_by_hand(void **state)
{
	static const char expect[] =
		"070701" "00000001" "00008180" "00000000" "00000000" "00000001" "00000000"
		"00000002" "00000000" "00000000" "00000000" "00000000" "00000002" "00000000"
		"x\0" "ab\0\0"
		"070701" "00000002" "00000000" "00000000" "00000000" "00000001" "00000000"
		"00000000" "00000000" "00000000" "00000000" "00000000" "0000000B" "00000000"
		"TRAILER!!!\0" "\0\0\0";
	struct cpio c;
	char err[256];

	cpio__init(&c, 1 << 20);
	assert_int_equal(cpio__add_file(&c, "/x", 0600, "ab", 2, err, sizeof(err)), 0);
	assert_int_equal(cpio__finish(&c, err, sizeof(err)), 0);
	assert_int_equal(c.len, sizeof(expect) - 1);
	assert_memory_equal(c.buf, expect, sizeof(expect) - 1);
	cpio__free(&c);
}

/* Names of every length mod 4 and data of every length mod 4 keep the alignment. */
static void test_alignment_and_parents(void **state)
{
	static const char *names[] = { "a", "ab", "abc", "abcd", "abcde" };
	struct entry e[64];
	struct cpio c;
	char err[256], name[64];
	int i, j, n;

	cpio__init(&c, 1 << 20);
	for (i = 0; i < 5; i++)
		for (j = 0; j < 5; j++) {
			snprintf(name, sizeof(name), "//d%d/%s/", i, names[j]);
			assert_int_equal(cpio__add_file(&c, name, 0644, "0123", (size_t)j,
							err, sizeof(err)), 0);
		}
	assert_int_equal(cpio__add_symlink(&c, "usr/lib/deep/link", "../x", err, sizeof(err)), 0);
	assert_int_equal(cpio__finish(&c, err, sizeof(err)), 0);
	n = parse(c.buf, c.len, e, 64);
	assert_int_equal(n, 5 * 6 + 4);
	/* each d%d directory comes right before its first file */
	assert_string_equal(e[0].name, "d0");
	assert_int_equal(e[0].mode, 040755);
	assert_int_equal(e[0].nlink, 2);
	assert_string_equal(e[1].name, "d0/a");
	assert_int_equal(e[1].mode, 0100644);
	assert_int_equal(e[1].size, 0);
	assert_string_equal(e[5].name, "d0/abcde");
	assert_int_equal(e[5].size, 4);
	assert_memory_equal(e[5].data, "0123", 4);
	assert_string_equal(e[30].name, "usr");
	assert_string_equal(e[31].name, "usr/lib");
	assert_string_equal(e[32].name, "usr/lib/deep");
	assert_string_equal(e[33].name, "usr/lib/deep/link");
	assert_int_equal(e[33].mode, 0120777);
	assert_int_equal(e[33].size, 4);
	assert_memory_equal(e[33].data, "../x", 4);
	cpio__free(&c);
}

static void expect_error(int ret, int want, const char *err, const char *msg)
{
	assert_int_equal(ret, want);
	if (!strstr(err, msg))
		fail_msg("message '%s' lacks '%s'", err, msg);
	assert_null(strchr(err, '\n'));
}

static void test_bad_names_and_limits(void **state)
{
	char longname[5000], err[256];
	struct cpio c;

	cpio__init(&c, 1024);
	expect_error(cpio__add_file(&c, "a/../b", 0644, "", 0, err, sizeof(err)), -EINVAL, err, "'..'");
	expect_error(cpio__add_file(&c, "./b", 0644, "", 0, err, sizeof(err)), -EINVAL, err, "'.'");
	expect_error(cpio__add_file(&c, "//", 0644, "", 0, err, sizeof(err)), -EINVAL, err, "empty");
	expect_error(cpio__add_dir(&c, "", 0755, err, sizeof(err)), -EINVAL, err, "empty");
	memset(longname, 'n', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = 0;
	expect_error(cpio__add_file(&c, longname, 0644, "", 0, err, sizeof(err)), -EINVAL, err, "longer");
	expect_error(cpio__add_symlink(&c, "l", "", err, sizeof(err)), -EINVAL, err, "target");
	assert_int_equal(cpio__add_file(&c, "f", 0644, "x", 1, err, sizeof(err)), 0);
	expect_error(cpio__add_file(&c, "/f", 0644, "y", 1, err, sizeof(err)), -EEXIST, err, "twice");
	expect_error(cpio__add_symlink(&c, "f", "g", err, sizeof(err)), -EEXIST, err, "twice");
	assert_int_equal(cpio__add_dir(&c, "d", 0755, err, sizeof(err)), 0);
	assert_int_equal(cpio__add_dir(&c, "d/", 0700, err, sizeof(err)), 0);	/* again: no-op */
	/* 1024 bytes hold no 900-byte file next to what is there and the trailer */
	expect_error(cpio__add_file(&c, "big", 0644, longname, 900, err, sizeof(err)), -EFBIG, err, "limit");
	assert_int_equal(cpio__finish(&c, err, sizeof(err)), 0);
	assert_true(c.len <= 1024);
	expect_error(cpio__add_file(&c, "late", 0644, "", 0, err, sizeof(err)), -EINVAL, err, "after the trailer");
	expect_error(cpio__finish(&c, err, sizeof(err)), -EINVAL, err, "twice");
	cpio__free(&c);
}

/* An archive filled to exactly its limit still gets its trailer. */
static void test_exact_limit(void **state)
{
	struct entry e[4];
	struct cpio c;
	char err[256];

	/* entry: 112 (header + "f\0") + 8 data; trailer 124 */
	cpio__init(&c, 112 + 8 + 124);
	assert_int_equal(cpio__add_file(&c, "f", 0644, "12345678", 8, err, sizeof(err)), 0);
	expect_error(cpio__add_dir(&c, "g", 0755, err, sizeof(err)), -EFBIG, err, "limit");
	assert_int_equal(cpio__finish(&c, err, sizeof(err)), 0);
	assert_int_equal(c.len, 112 + 8 + 124);
	assert_int_equal(parse(c.buf, c.len, e, 4), 1);
	cpio__free(&c);
}

static char tmpdir[64];

static void write_host_file(const char *path, const void *data, size_t len, mode_t mode)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, data, len), (ssize_t)len);
	assert_int_equal(fchmod(fd, mode), 0);
	close(fd);
}

static void test_host_file(void **state)
{
	char path[128], err[256];
	struct entry e[4];
	struct cpio c;

	snprintf(path, sizeof(path), "%s/host", tmpdir);
	write_host_file(path, "\0\1\2binary", 9, 0751);
	cpio__init(&c, 1 << 20);
	assert_int_equal(cpio__add_host_file(&c, "bin/prog", path, err, sizeof(err)), 0);
	expect_error(cpio__add_host_file(&c, "bin/dir", tmpdir, err, sizeof(err)), -EISDIR, err,
		     "not a regular file");
	snprintf(path, sizeof(path), "%s/missing", tmpdir);
	expect_error(cpio__add_host_file(&c, "bin/m", path, err, sizeof(err)), -ENOENT, err, "missing");
	assert_int_equal(cpio__finish(&c, err, sizeof(err)), 0);
	assert_int_equal(parse(c.buf, c.len, e, 4), 2);
	assert_string_equal(e[1].name, "bin/prog");
	assert_int_equal(e[1].mode, 0100751);
	assert_int_equal(e[1].size, 9);
	assert_memory_equal(e[1].data, "\0\1\2binary", 9);
	cpio__free(&c);
}

static void check_unpacked(const char *root, const char *name, mode_t mode,
			   const void *data, size_t len)
{
	char path[512], buf[256];
	struct stat st;

	snprintf(path, sizeof(path), "%s/%s", root, name);
	assert_int_equal(lstat(path, &st), 0);
	assert_int_equal(st.st_mode, mode);
	if (S_ISLNK(mode)) {
		ssize_t n = readlink(path, buf, sizeof(buf));

		assert_int_equal(n, (ssize_t)len);
		assert_memory_equal(buf, data, len);
	} else if (S_ISREG(mode)) {
		int fd = open(path, O_RDONLY);

		assert_true(fd >= 0);
		assert_int_equal(read(fd, buf, sizeof(buf)), (ssize_t)len);
		assert_memory_equal(buf, data, len);
		close(fd);
	}
}

/* The system's cpio unpacks the archive to the same tree. */
static void test_unpack_with_cpio(void **state)
{
	static const uint8_t blob[] = { 0, 0xff, '\n', 0x80, 0, 7, 'z' };
	char archive[128], root[128], cmd[512], err[256];
	struct cpio c;
	FILE *f;

	cpio__init(&c, 1 << 20);
	assert_int_equal(cpio__add_dir(&c, "job", 0700, err, sizeof(err)), 0);
	assert_int_equal(cpio__add_file(&c, "job/data.bin", 0640, blob, sizeof(blob), err, sizeof(err)), 0);
	assert_int_equal(cpio__add_file(&c, "usr/bin/busybox", 0755, "BB", 2, err, sizeof(err)), 0);
	assert_int_equal(cpio__add_symlink(&c, "usr/bin/ls", "busybox", err, sizeof(err)), 0);
	assert_int_equal(cpio__add_symlink(&c, "bin", "usr/bin", err, sizeof(err)), 0);
	assert_int_equal(cpio__add_file(&c, "empty", 0444, NULL, 0, err, sizeof(err)), 0);
	assert_int_equal(cpio__finish(&c, err, sizeof(err)), 0);

	snprintf(archive, sizeof(archive), "%s/a.cpio", tmpdir);
	snprintf(root, sizeof(root), "%s/root", tmpdir);
	f = fopen(archive, "wb");
	assert_non_null(f);
	assert_int_equal(fwrite(c.buf, 1, c.len, f), c.len);
	fclose(f);
	assert_int_equal(mkdir(root, 0755), 0);
	snprintf(cmd, sizeof(cmd), "cd %s && cpio -idm --quiet < %s", root, archive);
	assert_int_equal(system(cmd), 0);

	check_unpacked(root, "job", S_IFDIR | 0700, NULL, 0);
	check_unpacked(root, "job/data.bin", S_IFREG | 0640, blob, sizeof(blob));
	check_unpacked(root, "usr", S_IFDIR | 0755, NULL, 0);
	check_unpacked(root, "usr/bin/busybox", S_IFREG | 0755, "BB", 2);
	check_unpacked(root, "usr/bin/ls", S_IFLNK | 0777, "busybox", 7);
	check_unpacked(root, "bin", S_IFLNK | 0777, "usr/bin", 7);
	check_unpacked(root, "empty", S_IFREG | 0444, "", 0);
	cpio__free(&c);
}

static int setup(void **state)
{
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/test_cpio.XXXXXX");
	return mkdtemp(tmpdir) ? 0 : -1;
}

static int teardown(void **state)
{
	char cmd[256];

	snprintf(cmd, sizeof(cmd), "chmod -R u+rwx %s; rm -rf %s", tmpdir, tmpdir);
	return system(cmd) == 0 ? 0 : -1;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bytes_by_hand),
		cmocka_unit_test(test_alignment_and_parents),
		cmocka_unit_test(test_bad_names_and_limits),
		cmocka_unit_test(test_exact_limit),
		cmocka_unit_test(test_host_file),
		cmocka_unit_test(test_unpack_with_cpio),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
