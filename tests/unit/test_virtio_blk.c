/*
 * Unit tests of the virtio block device (virtio/blk.c) over the fake
 * transport (fake-virtio.c): a real virtqueue in a fake guest memory, laid
 * out by this file as a driver would, and real disk images in a temporary
 * directory. The images live in /var/tmp (a disk file system: O_DIRECT
 * works there) and in /dev/shm (tmpfs, which refuses O_DIRECT before Linux
 * 6.6: the buffered fallback). Misaligned requests take the buffered fd
 * anywhere. The test checks the image's bytes directly, not only what the
 * device says.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "unit.h"
#include "unprivileged.h"
#include "fake-virtio.h"
#include "vmm/config.h"
#include "arm64/layout.h"
#include "vmm/util.h"
#include "vmm/virtio.h"
#include "vmm/vm.h"

#define BASE		RAM_BASE
#define MEM_SIZE	(4 * SZ_1M)
#define NUM		256
#define DESC		(BASE + 0x0000)
#define AVAIL		(BASE + 0x1000)
#define USED		(BASE + 0x2000)
#define TABLES		(BASE + 0x4000)		/* an indirect table of 4 per slot */
#define HDRS		(BASE + 0x8000)		/* a 16-byte header per slot */
#define STATUS		(BASE + 0x9000)		/* a status byte per slot */
#define SEGS		(BASE + 0xa000)		/* discard segments */
#define DATA		(BASE + 0x100000)	/* data buffers, 4 KiB aligned */
#define DATA2		(BASE + 0x200000)

#define IMG_SIZE	SZ_1M
#define IMG_SECTORS	(IMG_SIZE / 512)

/* virtio-blk */
#define T_IN		0
#define T_OUT		1
#define T_FLUSH		4
#define T_GET_ID	8
#define T_DISCARD	11
#define T_WRITE_ZEROES	13
#define S_OK		0
#define S_IOERR		1
#define S_UNSUPP	2
#define F_SEG_MAX	2
#define F_RO		5
#define F_BLK_SIZE	6
#define F_FLUSH		9
#define F_DISCARD	13
#define BLK_INFLIGHT	128	/* as virtio/blk.c */

#define W		true	/* device-writable */
#define R		false

#define MAX_FILES	8

struct seg {
	uint64_t gpa;
	uint32_t len;
	bool w;
};

struct fx {
	uint8_t *ram;
	struct vm_config cfg;
	struct vm vm;
	struct virtio_dev *dev;
	uint16_t avail_idx;		/* the fake driver's */
	uint16_t next_desc;		/* the next free descriptor */
	char dir[PATH_MAX];		/* on a disk file system */
	char shm[PATH_MAX];		/* on tmpfs, or "" */
	char files[MAX_FILES][PATH_MAX];
	unsigned nr_files;
};

/* ---- the fake guest ---- */

static uint8_t *at(struct fx *f, uint64_t gpa, uint64_t len)
{
	if (gpa < BASE || gpa - BASE > MEM_SIZE || len > MEM_SIZE - (gpa - BASE))
		fail_msg("test bug: 0x%llx+%llu outside the fake memory", (unsigned long long)gpa,
			 (unsigned long long)len);
	return f->ram + (gpa - BASE);
}

static void desc_at(struct fx *f, uint64_t table, unsigned i, const struct seg *s, bool next,
		    uint16_t next_i)
{
	uint8_t *p = at(f, table + 16 * (uint64_t)i, 16);
	uint16_t flags = (s->w ? 2 : 0) | (next ? 1 : 0);

	put_le(p, s->gpa, 8);
	put_le(p + 8, s->len, 4);
	put_le(p + 12, flags, 2);
	put_le(p + 14, next_i, 2);
}

/*
 * Makes a chain of n buffers available (direct descriptors, or one
 * indirect descriptor whose table is the slot's). Returns its ring slot.
 */
static unsigned offer(struct fx *f, const struct seg *s, unsigned n, bool indirect)
{
	unsigned slot = f->avail_idx % NUM;
	uint16_t head = f->next_desc;

	if (indirect) {
		struct seg table = { TABLES + 64 * slot, 16 * n, false };

		assert_true(n <= 4);
		for (unsigned i = 0; i < n; i++)
			desc_at(f, TABLES + 64 * slot, i, &s[i], i + 1 < n, (uint16_t)(i + 1));
		desc_at(f, DESC, head, &table, false, 0);
		put_le(at(f, DESC + 16 * head + 12, 2), 4, 2);	/* INDIRECT */
		f->next_desc = (f->next_desc + 1) % NUM;
	} else {
		for (unsigned i = 0; i < n; i++) {
			uint16_t d = f->next_desc;

			f->next_desc = (f->next_desc + 1) % NUM;
			desc_at(f, DESC, d, &s[i], i + 1 < n, f->next_desc);
		}
	}
	put_le(at(f, AVAIL + 4 + 2 * slot, 2), head, 2);
	*at(f, STATUS + slot, 1) = 0xee;	/* no status yet */
	__atomic_thread_fence(__ATOMIC_RELEASE);
	put_le(at(f, AVAIL + 2, 2), ++f->avail_idx, 2);
	return slot;
}

static void put_hdr(struct fx *f, unsigned slot, uint32_t type, uint64_t sector)
{
	uint8_t *p = at(f, HDRS + 16 * slot, 16);

	put_le(p, type, 4);
	put_le(p + 4, 0, 4);
	put_le(p + 8, sector, 8);
}

/*
 * A request as Linux frames it: header, data (if len), status. The data is
 * device-writable for IN and GET_ID. Returns the slot.
 */
static unsigned req_ex(struct fx *f, uint32_t type, uint64_t sector, uint64_t data, uint32_t len,
		       bool indirect)
{
	unsigned slot = f->avail_idx % NUM;
	bool dw = type == T_IN || type == T_GET_ID;
	struct seg s[3] = { { HDRS + 16 * slot, 16, R } };
	unsigned n = 1;

	put_hdr(f, slot, type, sector);
	if (len)
		s[n++] = (struct seg){ data, len, dw };
	s[n++] = (struct seg){ STATUS + slot, 1, W };
	return offer(f, s, n, indirect);
}

static unsigned req(struct fx *f, uint32_t type, uint64_t sector, uint64_t data, uint32_t len)
{
	return req_ex(f, type, sector, data, len, false);
}

static uint8_t status(struct fx *f, unsigned slot)
{
	return *at(f, STATUS + slot, 1);
}

static uint16_t used_idx(struct fx *f)
{
	return (uint16_t)get_le(at(f, USED + 2, 2), 2);
}

/* The used element for ring slot (pushed in the order the test expects). */
static uint32_t used_len_of(struct fx *f, unsigned head)
{
	for (unsigned i = 0; i < used_idx(f) && i < NUM; i++)
		if (get_le(at(f, USED + 4 + 8 * i, 4), 4) == head)
			return (uint32_t)get_le(at(f, USED + 8 + 8 * i, 4), 4);
	fail_msg("head %u not used", head);
	return 0;
}

/* The head descriptor of the chain in ring slot. */
static unsigned head_of(struct fx *f, unsigned slot)
{
	return (unsigned)get_le(at(f, AVAIL + 4 + 2 * slot, 2), 2);
}

/* Kicks the queue and runs the device until n chains in all were used. */
static void run(struct fx *f, uint16_t n)
{
	time_t end = time(NULL) + 10;

	fake_virtio__kick(f->dev, 0);
	while (used_idx(f) != n) {
		assert_true(time(NULL) < end);
		fake_virtio__poll(f->dev, 100);
	}
	assert_false(fake_virtio__stats(f->dev)->failed);
}

/* ---- images ---- */

static const char *new_file(struct fx *f, const char *dir, const char *name)
{
	char *p = f->files[f->nr_files++];

	assert_true(f->nr_files <= MAX_FILES);
	snprintf(p, PATH_MAX, "%s/%s", dir, name);
	return p;
}

/* An image of size bytes, byte i = fill(i). */
static uint8_t fill(uint64_t i, uint8_t seed)
{
	return (uint8_t)(i * 7 + i / 512 + seed);
}

static const char *make_image(struct fx *f, const char *dir, const char *name, uint64_t size,
			      uint8_t seed)
{
	const char *path = new_file(f, dir, name);
	uint8_t *buf = malloc(size ? size : 1);
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);

	assert_non_null(buf);
	assert_true(fd >= 0);
	for (uint64_t i = 0; i < size; i++)
		buf[i] = fill(i, seed);
	assert_int_equal(write(fd, buf, size), (ssize_t)size);
	close(fd);
	free(buf);
	return path;
}

static uint8_t *read_image(const char *path, uint64_t *size)
{
	uint8_t *buf;
	size_t len;

	assert_int_equal(read_file(path, 64 * SZ_1M, &buf, &len), 0);
	if (size)
		*size = len;
	return buf;
}

/* Adds the disk to the config and creates its device (the last one). */
static int add_disk(struct fx *f, const char *path, bool ro)
{
	int r;

	f->cfg.nr_disks = 0;
	f->cfg.disks[f->cfg.nr_disks++] = (struct disk_config){ path, ro };
	r = virtio_blk__init(&f->vm);
	f->dev = fake_virtio__nr_devs() ? fake_virtio__dev(fake_virtio__nr_devs() - 1) : NULL;
	return r;
}

/* A disk with its queue set up, ready for requests. */
static const char *start_disk(struct fx *f, const char *dir, bool ro, uint8_t seed)
{
	const char *path = make_image(f, dir, ro ? "ro.img" : "rw.img", IMG_SIZE, seed);

	assert_int_equal(add_disk(f, path, ro), 0);
	assert_non_null(f->dev);
	assert_true(fake_virtio__stats(f->dev)->started);
	assert_int_equal(fake_virtio__setup_queue(f->dev, 0, NUM, DESC, AVAIL, USED), 0);
	return path;
}

static void pattern(struct fx *f, uint64_t gpa, uint32_t len, uint8_t seed)
{
	uint8_t *p = at(f, gpa, len);

	for (uint32_t i = 0; i < len; i++)
		p[i] = (uint8_t)(i * 13 + seed);
}

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	if (!f || posix_memalign((void **)&f->ram, 4096, MEM_SIZE))
		return -1;
	memset(f->ram, 0, MEM_SIZE);
	f->vm.cfg = &f->cfg;
	f->vm.ram = f->ram;
	f->vm.ram_size = MEM_SIZE;
	snprintf(f->dir, sizeof(f->dir), "/var/tmp/vmm-test-blk-XXXXXX");
	if (!mkdtemp(f->dir))
		return -1;
	snprintf(f->shm, sizeof(f->shm), "/dev/shm/vmm-test-blk-XXXXXX");
	if (!mkdtemp(f->shm))
		f->shm[0] = 0;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	fake_virtio__destroy_all();
	for (unsigned i = 0; i < f->nr_files; i++)
		unlink(f->files[i]);
	rmdir(f->dir);
	if (f->shm[0])
		rmdir(f->shm);
	free(f->ram);
	free(f);
	return 0;
}

/* How many fds of this process have path open, and how many of them only for reading. */
static unsigned open_fds(const char *path, unsigned *rdonly)
{
	char real[PATH_MAX], link[64], target[PATH_MAX], info[64];
	unsigned n = 0;

	*rdonly = 0;
	assert_non_null(realpath(path, real));
	for (int fd = 0; fd < 1024; fd++) {
		unsigned long flags = 0;
		ssize_t len;
		FILE *fi;
		char line[128];

		snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
		len = readlink(link, target, sizeof(target) - 1);
		if (len < 0)
			continue;
		target[len] = 0;
		if (strcmp(target, real))
			continue;
		snprintf(info, sizeof(info), "/proc/self/fdinfo/%d", fd);
		fi = fopen(info, "r");
		assert_non_null(fi);
		while (fgets(line, sizeof(line), fi))
			sscanf(line, "flags: %lo", &flags);
		fclose(fi);
		n++;
		if ((flags & O_ACCMODE) == O_RDONLY)
			(*rdonly)++;
	}
	return n;
}

/* ---- reads and writes ---- */

/*
 * Writes and reads back: aligned (O_DIRECT where the file system has it),
 * then a misaligned buffer and a single sector (the buffered fd), then an
 * aligned read over both, which must see both.
 */
static void write_read(struct fx *f, const char *dir)
{
	const char *path = start_disk(f, dir, false, 1);
	uint8_t *img;
	unsigned a, b, c;

	pattern(f, DATA, 8192, 0x10);
	a = req(f, T_OUT, 16, DATA, 8192);			/* bytes 8192..16383 */
	pattern(f, DATA2 + 3, 512, 0x20);
	b = req(f, T_OUT, 1, DATA2 + 3, 512);			/* bytes 512..1023 */
	run(f, 2);
	assert_int_equal(status(f, a), S_OK);
	assert_int_equal(status(f, b), S_OK);
	assert_int_equal(used_len_of(f, head_of(f, a)), 1);

	img = read_image(path, NULL);
	assert_memory_equal(img + 8192, at(f, DATA, 8192), 8192);
	assert_memory_equal(img + 512, at(f, DATA2 + 3, 512), 512);
	for (unsigned i = 0; i < 512; i++)
		assert_int_equal(img[i], fill(i, 1));		/* untouched around it */
	for (unsigned i = 1024; i < 8192; i++)
		assert_int_equal(img[i], fill(i, 1));

	memset(at(f, DATA2, 16384), 0, 16384);
	c = req(f, T_IN, 0, DATA2, 16384);
	run(f, 3);
	assert_int_equal(status(f, c), S_OK);
	assert_int_equal(used_len_of(f, head_of(f, c)), 16384 + 1);
	assert_memory_equal(at(f, DATA2, 16384), img, 16384);
	free(img);
}

static void test_write_read(void **state)
{
	write_read(*state, ((struct fx *)*state)->dir);
}

static void test_write_read_tmpfs(void **state)
{
	struct fx *f = *state;

	if (!f->shm[0])
		skip();
	write_read(f, f->shm);
}

/* The driver may frame a request any way: split header, odd pieces, status with data. */
static void test_framing(void **state)
{
	struct fx *f = *state;
	const char *path = start_disk(f, f->dir, false, 2);
	unsigned slot = f->avail_idx % NUM, slot2;
	struct seg w[5] = {
		{ HDRS + 16 * slot, 8, R }, { HDRS + 16 * slot + 8, 8, R },
		{ DATA + 1, 100, R }, { DATA + 101, 924, R },
		{ STATUS + slot, 1, W },
	};
	struct seg r[3];
	uint8_t *img;

	put_hdr(f, slot, T_OUT, 4);
	pattern(f, DATA + 1, 1024, 0x33);
	assert_int_equal(offer(f, w, 5, false), slot);
	run(f, 1);
	assert_int_equal(status(f, slot), S_OK);
	img = read_image(path, NULL);
	assert_memory_equal(img + 4 * 512, at(f, DATA + 1, 1024), 1024);

	/* Read it back into two pieces, the second ending with the status. */
	slot2 = f->avail_idx % NUM;
	put_hdr(f, slot2, T_IN, 4);
	r[0] = (struct seg){ HDRS + 16 * slot2, 16, R };
	r[1] = (struct seg){ DATA2, 1000, W };
	r[2] = (struct seg){ DATA2 + 1000, 25, W };	/* 24 data bytes and the status */
	assert_int_equal(offer(f, r, 3, true), slot2);
	run(f, 2);
	assert_int_equal(*at(f, DATA2 + 1024, 1), S_OK);
	assert_memory_equal(at(f, DATA2, 1024), img + 4 * 512, 1024);
	assert_int_equal(used_len_of(f, head_of(f, slot2)), 1025);
	free(img);
}

static void test_read_only(void **state)
{
	struct fx *f = *state;
	const char *path = start_disk(f, f->dir, true, 3);
	uint64_t features = f->dev->host_features;
	uint8_t *before = read_image(path, NULL), *after, *seg = at(f, SEGS, 16);
	uint64_t size;
	unsigned a, b, c, d, e;
	struct seg s[3];

	unsigned nr_fds, nr_rdonly;

	assert_true(features & 1ULL << F_RO);
	assert_false(features & 1ULL << F_DISCARD);
	/* The device cannot write even if it tried. */
	nr_fds = open_fds(path, &nr_rdonly);
	assert_true(nr_fds >= 1);
	assert_int_equal(nr_rdonly, nr_fds);
	pattern(f, DATA, 4096, 0x44);
	a = req(f, T_OUT, 0, DATA, 4096);
	b = req(f, T_OUT, 3, DATA + 1, 512);		/* misaligned: the buffered fd */
	put_le(seg, 0, 8);
	put_le(seg + 8, 8, 4);
	put_le(seg + 12, 0, 4);
	e = f->avail_idx % NUM;
	put_hdr(f, e, T_DISCARD, 0);
	s[0] = (struct seg){ HDRS + 16 * e, 16, R };
	s[1] = (struct seg){ SEGS, 16, R };
	s[2] = (struct seg){ STATUS + e, 1, W };
	offer(f, s, 3, false);
	c = req(f, T_IN, 0, DATA2, 4096);
	d = req(f, T_FLUSH, 0, 0, 0);
	run(f, 5);
	assert_int_equal(status(f, a), S_IOERR);
	assert_int_equal(status(f, b), S_IOERR);
	assert_int_equal(status(f, e), S_IOERR);
	assert_int_equal(status(f, c), S_OK);
	assert_int_equal(status(f, d), S_OK);
	assert_memory_equal(at(f, DATA2, 4096), before, 4096);

	after = read_image(path, &size);
	assert_int_equal(size, IMG_SIZE);
	assert_memory_equal(after, before, IMG_SIZE);
	free(before);
	free(after);
}

static void test_past_end(void **state)
{
	struct fx *f = *state;
	const char *path = start_disk(f, f->dir, false, 4);
	unsigned s[7];
	uint64_t size;
	uint8_t *img;

	pattern(f, DATA, 4096, 0x55);
	s[0] = req(f, T_IN, IMG_SECTORS - 1, DATA, 1024);	/* one sector too many */
	s[1] = req(f, T_IN, IMG_SECTORS, DATA, 512);
	s[2] = req(f, T_IN, UINT64_MAX, DATA, 512);		/* would wrap */
	s[3] = req(f, T_OUT, IMG_SECTORS - 1, DATA, 4096);
	s[4] = req(f, T_OUT, 0, DATA, 100);			/* not whole sectors */
	s[5] = req(f, T_IN, 0, DATA, 600);
	s[6] = req(f, T_IN, IMG_SECTORS - 1, DATA2, 512);	/* the last sector: fine */
	run(f, 7);
	for (unsigned i = 0; i < 6; i++)
		assert_int_equal(status(f, s[i]), S_IOERR);
	assert_int_equal(status(f, s[6]), S_OK);

	img = read_image(path, &size);
	assert_int_equal(size, IMG_SIZE);
	assert_memory_equal(at(f, DATA2, 512), img + IMG_SIZE - 512, 512);
	for (uint64_t i = 0; i < IMG_SIZE; i++)
		if (img[i] != fill(i, 4))
			fail_msg("byte %llu changed", (unsigned long long)i);
	free(img);
}

static void test_bad_header(void **state)
{
	struct fx *f = *state;
	unsigned slot, slot2;
	struct seg s[2];

	start_disk(f, f->dir, false, 5);
	/* 15 bytes of header only (a flush needs no more, but it is short) */
	slot = f->avail_idx % NUM;
	put_hdr(f, slot, T_FLUSH, 0);
	s[0] = (struct seg){ HDRS + 16 * slot, 15, R };
	s[1] = (struct seg){ STATUS + slot, 1, W };
	offer(f, s, 2, false);
	/* No room for a status: given back with nothing written. */
	slot2 = f->avail_idx % NUM;
	put_hdr(f, slot2, T_FLUSH, 0);
	s[0] = (struct seg){ HDRS + 16 * slot2, 16, R };
	s[1] = (struct seg){ STATUS + slot2, 0, W };
	offer(f, s, 2, false);
	run(f, 2);
	assert_int_equal(status(f, slot), S_IOERR);
	assert_int_equal(used_len_of(f, head_of(f, slot)), 1);
	assert_int_equal(status(f, slot2), 0xee);
	assert_int_equal(used_len_of(f, head_of(f, slot2)), 0);
	/* The queue still works. */
	slot = req(f, T_FLUSH, 0, 0, 0);
	run(f, 3);
	assert_int_equal(status(f, slot), S_OK);
}

/* The serial: printf '%x-%x' $(stat -L -c '%d %i' PATH) | cut -c1-20 */
static void test_get_id(void **state)
{
	struct fx *f = *state;
	const char *path = start_disk(f, f->dir, false, 6);
	char want[32] = { 0 };
	uint8_t id[20] = { 0 };
	struct stat st;
	unsigned slot;

	assert_int_equal(stat(path, &st), 0);
	snprintf(want, sizeof(want), "%llx-%llx", (unsigned long long)st.st_dev,
		 (unsigned long long)st.st_ino);
	want[20] = 0;
	memcpy(id, want, strlen(want));
	memset(at(f, DATA, 20), 0xff, 20);
	slot = req(f, T_GET_ID, 0, DATA, 20);
	run(f, 1);
	assert_int_equal(status(f, slot), S_OK);
	assert_int_equal(used_len_of(f, head_of(f, slot)), 21);
	assert_memory_equal(at(f, DATA, 20), id, 20);
}

static void test_flush(void **state)
{
	struct fx *f = *state;
	unsigned a, b;

	start_disk(f, f->dir, false, 7);
	pattern(f, DATA, 4096, 0x77);
	a = req(f, T_OUT, 8, DATA, 4096);
	run(f, 1);
	b = req(f, T_FLUSH, 0, 0, 0);
	run(f, 2);
	assert_int_equal(status(f, a), S_OK);
	assert_int_equal(status(f, b), S_OK);
	assert_int_equal(used_len_of(f, head_of(f, b)), 1);
}

/* A discard request with n segments {sector, num, flags} from segs. */
static unsigned discard(struct fx *f, const uint64_t (*segs)[3], unsigned n, uint32_t len)
{
	unsigned slot = f->avail_idx % NUM;
	uint64_t gpa = SEGS + 0x400 * slot;
	struct seg s[3] = {
		{ HDRS + 16 * slot, 16, R }, { gpa, len ? len : 16 * n, R },
		{ STATUS + slot, 1, W },
	};

	for (unsigned i = 0; i < n; i++) {
		uint8_t *p = at(f, gpa + 16 * i, 16);

		put_le(p, segs[i][0], 8);
		put_le(p + 8, segs[i][1], 4);
		put_le(p + 12, segs[i][2], 4);
	}
	put_hdr(f, slot, T_DISCARD, 0);
	return offer(f, s, 3, false);
}

static void test_discard(void **state)
{
	struct fx *f = *state;
	const char *path = start_disk(f, f->dir, false, 8);
	const uint64_t good[2][3] = { { 16, 16, 0 }, { 64, 8, 0 } };
	const uint64_t unmap[1][3] = { { 16, 8, 1 } };
	const uint64_t past[2][3] = { { 0, 8, 0 }, { IMG_SECTORS - 8, 16, 0 } };
	uint64_t many[33][3];
	unsigned a, b, c, d, e;
	uint64_t size;
	uint8_t *img;

	for (unsigned i = 0; i < 33; i++) {
		many[i][0] = 200 + 8 * i;
		many[i][1] = 8;
		many[i][2] = 0;
	}
	a = discard(f, good, 2, 0);
	b = discard(f, unmap, 1, 0);
	c = discard(f, past, 2, 0);
	d = discard(f, many, 33, 0);
	e = discard(f, good, 1, 24);		/* not whole segments */
	run(f, 5);
	assert_int_equal(status(f, a), S_OK);
	assert_int_equal(status(f, b), S_UNSUPP);
	assert_int_equal(status(f, c), S_IOERR);
	assert_int_equal(status(f, d), S_IOERR);
	assert_int_equal(status(f, e), S_IOERR);

	img = read_image(path, &size);
	assert_int_equal(size, IMG_SIZE);
	for (uint64_t i = 0; i < IMG_SIZE; i++) {
		bool hole = (i >= 16 * 512 && i < 32 * 512) || (i >= 64 * 512 && i < 72 * 512);

		if (img[i] != (hole ? 0 : fill(i, 8)))
			fail_msg("byte %llu is 0x%x", (unsigned long long)i, img[i]);
	}
	free(img);
}

static void test_unsupported(void **state)
{
	struct fx *f = *state;
	unsigned a, b, c;

	start_disk(f, f->dir, false, 9);
	a = req(f, 99, 0, DATA, 512);
	b = req(f, T_WRITE_ZEROES, 0, DATA, 16);
	c = req(f, 0x80000000u, 0, 0, 0);
	run(f, 3);
	assert_int_equal(status(f, a), S_UNSUPP);
	assert_int_equal(status(f, b), S_UNSUPP);
	assert_int_equal(status(f, c), S_UNSUPP);
}

static void test_config(void **state)
{
	struct fx *f = *state;
	uint8_t *cfg;
	uint64_t features;

	start_disk(f, f->dir, false, 10);
	cfg = f->dev->config;
	features = f->dev->host_features;
	assert_int_equal(f->dev->ops->device_id, VIRTIO_ID_BLOCK);
	assert_int_equal(f->dev->ops->config_size, 60);
	assert_int_equal(get_le(cfg, 8), IMG_SECTORS);
	assert_int_equal(get_le(cfg + 12, 4), NUM - 2);
	assert_int_equal(get_le(cfg + 20, 4), 512);
	assert_true(get_le(cfg + 36, 4) > 0);
	assert_int_equal(get_le(cfg + 40, 4), 32);
	assert_true(get_le(cfg + 44, 4) >= 1);
	assert_true(features & 1ULL << F_SEG_MAX);
	assert_true(features & 1ULL << F_BLK_SIZE);
	assert_true(features & 1ULL << F_FLUSH);
	assert_true(features & 1ULL << F_DISCARD);
	assert_false(features & 1ULL << F_RO);
}

/* A partial last sector is not part of the disk. */
static void test_odd_size(void **state)
{
	struct fx *f = *state;
	const char *path = make_image(f, f->dir, "odd.img", 512 * 3 + 100, 11);

	assert_int_equal(add_disk(f, path, false), 0);
	assert_int_equal(get_le(f->dev->config, 8), 3);
}

/* ---- start-up ---- */

static void init_refused(struct fx *f, const char *path, bool ro)
{
	unsigned before = fake_virtio__nr_devs();

	f->cfg.disks[0] = (struct disk_config){ path, ro };
	f->cfg.nr_disks = 1;
	assert_int_equal(virtio_blk__init(&f->vm), -VMM_ERR_INPUT);
	assert_int_equal(fake_virtio__nr_devs(), before);
}

/* In a child without root (tests/unit/unprivileged.h): no cmocka asserts. */
static struct fx *perm_fx;
static const char *perm_path;

static int init_result(bool ro)
{
	perm_fx->cfg.disks[0] = (struct disk_config){ perm_path, ro };
	perm_fx->cfg.nr_disks = 1;
	return virtio_blk__init(&perm_fx->vm);
}

/* 0444: read-only works (the control), read-write is refused. */
static int locked_refused(void *arg)
{
	unsigned before = fake_virtio__nr_devs();

	if (init_result(false) != -VMM_ERR_INPUT || fake_virtio__nr_devs() != before)
		return 1;
	return init_result(true) == 0 ? 0 : 2;
}

/* 0: not even read-only. */
static int unreadable_refused(void *arg)
{
	unsigned before = fake_virtio__nr_devs();

	return init_result(true) == -VMM_ERR_INPUT && fake_virtio__nr_devs() == before ? 0 : 3;
}

static void test_init_errors(void **state)
{
	struct fx *f = *state;
	const char *missing = new_file(f, f->dir, "missing.img");
	const char *empty = make_image(f, f->dir, "empty.img", 0, 0);
	const char *tiny = make_image(f, f->dir, "tiny.img", 100, 0);
	const char *locked = make_image(f, f->dir, "locked.img", 4096, 0);

	init_refused(f, missing, false);
	init_refused(f, missing, true);
	init_refused(f, f->dir, false);
	init_refused(f, f->dir, true);
	init_refused(f, empty, false);
	init_refused(f, tiny, true);
	init_refused(f, "/dev/null", true);
	/* Root opens anything: the permission cases run as a user (nobody when root). */
	assert_int_equal(chmod(f->dir, 0755), 0);
	assert_int_equal(chmod(locked, 0444), 0);
	perm_fx = f;
	perm_path = locked;
	assert_int_equal(unit__unprivileged(locked_refused, NULL), 0);
	assert_int_equal(chmod(locked, 0), 0);
	assert_int_equal(unit__unprivileged(unreadable_refused, NULL), 0);
	assert_int_equal(chmod(f->dir, 0700), 0);
}

/* Start-up reads the image and writes nothing, not even its times. */
static void test_init_writes_nothing(void **state)
{
	struct fx *f = *state;
	const char *path = make_image(f, f->dir, "quiet.img", IMG_SIZE, 12);
	struct timespec old[2] = { { 1000000, 0 }, { 1000000, 0 } };
	uint8_t *before = read_image(path, NULL), *after;
	struct stat st;

	assert_int_equal(utimensat(AT_FDCWD, path, old, 0), 0);
	assert_int_equal(add_disk(f, path, false), 0);
	fake_virtio__destroy_all();
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mtime, 1000000);
	assert_int_equal(st.st_size, IMG_SIZE);
	after = read_image(path, NULL);
	assert_memory_equal(after, before, IMG_SIZE);
	free(before);
	free(after);
}

static void test_two_disks(void **state)
{
	struct fx *f = *state;
	const char *a = make_image(f, f->dir, "a.img", IMG_SIZE, 13);
	const char *b = make_image(f, f->dir, "b.img", 2 * IMG_SIZE, 14);

	f->cfg.disks[0] = (struct disk_config){ a, false };
	f->cfg.disks[1] = (struct disk_config){ b, true };
	f->cfg.nr_disks = 2;
	assert_int_equal(virtio_blk__init(&f->vm), 0);
	assert_int_equal(fake_virtio__nr_devs(), 2);
	assert_int_equal(get_le(fake_virtio__dev(0)->config, 8), IMG_SECTORS);
	assert_int_equal(get_le(fake_virtio__dev(1)->config, 8), 2 * IMG_SECTORS);
	assert_true(fake_virtio__dev(1)->host_features & 1ULL << F_RO);
}

/* ---- in flight: drain, reset, the limit ---- */

static void test_drain(void **state)
{
	struct fx *f = *state;
	const char *path = start_disk(f, f->dir, false, 15);
	unsigned slot[8];
	uint8_t *img;

	for (unsigned i = 0; i < 8; i++) {
		pattern(f, DATA + 4096 * i, 4096, (uint8_t)(0x80 + i));
		slot[i] = req(f, T_OUT, 8 * i, DATA + 4096 * i, 4096);
	}
	fake_virtio__kick(f->dev, 0);		/* submitted, not reaped */
	fake_virtio__drain(f->dev);
	assert_int_equal(used_idx(f), 8);
	assert_true(fake_virtio__stats(f->dev)->notifies > 0);
	img = read_image(path, NULL);
	for (unsigned i = 0; i < 8; i++)
		assert_int_equal(status(f, slot[i]), S_OK);
	assert_memory_equal(img, at(f, DATA, 8 * 4096), 8 * 4096);
	free(img);
	/* Nothing left: a late eventfd wake-up finds nothing. */
	fake_virtio__poll(f->dev, 0);
	assert_int_equal(used_idx(f), 8);
	assert_false(fake_virtio__stats(f->dev)->failed);
}

/*
 * fdatasync, counted: this definition takes the place of libc's for the
 * device under test, and makes the real system call.
 */
static unsigned datasyncs;

int fdatasync(int fd)
{
	datasyncs++;
	return (int)syscall(SYS_fdatasync, fd);
}

/* A pause leaves what the guest wrote on stable storage; a read-only disk has nothing to flush. */
static void test_drain_flushes(void **state)
{
	struct fx *f = *state;
	unsigned before, slot;

	start_disk(f, f->dir, false, 16);
	pattern(f, DATA, 4096, 0x5a);
	slot = req(f, T_OUT, 0, DATA, 4096);
	fake_virtio__kick(f->dev, 0);
	before = datasyncs;
	fake_virtio__drain(f->dev);
	assert_int_equal(status(f, slot), S_OK);
	assert_int_equal(datasyncs, before + 1);
}

static void test_drain_read_only(void **state)
{
	struct fx *f = *state;
	unsigned before;

	start_disk(f, f->dir, true, 17);
	before = datasyncs;
	fake_virtio__drain(f->dev);
	assert_int_equal(datasyncs, before);
}

static void test_reset(void **state)
{
	struct fx *f = *state;
	const char *path = start_disk(f, f->dir, false, 16);
	unsigned slot;
	uint16_t before;
	uint8_t *img;

	for (unsigned i = 0; i < 4; i++) {
		pattern(f, DATA + 4096 * i, 4096, (uint8_t)(0x90 + i));
		req(f, T_OUT, 8 * i, DATA + 4096 * i, 4096);
	}
	fake_virtio__kick(f->dev, 0);
	/* Some may have completed inside io_submit and gone back already. */
	before = used_idx(f);
	fake_virtio__reset(f->dev);		/* waits for the rest, pushes nothing */
	assert_int_equal(used_idx(f), before);
	img = read_image(path, NULL);
	assert_memory_equal(img, at(f, DATA, 4 * 4096), 4 * 4096);
	free(img);
	fake_virtio__poll(f->dev, 0);
	assert_int_equal(used_idx(f), before);

	/* The driver starts again: the slots are free. */
	memset(at(f, AVAIL, 0x1000), 0, 0x1000);
	memset(at(f, USED, 0x1000), 0, 0x1000);
	f->avail_idx = 0;
	f->next_desc = 0;
	assert_int_equal(fake_virtio__setup_queue(f->dev, 0, NUM, DESC, AVAIL, USED), 0);
	slot = req(f, T_IN, 0, DATA2, 4096);
	run(f, 1);
	assert_int_equal(status(f, slot), S_OK);
	assert_memory_equal(at(f, DATA2, 4096), at(f, DATA, 4096), 4096);
}

/*
 * More requests than the device keeps in flight (indirect chains, one
 * descriptor each): it stops taking them at its limit and takes the rest
 * as they complete (some may complete inside io_submit, and free their
 * slots for more at once).
 */
static void test_inflight_limit(void **state)
{
	struct fx *f = *state;
	const char *path = start_disk(f, f->dir, false, 17);
	const unsigned n = 200;
	uint8_t *img;

	for (unsigned i = 0; i < n; i++) {
		pattern(f, DATA + 4096 * i, 4096, (uint8_t)i);
		req_ex(f, T_OUT, 8 * i, DATA + 4096 * i, 4096, true);
	}
	fake_virtio__kick(f->dev, 0);
	assert_true(f->dev->queues[0].vq.last_avail_idx >= BLK_INFLIGHT);
	assert_true((uint16_t)(f->dev->queues[0].vq.last_avail_idx - used_idx(f)) <= BLK_INFLIGHT);
	run(f, n);
	for (unsigned i = 0; i < n; i++)
		assert_int_equal(status(f, i), S_OK);
	img = read_image(path, NULL);
	assert_memory_equal(img, at(f, DATA, 4096 * n), 4096 * n);
	free(img);
}

/*
 * Batches: on tmpfs (buffered I/O, which the kernel completes inside
 * io_submit) 32 requests of one kick are all submitted, reaped and back
 * before the kick returns, with one notification, and nothing is left for
 * the eventfd's wake-up. Then the same for reads.
 */
static void test_batch(void **state)
{
	struct fx *f = *state;
	const char *path;
	uint8_t *img;

	if (!f->shm[0])
		skip();
	path = start_disk(f, f->shm, false, 19);
	for (unsigned i = 0; i < 32; i++) {
		pattern(f, DATA + 4096 * i, 4096, (uint8_t)(0x40 + i));
		req(f, T_OUT, 8 * (31 - i), DATA + 4096 * i, 4096);
	}
	fake_virtio__kick(f->dev, 0);
	assert_int_equal(used_idx(f), 32);
	assert_int_equal(fake_virtio__stats(f->dev)->notifies, 1);
	for (unsigned i = 0; i < 32; i++)
		assert_int_equal(status(f, i), S_OK);
	img = read_image(path, NULL);
	for (unsigned i = 0; i < 32; i++)
		assert_memory_equal(img + 4096 * (31 - i), at(f, DATA + 4096 * i, 4096), 4096);
	free(img);
	fake_virtio__poll(f->dev, 0);	/* the eventfd's wake-up: nothing left */
	assert_int_equal(used_idx(f), 32);
	assert_int_equal(fake_virtio__stats(f->dev)->notifies, 1);

	for (unsigned i = 0; i < 32; i++)
		req(f, T_IN, 8 * i, DATA2 + 4096 * i, 4096);
	put_le(at(f, AVAIL + 4 + 2 * NUM, 2), 32, 2);	/* used_event: past what it has seen */
	fake_virtio__kick(f->dev, 0);
	assert_int_equal(used_idx(f), 64);
	assert_int_equal(fake_virtio__stats(f->dev)->notifies, 2);
	for (unsigned i = 0; i < 32; i++) {
		assert_int_equal(status(f, 32 + i), S_OK);
		assert_memory_equal(at(f, DATA2 + 4096 * i, 4096), at(f, DATA + 4096 * (31 - i), 4096),
				    4096);
	}
	assert_false(fake_virtio__stats(f->dev)->failed);
}

/* A chain the queue refuses breaks the queue, not the VMM. */
static void test_broken_chain(void **state)
{
	struct fx *f = *state;
	unsigned slot = f->avail_idx % NUM;
	struct seg s[2];

	start_disk(f, f->dir, false, 18);
	s[0] = (struct seg){ STATUS + slot, 1, W };	/* writable before readable */
	s[1] = (struct seg){ HDRS + 16 * slot, 16, R };
	offer(f, s, 2, false);
	fake_virtio__kick(f->dev, 0);
	assert_true(fake_virtio__stats(f->dev)->failed);
	assert_int_equal(used_idx(f), 0);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
	vmm_debug = getenv("VMM_DEBUG") != NULL;
	const struct CMUnitTest tests[] = {
		T(test_write_read),
		T(test_write_read_tmpfs),
		T(test_framing),
		T(test_read_only),
		T(test_past_end),
		T(test_bad_header),
		T(test_get_id),
		T(test_flush),
		T(test_discard),
		T(test_unsupported),
		T(test_config),
		T(test_odd_size),
		T(test_init_errors),
		T(test_init_writes_nothing),
		T(test_two_disks),
		T(test_drain),
		T(test_drain_flushes),
		T(test_drain_read_only),
		T(test_reset),
		T(test_inflight_limit),
		T(test_batch),
		T(test_broken_chain),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
