/*
 * What restore opens of what a snapshot names (vmm/saved-open.c) and the
 * devices section that names it (vmm/devcfg.c): symlinks anywhere in the
 * path, FIFOs, devices, directories, relative paths, another size or
 * another file are refused with a reason; -d and -n name the backing; the
 * section's version 2 (boot id, device, inode) and version 1 both read.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "unit.h"
#include "unprivileged.h"
#include "vmm/devcfg.h"
#include "vmm/persist.h"
#include "vmm/saved-open.h"
#include "vmm/snapshot.h"
#include "vmm/util.h"

static char dir[PATH_MAX];
static char paths[16][PATH_MAX + 32];
static unsigned nr_paths;

static const char *at(const char *name)
{
	char *p = paths[nr_paths++ % 16];

	snprintf(p, sizeof(paths[0]), "%s/%s", dir, name);
	return p;
}

static const char *make_file(const char *name, size_t size)
{
	const char *path = at(name);
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);

	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, (off_t)size), 0);
	close(fd);
	return path;
}

static int setup(void **state)
{
	char tmpl[] = "/tmp/vmm-test-open-XXXXXX", *real;

	if (!mkdtemp(tmpl))
		return -1;
	real = realpath(tmpl, NULL);	/* no symlink in it, whatever /tmp is */
	if (!real)
		return -1;
	snprintf(dir, sizeof(dir), "%s", real);
	free(real);
	return 0;
}

static int teardown(void **state)
{
	char cmd[PATH_MAX + 16];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd);
}

/* Refused, with a reason containing want, and nothing left open. */
static void refused(const char *path, int flags, const char *want)
{
	struct stat st;
	char why[256] = "";
	int fd = saved_open__regular(path, flags, &st, why, sizeof(why));

	assert_int_equal(fd, -VMM_ERR_INPUT);
	if (!strstr(why, want))
		fail_msg("%s: '%s', want '%s'", path, why, want);
	assert_null(strchr(why, '\n'));
}

static void test_regular(void **state)
{
	const char *path = make_file("a.img", 8192);
	struct stat st, want;
	char why[256];
	int fd = saved_open__regular(path, O_RDWR, &st, why, sizeof(why));

	assert_true(fd >= 0);
	assert_int_equal(stat(path, &want), 0);
	assert_int_equal(st.st_ino, want.st_ino);
	assert_int_equal(st.st_size, 8192);
	assert_int_equal(fcntl(fd, F_GETFL) & (O_ACCMODE | O_NONBLOCK), O_RDWR);
	assert_true(fcntl(fd, F_GETFD) & FD_CLOEXEC);
	close(fd);
}

static void test_refused(void **state)
{
	const char *target = make_file("target.img", 4096);
	const char *link = at("link.img"), *fifo = at("fifo"), *sub = at("sub");
	const char *sublink = at("sublink"), *via = at("sublink/b.img");
	char cwd[PATH_MAX];

	assert_int_equal(symlink(target, link), 0);
	refused(link, O_RDONLY, "symlink");
	/* A symlink to a directory on the way: O_NOFOLLOW alone would follow it. */
	assert_int_equal(mkdir(sub, 0755), 0);
	make_file("sub/b.img", 4096);
	assert_int_equal(symlink(sub, sublink), 0);
	refused(via, O_RDONLY, "symlink");
	/* A FIFO: refused at once, not hung in open(). */
	assert_int_equal(mkfifo(fifo, 0600), 0);
	refused(fifo, O_RDONLY, "is a FIFO, not a regular file");
	refused(fifo, O_RDWR, "is a FIFO");
	refused(sub, O_RDONLY, "is a directory");
	refused("/dev/null", O_RDWR, "is a character device");
	refused(at("missing.img"), O_RDONLY, "No such file");
	/* A relative path would depend on where restore runs. */
	assert_non_null(getcwd(cwd, sizeof(cwd)));
	assert_int_equal(chdir(dir), 0);
	refused("target.img", O_RDONLY, "not an absolute path");
	assert_int_equal(chdir(cwd), 0);
}

static int open_disk(const char *path, bool ro, const struct disk_expect *e, char *why)
{
	const struct disk_config d = { path, ro };
	struct stat st;
	uint64_t size;
	int fd = saved_open__disk(&d, e, &st, &size, why, 256);

	if (fd >= 0) {
		assert_int_equal(size, e->size);
		close(fd);
		return 0;
	}
	return fd;
}

static void test_disk(void **state)
{
	const char *path = make_file("disk.img", 1 << 20);
	const char *other = make_file("other.img", 1 << 20);
	const char *link = at("disk-link.img");
	struct disk_expect e = { .size = 1 << 20 };
	struct stat st;
	char why[256];

	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(symlink(path, link), 0);
	assert_int_equal(open_disk(path, false, &e, why), 0);
	e.size = 4096;
	assert_int_equal(open_disk(path, true, &e, why), -VMM_ERR_INPUT);
	assert_string_equal(why, "has 1048576 bytes, the snapshot's had 4096");
	e.size = 1 << 20;
	/* The same boot: the same device and inode, not just the same size. */
	e.same_file = true;
	e.dev = st.st_dev;
	e.ino = st.st_ino;
	assert_int_equal(open_disk(path, false, &e, why), 0);
	assert_int_equal(open_disk(other, false, &e, why), -VMM_ERR_INPUT);
	assert_non_null(strstr(why, "is another file than the snapshot's"));
	assert_int_equal(open_disk(link, false, &e, why), -VMM_ERR_INPUT);
	assert_non_null(strstr(why, "symlink"));
	/* Named with -d: as named, another inode, through a symlink. */
	e.named = true;
	assert_int_equal(open_disk(link, false, &e, why), 0);
	assert_int_equal(open_disk(other, true, &e, why), 0);
	e.size = 0;
	assert_int_equal(open_disk("/dev/null", true, &e, why), -VMM_ERR_INPUT);
	assert_non_null(strstr(why, "character device"));
}

/* ---- the permission checks, as a user even when the tests run as root ---- */

static const char *locked;

static int open_locked(void *arg)
{
	struct disk_expect e = { .size = 4096 };
	char why[256];

	if (open_disk(locked, true, &e, why) != 0)
		return 2;	/* readable: the control */
	if (open_disk(locked, false, &e, why) != -VMM_ERR_INPUT || !strstr(why, "Permission denied"))
		return 3;
	return 0;
}

static int open_unreadable(void *arg)
{
	struct disk_expect e = { .size = 4096 };
	char why[256];

	if (open_disk(locked, true, &e, why) != -VMM_ERR_INPUT || !strstr(why, "Permission denied"))
		return 4;
	return 0;
}

static void test_permissions(void **state)
{
	locked = make_file("locked.img", 4096);
	assert_int_equal(chmod(dir, 0755), 0);
	assert_int_equal(chmod(locked, 0444), 0);
	assert_int_equal(unit__unprivileged(open_locked, NULL), 0);
	assert_int_equal(chmod(locked, 0), 0);
	assert_int_equal(unit__unprivileged(open_unreadable, NULL), 0);
	assert_int_equal(chmod(dir, 0700), 0);
}

/* ---- the devices section ---- */

static void reader_of(struct snap_reader *r, struct snap_section *sec, uint32_t version,
		      const struct pbuf *b)
{
	*sec = (struct snap_section){ SNAP_SEC_DEVICES, 0, version, b->data, b->len };
	memset(r, 0, sizeof(*r));
	r->sections = sec;
	r->nr_sections = 1;
}

static void test_section_v2(void **state)
{
	const char *a = make_file("v2a.img", 8192), *b = make_file("v2b.img", 4096);
	struct vm_config cfg = { .nr_disks = 2, .nr_nets = 1, .rng = true };
	struct saved_devices *d = calloc(1, sizeof(*d));
	struct snap_section sec;
	struct snap_reader r;
	char err[256], boot[40];
	struct stat st;
	struct pbuf p;

	cfg.disks[0] = (struct disk_config){ a, false };
	cfg.disks[1] = (struct disk_config){ b, true };
	cfg.nets[0].tap = "tap0";
	pbuf__init(&p);
	assert_int_equal(devcfg__save(&cfg, &p), 0);
	reader_of(&r, &sec, SNAP_VER_DEVICES, &p);
	assert_int_equal(devcfg__parse(&r, d, err, sizeof(err)), 0);
	saved_open__boot_id(boot, sizeof(boot));
	assert_int_equal(strlen(boot), 36);
	assert_string_equal(d->boot_id, boot);
	assert_int_equal(stat(b, &st), 0);
	assert_int_equal(d->disks[1].size, 4096);
	assert_int_equal(d->disks[1].dev, st.st_dev);
	assert_int_equal(d->disks[1].ino, st.st_ino);
	assert_true(d->disks[1].ro);
	assert_string_equal(d->nets[0].tap, "tap0");
	/* This boot: each disk must be the same file. */
	assert_int_equal(devcfg__expect(d, NULL, boot, err, sizeof(err)), 0);
	assert_true(d->expect[0].same_file && d->expect[1].same_file);
	assert_int_equal(devcfg__check_disks(d, err, sizeof(err)), 0);
	assert_int_equal(devcfg__expect(d, NULL, "another-boot", err, sizeof(err)), 0);
	assert_false(d->expect[0].same_file);
	/* Version 1 has no boot id or inodes: the same bytes without them read too. */
	p.len -= 4 + 36 + 2 * 16;
	reader_of(&r, &sec, 1, &p);
	assert_int_equal(devcfg__parse(&r, d, err, sizeof(err)), 0);
	assert_string_equal(d->boot_id, "");
	assert_int_equal(d->disks[0].ino, 0);
	assert_int_equal(devcfg__expect(d, NULL, boot, err, sizeof(err)), 0);
	assert_false(d->expect[0].same_file);
	/* ... and version 2 without them is cut short. */
	reader_of(&r, &sec, 2, &p);
	assert_int_equal(devcfg__parse(&r, d, err, sizeof(err)), -VMM_ERR_INPUT);
	assert_string_equal(err, "section devices: bad boot id");
	pbuf__free(&p);
	free(d);
}

static void test_named_backing(void **state)
{
	const char *a = make_file("n.img", 8192), *copy = make_file("n-copy.img", 8192);
	struct vm_config cfg = { .nr_disks = 1, .nr_nets = 1 };
	struct saved_devices *d = calloc(1, sizeof(*d));
	struct restore_backing b = { .nr_disks = 1 };
	struct snap_section sec;
	struct snap_reader r;
	char err[256], boot[40];
	struct pbuf p;

	cfg.disks[0] = (struct disk_config){ a, true };
	cfg.nets[0].tap = "tap0";
	pbuf__init(&p);
	assert_int_equal(devcfg__save(&cfg, &p), 0);
	reader_of(&r, &sec, SNAP_VER_DEVICES, &p);
	assert_int_equal(devcfg__parse(&r, d, err, sizeof(err)), 0);
	saved_open__boot_id(boot, sizeof(boot));
	/* another file of the same size: refused as the snapshot's, taken with -d */
	strcpy(d->disks[0].path, copy);
	assert_int_equal(devcfg__expect(d, NULL, boot, err, sizeof(err)), 0);
	assert_int_equal(devcfg__check_disks(d, err, sizeof(err)), -VMM_ERR_INPUT);
	assert_non_null(strstr(err, "is another file than the snapshot's"));
	assert_true(!strncmp(err, "disk ", 5) && strstr(err, copy));
	b.disks[0] = (struct disk_config){ copy, true };
	assert_int_equal(devcfg__expect(d, &b, boot, err, sizeof(err)), 0);
	assert_string_equal(d->disks[0].path, copy);
	assert_true(d->expect[0].named);
	assert_int_equal(devcfg__check_disks(d, err, sizeof(err)), 0);
	/* the read-only flag must be the snapshot's; the count too */
	b.disks[0].ro = false;
	assert_int_equal(devcfg__expect(d, &b, boot, err, sizeof(err)), -VMM_ERR_INPUT);
	assert_non_null(strstr(err, "the snapshot's disk 0 is read-only: add ,ro"));
	b.disks[0].ro = true;
	b.nr_disks = 2;
	b.disks[1] = b.disks[0];
	assert_int_equal(devcfg__expect(d, &b, boot, err, sizeof(err)), -VMM_ERR_INPUT);
	assert_string_equal(err, "-d names 2 disks, the snapshot has 1 (restore --check lists "
			    "them in order)");
	b.nr_disks = 0;
	b.nr_nets = 1;
	b.taps[0] = "vmtap7";
	assert_int_equal(devcfg__expect(d, &b, boot, err, sizeof(err)), 0);
	assert_string_equal(d->nets[0].tap, "vmtap7");
	b.taps[0] = "a/b";
	assert_int_equal(devcfg__expect(d, &b, boot, err, sizeof(err)), -VMM_ERR_INPUT);
	pbuf__free(&p);
	free(d);
}

/* Tap names from a snapshot: no control characters, no '/', fits IFNAMSIZ. */
static void test_bad_tap(void **state)
{
	static const char *const bad[] = { "tap\x1b[2J", "a/b", "", "..", "tap 0" };
	struct saved_devices *d = calloc(1, sizeof(*d));
	struct snap_section sec;
	struct snap_reader r;
	char err[256];
	struct pbuf p;

	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		pbuf__init(&p);
		pbuf__put_u8(&p, 0);
		pbuf__put_u8(&p, 0);
		pbuf__put_u32(&p, 0);
		pbuf__put_u32(&p, 1);
		pbuf__put_str(&p, bad[i]);
		pbuf__put_bytes(&p, "\x02\0\0\0\0\x01", 6);
		reader_of(&r, &sec, 1, &p);
		assert_int_equal(devcfg__parse(&r, d, err, sizeof(err)), -VMM_ERR_INPUT);
		assert_string_equal(err, "section devices: bad tap name");
		pbuf__free(&p);
	}
	free(d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_regular),
		cmocka_unit_test(test_refused),
		cmocka_unit_test(test_disk),
		cmocka_unit_test(test_permissions),
		cmocka_unit_test(test_section_v2),
		cmocka_unit_test(test_named_backing),
		cmocka_unit_test(test_bad_tap),
	};

	return cmocka_run_group_tests_name("saved_open", tests, setup, teardown);
}
