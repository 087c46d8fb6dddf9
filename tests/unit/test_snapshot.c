/*
 * Unit tests of the snapshot container (vmm/snapshot.c): writing a
 * snapshot directory and reading it back, the sparse memory file, the
 * refusal to replace anything, and the reader against damaged state
 * files: every truncation, every flipped bit, and crafted headers whose
 * CRCs are right but whose contents lie.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "unit.h"
#include "vmm/devcfg.h"
#include "vmm/persist.h"
#include "vmm/snapshot.h"
#include "vmm/util.h"
#include "vmm/vm.h"
#include "vmm/vmstate.h"

#define MAGIC		"VMMSNAP\0ARM64\0\0\0"
#define PAGE		4096
#define ERRLEN		256

/* ---- helpers ---- */

static char *join(const char *a, const char *b)
{
	char *s;

	if (asprintf(&s, "%s/%s", a, b) < 0)
		fail_msg("out of memory");
	return s;
}

static int remove_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	return remove(path);
}

static void remove_tree(const char *path)
{
	nftw(path, remove_one, 16, FTW_DEPTH | FTW_PHYS);
}

static bool exists(const char *path)
{
	struct stat st;

	return !lstat(path, &st);
}

/* Entries of dir named like a writer's temporary directory. */
static unsigned count_tmp_dirs(const char *dir)
{
	struct dirent *de;
	unsigned n = 0;
	DIR *d;

	d = opendir(dir);
	assert_non_null(d);
	while ((de = readdir(d)))
		if (de->d_name[0] == '.' && strstr(de->d_name, ".tmp-"))
			n++;
	closedir(d);
	return n;
}

static void fill(uint8_t *p, size_t n, uint32_t seed)
{
	uint32_t x = seed * 2654435761u + 1;
	size_t i;

	for (i = 0; i < n; i++) {
		x = x * 1103515245u + 12345u;
		p[i] = (uint8_t)(x >> 16);
	}
}

static void check_one_line(const char *msg)
{
	if (!msg[0])
		fail_msg("empty message");
	if (strchr(msg, '\n'))
		fail_msg("\"%s\" is not one line", msg);
	if (strncmp(msg, "state: ", 7))
		fail_msg("\"%s\" does not start with \"state: \"", msg);
}

static void check_has(const char *what, const char *msg, const char *part)
{
	if (!strstr(msg, part))
		fail_msg("%s: \"%s\" lacks \"%s\"", what, msg, part);
}

/* Parses and expects a refusal whose message has part (if not NULL). */
static void expect_bad(const char *what, const uint8_t *state, size_t len, const char *part)
{
	struct snap_reader r;
	char err[ERRLEN];
	int ret;

	ret = snap__parse(state, len, &r, err, sizeof(err));
	if (ret != -VMM_ERR_INPUT)
		fail_msg("%s: snap__parse returned %d, want %d", what, ret, -VMM_ERR_INPUT);
	check_one_line(err);
	if (part)
		check_has(what, err, part);
	assert_null(r.sections);
	assert_null(r.state);
	snap__close(&r);
}

static uint8_t *read_all(const char *path, size_t *len)
{
	uint8_t *buf;

	if (read_file(path, 1u << 30, &buf, len))
		fail_msg("cannot read %s", path);
	return buf;
}

/* ---- the fixture: a scratch directory under /tmp ---- */

static int setup(void **state)
{
	char *base = strdup("/tmp/vmm-test-snapshot-XXXXXX");

	if (!base || !mkdtemp(base))
		return -1;
	*state = base;
	return 0;
}

static int teardown(void **state)
{
	remove_tree(*state);
	free(*state);
	return 0;
}

/* ---- a standard set of sections ---- */

struct tsec {
	uint32_t id, instance, version;
	size_t len;
};

/* Empty, padded, unaligned, unknown: the cases a reader must get right. */
static const struct tsec small_set[] = {
	{ SNAP_SEC_CONFIG, 0, 1, 40 },
	{ SNAP_SEC_HOST, 0, 1, 0 },
	{ SNAP_SEC_VCPU, 0, 2, 21 },
	{ SNAP_SEC_VCPU, 1, 2, 21 },
	{ 99, 7, 5, 13 },
	{ SNAP_SEC_GIC, 0, 1, 8 },
};

static const struct tsec big_set[] = {
	{ SNAP_SEC_CONFIG, 0, 1, 40 },
	{ SNAP_SEC_HOST, 0, 1, 0 },
	{ SNAP_SEC_VCPU, 0, 2, 1234 },
	{ SNAP_SEC_VCPU, 1, 2, 1234 },
	{ SNAP_SEC_GIC, 0, 1, 300001 },
	{ SNAP_SEC_DEVICE, 3, 1, 7 },
	{ 99, 7, 5, 13 },
	{ SNAP_SEC_MEMORY, 0, 1, 16 },
};

static uint32_t seed_of(const struct tsec *s)
{
	return s->id * 1000 + s->instance;
}

static void add_set(struct snap_writer *w, const struct tsec *set, unsigned n)
{
	unsigned i;

	for (i = 0; i < n; i++) {
		uint8_t *p = malloc(set[i].len + 1);

		assert_non_null(p);
		fill(p, set[i].len, seed_of(&set[i]));
		assert_int_equal(snap__add(w, set[i].id, set[i].instance, set[i].version, p,
					   set[i].len), 0);
		free(p);
	}
}

static void check_set(const struct snap_reader *r, const struct tsec *set, unsigned n)
{
	unsigned i;

	assert_int_equal(r->nr_sections, n);
	assert_int_equal(r->major, SNAP_FORMAT_MAJOR);
	assert_int_equal(r->minor, SNAP_FORMAT_MINOR);
	for (i = 0; i < n; i++) {
		const struct snap_section *s = snap__find(r, set[i].id, set[i].instance);
		uint8_t *p = malloc(set[i].len + 1);

		assert_non_null(p);
		assert_ptr_equal(s, &r->sections[i]);	/* kept in file order */
		assert_int_equal(s->version, set[i].version);
		assert_int_equal(s->len, set[i].len);
		fill(p, set[i].len, seed_of(&set[i]));
		if (set[i].len)
			assert_memory_equal(s->data, p, set[i].len);
		free(p);
	}
}

/* Writes a snapshot of set (and ram, if not NULL) to dir. */
static void write_snapshot(const char *dir, const struct tsec *set, unsigned n,
			   const uint8_t *ram, uint64_t ram_size)
{
	struct snap_writer *w;

	assert_int_equal(snap__begin(dir, &w), 0);
	assert_non_null(w);
	add_set(w, set, n);
	if (ram)
		assert_int_equal(snap__write_memory(w, ram, ram_size, NULL), 0);
	assert_int_equal(snap__commit(w), 0);
}

/* The state file of a snapshot of small_set. */
static uint8_t *small_state(const char *base, size_t *len)
{
	char *dir = join(base, "small"), *path = join(dir, "state");
	uint8_t *buf;

	write_snapshot(dir, small_set, ARRAY_SIZE(small_set), NULL, 0);
	buf = read_all(path, len);
	free(path);
	free(dir);
	return buf;
}

/* ---- writing and reading back ---- */

static void test_round_trip(void **state)
{
	const char *base = *state;
	char *dir = join(base, "snap"), *mem, err[ERRLEN];
	struct snap_reader r;
	uint8_t ram[8 * PAGE];

	fill(ram, sizeof(ram), 5);
	write_snapshot(dir, big_set, ARRAY_SIZE(big_set), ram, sizeof(ram));
	assert_int_equal(snap__open(dir, &r, err, sizeof(err)), 0);
	check_set(&r, big_set, ARRAY_SIZE(big_set));
	assert_string_equal(r.dir, dir);
	assert_null(snap__find(&r, SNAP_SEC_VCPU, 2));
	assert_null(snap__find(&r, 98, 7));
	mem = snap__memory_path(dir);
	assert_non_null(mem);
	assert_true(!strncmp(mem, dir, strlen(dir)) && !strcmp(mem + strlen(dir), "/memory"));
	free(mem);
	snap__close(&r);
	assert_null(r.state);
	snap__close(&r);		/* twice is harmless */
	assert_int_equal(count_tmp_dirs(base), 0);
	free(dir);
}

static void test_no_sections(void **state)
{
	char *dir = join(*state, "empty"), err[ERRLEN];
	struct snap_reader r;

	write_snapshot(dir, NULL, 0, NULL, 0);
	assert_int_equal(snap__open(dir, &r, err, sizeof(err)), 0);
	assert_int_equal(r.nr_sections, 0);
	assert_int_equal(r.state_len, 32);
	assert_null(snap__find(&r, SNAP_SEC_CONFIG, 0));
	snap__close(&r);
	free(dir);
}

/* The header, byte by byte, as docs/snapshot.md describes it. */
static void test_layout(void **state)
{
	static const uint8_t payload[] = { 1, 2, 3, 4, 5 };
	static const uint8_t want_hdr[] = {
		'V', 'M', 'M', 'S', 'N', 'A', 'P', 0, 'A', 'R', 'M', '6', '4', 0, 0, 0,
		1, 0, 0, 0,  1, 0, 0, 0,  1, 0, 0, 0,	/* format 1.1, 1 section */
	};
	static const uint8_t want_sec[] = {
		3, 0, 0, 0,  2, 0, 0, 0,  9, 0, 0, 0,  0, 0, 0, 0,
		5, 0, 0, 0, 0, 0, 0, 0,
	};
	char *dir = join(*state, "layout"), *path = join(dir, "state");
	struct snap_writer *w;
	uint8_t *buf;
	size_t len;

	assert_int_equal(snap__begin(dir, &w), 0);
	assert_int_equal(snap__add(w, SNAP_SEC_VCPU, 2, 9, payload, sizeof(payload)), 0);
	assert_int_equal(snap__commit(w), 0);
	buf = read_all(path, &len);
	assert_int_equal(len, 32 + 32 + 8);
	assert_memory_equal(buf, want_hdr, sizeof(want_hdr));
	assert_int_equal(buf[28] | buf[29] << 8 | buf[30] << 16 | (uint32_t)buf[31] << 24,
			 crc32(0, buf, 28));
	assert_memory_equal(buf + 32, want_sec, sizeof(want_sec));
	assert_int_equal(buf[56] | buf[57] << 8 | buf[58] << 16 | (uint32_t)buf[59] << 24,
			 crc32(0, payload, sizeof(payload)));
	assert_int_equal(buf[60] | buf[61] << 8 | buf[62] << 16 | (uint32_t)buf[63] << 24,
			 crc32(0, buf + 32, 24));
	assert_memory_equal(buf + 64, payload, sizeof(payload));
	assert_memory_equal(buf + 69, "\0\0\0", 3);
	free(buf);
	free(path);
	free(dir);
}

/* Zero pages become holes; the content still reads back exactly. */
static void test_sparse_memory(void **state)
{
	const uint64_t size = 4 * SZ_1M;
	char *dir = join(*state, "sparse"), *mem;
	uint8_t *ram, *back;
	struct stat st;
	size_t len;

	ram = calloc(1, size);
	assert_non_null(ram);
	fill(ram, PAGE, 1);			/* page 0 */
	ram[5 * PAGE + 100] = 0x5a;		/* page 5, one byte */
	fill(ram + 100 * PAGE, 4 * PAGE, 2);	/* pages 100..103, a run */
	ram[200 * PAGE + PAGE - 1] = 1;		/* the last byte of page 200 */
	write_snapshot(dir, small_set, 1, ram, size);	/* the last pages are zero */

	mem = snap__memory_path(dir);
	assert_int_equal(stat(mem, &st), 0);
	assert_int_equal(st.st_size, size);
	assert_int_equal(st.st_mode & 0777, 0600);
	/* 7 data pages; a dense file would take 8192 blocks of 512 bytes */
	if ((uint64_t)st.st_blocks * 512 > 64 * PAGE)
		fail_msg("memory file takes %lld blocks, want it sparse", (long long)st.st_blocks);
	back = read_all(mem, &len);
	assert_int_equal(len, size);
	assert_memory_equal(back, ram, size);
	free(back);
	free(mem);
	free(ram);
	free(dir);
}

/* RAM with no zero page, and RAM that is all zeros: both read back. */
static void test_memory_dense_and_empty(void **state)
{
	const uint64_t size = 64 * PAGE;
	char *dense = join(*state, "dense"), *zero = join(*state, "zero"), *mem;
	uint8_t *ram, *back;
	struct stat st;
	size_t len;

	ram = malloc(size);
	assert_non_null(ram);
	fill(ram, size, 3);
	write_snapshot(dense, NULL, 0, ram, size);
	mem = snap__memory_path(dense);
	back = read_all(mem, &len);
	assert_int_equal(len, size);
	assert_memory_equal(back, ram, size);
	free(back);
	free(mem);

	memset(ram, 0, size);
	write_snapshot(zero, NULL, 0, ram, size);
	mem = snap__memory_path(zero);
	assert_int_equal(stat(mem, &st), 0);
	assert_int_equal(st.st_size, size);
	assert_int_equal(st.st_blocks, 0);
	free(mem);
	free(ram);
	free(dense);
	free(zero);
}

static void test_memory_errors(void **state)
{
	char *dir = join(*state, "memerr");
	uint8_t ram[2 * PAGE] = { 0 };
	struct snap_writer *w;

	assert_int_equal(snap__begin(dir, &w), 0);
	assert_int_equal(snap__write_memory(w, ram, PAGE + 1, NULL), -EINVAL);
	assert_int_equal(snap__write_memory(w, ram, 100, NULL), -EINVAL);
	assert_int_equal(snap__write_memory(w, NULL, PAGE, NULL), -EINVAL);
	assert_int_equal(snap__write_memory(w, ram, sizeof(ram), NULL), 0);
	assert_int_equal(snap__write_memory(w, ram, sizeof(ram), NULL), -EINVAL);	/* twice */
	snap__abort(w);
	assert_false(exists(dir));
	assert_int_equal(count_tmp_dirs(*state), 0);
	free(dir);
}

static void test_add_errors(void **state)
{
	char *dir = join(*state, "adderr");
	struct snap_writer *w;
	unsigned i;

	assert_int_equal(snap__begin(dir, &w), 0);
	assert_int_equal(snap__add(w, SNAP_SEC_VCPU, 0, 1, "ab", 2), 0);
	assert_int_equal(snap__add(w, SNAP_SEC_VCPU, 0, 1, "ab", 2), -EINVAL);
	assert_int_equal(snap__add(w, SNAP_SEC_VCPU, 1, 1, "ab", 2), 0);
	assert_int_equal(snap__add(w, SNAP_SEC_GIC, 0, 1, NULL, 2), -EINVAL);
	assert_int_equal(snap__add(w, SNAP_SEC_GIC, 0, 1, NULL, 0), 0);
	/* Too large for a state file: refused before a byte is read. */
	assert_int_equal(snap__add(w, SNAP_SEC_GIC, 1, 1, "x", 256 * SZ_1M - 64), -EFBIG);
	assert_int_equal(snap__add(w, SNAP_SEC_GIC, 1, 1, "x", SIZE_MAX), -EFBIG);
	assert_int_equal(snap__add(w, SNAP_SEC_GIC, 1, 1, "x", SIZE_MAX - 40), -EFBIG);
	for (i = 3; i < 4096; i++)
		assert_int_equal(snap__add(w, 1000, i, 1, NULL, 0), 0);
	assert_int_equal(snap__add(w, 1001, 0, 1, NULL, 0), -E2BIG);
	assert_int_equal(snap__commit(w), 0);
	free(dir);
}

/* The most sections a reader takes: what a writer can write. */
static void test_section_limit_round_trip(void **state)
{
	char *dir = join(*state, "many"), err[ERRLEN];
	struct snap_writer *w;
	struct snap_reader r;
	uint32_t i;

	assert_int_equal(snap__begin(dir, &w), 0);
	for (i = 0; i < 4096; i++)
		assert_int_equal(snap__add(w, SNAP_SEC_DEVICE, i, 1, &i, sizeof(i)), 0);
	assert_int_equal(snap__commit(w), 0);
	assert_int_equal(snap__open(dir, &r, err, sizeof(err)), 0);
	assert_int_equal(r.nr_sections, 4096);
	assert_int_equal(snap__find(&r, SNAP_SEC_DEVICE, 4095)->data[1], 0x0f);
	snap__close(&r);
	free(dir);
}

static void test_bad_dirs(void **state)
{
	char *missing = join(*state, "no/such/parent");
	struct snap_writer *w = (void *)1;

	assert_int_equal(snap__begin("", &w), -EINVAL);
	assert_null(w);
	assert_int_equal(snap__begin("/", &w), -EINVAL);
	assert_int_equal(snap__begin(".", &w), -EINVAL);
	assert_int_equal(snap__begin("..", &w), -EINVAL);
	assert_int_equal(snap__begin(missing, &w), -ENOENT);
	assert_null(w);
	free(missing);
}

/* A trailing slash names the same directory. */
static void test_trailing_slash(void **state)
{
	char *dir = join(*state, "slash/"), err[ERRLEN];
	struct snap_reader r;

	write_snapshot(dir, small_set, 2, NULL, 0);
	assert_int_equal(snap__open(dir, &r, err, sizeof(err)), 0);
	snap__close(&r);
	dir[strlen(dir) - 1] = '\0';
	assert_true(exists(dir));
	free(dir);
}

/* ---- never replacing anything ---- */

static void check_small_snapshot(const char *dir, const uint8_t *ram)
{
	char err[ERRLEN], *mem = snap__memory_path(dir);
	struct snap_reader r;
	uint8_t *back;
	size_t len;

	if (snap__open(dir, &r, err, sizeof(err)))
		fail_msg("%s: %s", dir, err);
	check_set(&r, small_set, ARRAY_SIZE(small_set));
	snap__close(&r);
	back = read_all(mem, &len);
	assert_int_equal(len, 4 * PAGE);
	assert_memory_equal(back, ram, len);
	free(back);
	free(mem);
}

static void test_exists_at_begin(void **state)
{
	char *dir = join(*state, "snap"), *file = join(*state, "file");
	char *link = join(*state, "link");
	struct snap_writer *w = (void *)1;
	uint8_t ram[4 * PAGE];
	int fd;

	fill(ram, sizeof(ram), 9);
	write_snapshot(dir, small_set, ARRAY_SIZE(small_set), ram, sizeof(ram));
	assert_int_equal(snap__begin(dir, &w), -EEXIST);
	assert_null(w);

	/* Anything by that name: a file, a dangling symbolic link. */
	fd = open(file, O_CREAT | O_WRONLY, 0600);
	assert_true(fd >= 0);
	close(fd);
	assert_int_equal(snap__begin(file, &w), -EEXIST);
	assert_int_equal(symlink("nowhere", link), 0);
	assert_int_equal(snap__begin(link, &w), -EEXIST);

	check_small_snapshot(dir, ram);
	assert_int_equal(count_tmp_dirs(*state), 0);
	free(link);
	free(file);
	free(dir);
}

/* DIR appears between begin and commit: the commit fails and changes nothing. */
static void check_exists_at_commit(const char *base, const char *dir, bool with_file)
{
	char *marker = join(dir, "marker"), *state_file = join(dir, "state");
	uint8_t ram[4 * PAGE];
	struct snap_writer *w;

	fill(ram, sizeof(ram), 11);
	assert_int_equal(snap__begin(dir, &w), 0);
	add_set(w, small_set, ARRAY_SIZE(small_set));
	assert_int_equal(snap__write_memory(w, ram, sizeof(ram), NULL), 0);
	assert_int_equal(mkdir(dir, 0700), 0);
	if (with_file)
		close(open(marker, O_CREAT | O_WRONLY, 0600));
	assert_int_equal(snap__commit(w), -EEXIST);
	assert_int_equal(count_tmp_dirs(base), 0);
	assert_int_equal(exists(marker), with_file);
	assert_false(exists(state_file));
	free(state_file);
	free(marker);
}

static void test_exists_at_commit(void **state)
{
	char *full = join(*state, "full"), *empty = join(*state, "empty");

	check_exists_at_commit(*state, full, true);
	/* An empty directory, which a plain rename() would replace. */
	check_exists_at_commit(*state, empty, false);
	free(full);
	free(empty);
}

/*
 * Two snapshots to one place: the one committed first stays as it was, the
 * other fails whole.
 */
static void test_earlier_snapshot_untouched(void **state)
{
	char *dir = join(*state, "good");
	uint8_t ram[4 * PAGE], other[4 * PAGE];
	struct snap_writer *w;

	fill(ram, sizeof(ram), 12);
	fill(other, sizeof(other), 13);
	assert_int_equal(snap__begin(dir, &w), 0);
	add_set(w, big_set, ARRAY_SIZE(big_set));
	assert_int_equal(snap__write_memory(w, other, sizeof(other), NULL), 0);
	write_snapshot(dir, small_set, ARRAY_SIZE(small_set), ram, sizeof(ram));
	assert_int_equal(snap__commit(w), -EEXIST);
	check_small_snapshot(dir, ram);
	assert_int_equal(count_tmp_dirs(*state), 0);
	free(dir);
}

static void test_abort(void **state)
{
	char *dir = join(*state, "aborted");
	uint8_t ram[4 * PAGE];
	struct snap_writer *w;

	fill(ram, sizeof(ram), 14);
	assert_int_equal(snap__begin(dir, &w), 0);
	assert_int_equal(count_tmp_dirs(*state), 1);	/* the scan can see one */
	add_set(w, small_set, ARRAY_SIZE(small_set));
	assert_int_equal(snap__write_memory(w, ram, sizeof(ram), NULL), 0);
	snap__abort(w);
	assert_int_equal(count_tmp_dirs(*state), 0);
	assert_false(exists(dir));

	assert_int_equal(snap__begin(dir, &w), 0);	/* nothing written yet */
	snap__abort(w);
	assert_int_equal(count_tmp_dirs(*state), 0);
	snap__abort(NULL);
	free(dir);
}

/* ---- the reader against damaged files ---- */

/* Where each section of a parsed state file starts and ends. */
struct bounds {
	size_t hdr, data, len, end;	/* header, payload, its length, the end of padding */
	char label[64];
};

static unsigned section_bounds(const uint8_t *buf, size_t len, struct bounds *b, unsigned max)
{
	struct snap_reader r;
	char err[ERRLEN];
	unsigned i;

	assert_int_equal(snap__parse(buf, len, &r, err, sizeof(err)), 0);
	assert_true(r.nr_sections <= max);
	for (i = 0; i < r.nr_sections; i++) {
		const struct snap_section *s = &r.sections[i];
		size_t data = s->data - r.state;

		b[i].hdr = data - 32;
		b[i].data = data;
		b[i].len = s->len;
		b[i].end = data + align_up(s->len, 8);
		if (s->id == 99)
			snprintf(b[i].label, sizeof(b[i].label), "section %u (id 99, instance %u)",
				 i, s->instance);
		else
			snprintf(b[i].label, sizeof(b[i].label), "section %u (%s %u)", i,
				 snap__section_name(s->id), s->instance);
	}
	assert_int_equal(b[r.nr_sections - 1].end, len);
	snap__close(&r);
	return i;
}

/* Which section byte off is in, or -1 for the file header. */
static int section_at(const struct bounds *b, unsigned n, size_t off)
{
	unsigned i;

	for (i = 0; i < n; i++)
		if (off >= b[i].hdr && off < b[i].end)
			return i;
	return -1;
}

static void test_truncated_everywhere(void **state)
{
	struct bounds b[ARRAY_SIZE(small_set)];
	char what[64], part[80];
	unsigned n, checked = 0;
	size_t len, t;
	uint8_t *buf;
	int i;

	buf = small_state(*state, &len);
	n = section_bounds(buf, len, b, ARRAY_SIZE(b));
	for (t = 0; t < len; t++) {
		snprintf(what, sizeof(what), "truncated to %zu of %zu", t, len);
		i = section_at(b, n, t);
		if (i < 0) {
			expect_bad(what, buf, t, t ? "header" : "empty");
			continue;
		}
		if (t - b[i].hdr < 8)	/* not even the id and instance */
			snprintf(part, sizeof(part), "section %d: ", i);
		else
			snprintf(part, sizeof(part), "%s: truncated", b[i].label);
		expect_bad(what, buf, t, part);
		checked++;
	}
	assert_true(checked > 300);
	free(buf);
}

/* What the message for a bit flipped at off must say. */
static const char *flip_expect(const struct bounds *b, unsigned n, size_t off, char *part,
			       size_t partlen)
{
	int i = section_at(b, n, off);
	const char *what;

	if (off < 8)
		return "not a vmm snapshot";
	if (off < 16)
		return "another architecture";
	if (i < 0)
		return "header: CRC mismatch";
	if (off < b[i].hdr + 8) {		/* the label shows the bad id or instance */
		snprintf(part, partlen, "state: section %d (", i);
		return part;
	}
	if (off >= b[i].data + b[i].len)
		what = "the padding after the payload is not zero";
	else if (off >= b[i].hdr + 24 && off < b[i].hdr + 28)
		what = "payload CRC mismatch";	/* the payload CRC field */
	else if (off < b[i].data)
		what = "header CRC mismatch";
	else
		what = "payload CRC mismatch";
	snprintf(part, partlen, "state: %s: %s", b[i].label, what);
	return part;
}

/* Every single-bit error is refused, and named where it is. */
static void test_bit_flips_everywhere(void **state)
{
	struct bounds b[ARRAY_SIZE(small_set)];
	char what[64], part[160];
	unsigned n, bit;
	size_t len, off;
	uint8_t *buf;

	buf = small_state(*state, &len);
	n = section_bounds(buf, len, b, ARRAY_SIZE(b));
	for (off = 0; off < len; off++) {
		for (bit = 0; bit < 8; bit++) {
			snprintf(what, sizeof(what), "bit %u of byte %zu flipped", bit, off);
			buf[off] ^= 1u << bit;
			expect_bad(what, buf, len, flip_expect(b, n, off, part, sizeof(part)));
			buf[off] ^= 1u << bit;
		}
	}
	/* and the file is intact again */
	assert_int_equal(section_bounds(buf, len, b, ARRAY_SIZE(b)), n);
	free(buf);
}

/* The kind of error each damaged part of a section gets. */
static void test_damage_kinds(void **state)
{
	struct bounds b[ARRAY_SIZE(small_set)];
	uint8_t *buf;
	size_t len;

	buf = small_state(*state, &len);
	section_bounds(buf, len, b, ARRAY_SIZE(b));

	buf[b[2].hdr + 40] ^= 0x10;		/* vcpu 0: a payload byte */
	expect_bad("payload", buf, len, "state: section 2 (vcpu 0): payload CRC mismatch");
	buf[b[2].hdr + 40] ^= 0x10;
	buf[b[3].hdr + 16] ^= 0x01;		/* vcpu 1: the length */
	expect_bad("length", buf, len, "state: section 3 (vcpu 1): header CRC mismatch");
	buf[b[3].hdr + 16] ^= 0x01;
	buf[b[3].end - 1] = 0xee;		/* vcpu 1: the padding */
	expect_bad("padding", buf, len, "state: section 3 (vcpu 1): the padding after the "
		   "payload is not zero");
	buf[b[3].end - 1] = 0;
	buf[b[4].hdr + 32] ^= 0xff;		/* the unknown section */
	expect_bad("unknown", buf, len,
		   "state: section 4 (id 99, instance 7): payload CRC mismatch");
	buf[b[4].hdr + 32] ^= 0xff;
	buf[b[1].hdr + 24] ^= 0x01;		/* host, empty: its payload CRC */
	expect_bad("empty payload CRC", buf, len,
		   "state: section 1 (host 0): payload CRC mismatch");
	buf[b[1].hdr + 24] ^= 0x01;
	buf[20] ^= 0x02;			/* the minor version */
	expect_bad("header", buf, len, "state: header: CRC mismatch");
	free(buf);
}

/* ---- crafted files: right CRCs, wrong contents ---- */

static void put32(struct pbuf *b, uint32_t v)
{
	pbuf__put_u32(b, v);
}

static void craft_header(struct pbuf *b, const char *magic, uint32_t major, uint32_t minor,
			 uint32_t count)
{
	pbuf__init(b);
	pbuf__put_bytes(b, magic, 16);
	put32(b, major);
	put32(b, minor);
	put32(b, count);
	put32(b, crc32(0, b->data, 28));
}

/* A section whose length field says len_field, with n bytes of payload. */
static void craft_section_ver(struct pbuf *b, uint32_t id, uint32_t instance, uint32_t version,
			      uint64_t len_field, const void *payload, size_t n)
{
	static const uint8_t zeros[8];
	size_t start = b->len;

	put32(b, id);
	put32(b, instance);
	put32(b, version);
	put32(b, 0);
	pbuf__put_u64(b, len_field);
	put32(b, crc32(0, payload, n));
	put32(b, crc32(0, b->data + start, 24));
	pbuf__put_bytes(b, payload, n);
	pbuf__put_bytes(b, zeros, (8 - n % 8) % 8);
	assert_false(b->failed);
}

static void craft_section_len(struct pbuf *b, uint32_t id, uint32_t instance, uint64_t len_field,
			      const void *payload, size_t n)
{
	craft_section_ver(b, id, instance, 1, len_field, payload, n);
}

static void craft_section(struct pbuf *b, uint32_t id, uint32_t instance, const char *payload)
{
	craft_section_len(b, id, instance, strlen(payload), payload, strlen(payload));
}

static void expect_ok(const char *what, struct pbuf *b, struct snap_reader *r)
{
	char err[ERRLEN];
	int ret;

	ret = snap__parse(b->data, b->len, r, err, sizeof(err));
	if (ret)
		fail_msg("%s: refused (%d): %s", what, ret, err);
	assert_null(r->dir);
}

static void test_versions(void **state)
{
	struct snap_reader r;
	struct pbuf b;

	craft_header(&b, MAGIC, 1, 7, 1);		/* a later minor: readable */
	craft_section(&b, SNAP_SEC_CONFIG, 0, "hello");
	expect_ok("1.7", &b, &r);
	assert_int_equal(r.minor, 7);
	assert_int_equal(r.nr_sections, 1);
	assert_memory_equal(snap__find(&r, SNAP_SEC_CONFIG, 0)->data, "hello", 5);
	snap__close(&r);
	pbuf__free(&b);

	craft_header(&b, MAGIC, 2, 0, 1);
	craft_section(&b, SNAP_SEC_CONFIG, 0, "hello");
	expect_bad("2.0", b.data, b.len, "state: format 2.0, this vmm reads 1.x");
	pbuf__free(&b);

	craft_header(&b, MAGIC, 0, 9, 0);
	expect_bad("0.9", b.data, b.len, "format 0.9, this vmm reads 1.x");
	pbuf__free(&b);

	craft_header(&b, MAGIC, 1, 0, 0);		/* no sections at all */
	expect_ok("no sections", &b, &r);
	snap__close(&r);
	pbuf__free(&b);
}

static void test_magic(void **state)
{
	static const char text[] = "#!/bin/sh\necho this is not a snapshot, but long enough\n";
	struct pbuf b;

	craft_header(&b, "VMMSNAP\0X86_64\0\0", 1, 0, 0);
	expect_bad("x86", b.data, b.len,
		   "state: a snapshot of another architecture (\"X86_64\"; this vmm is ARM64)");
	pbuf__free(&b);
	craft_header(&b, "VMMSNAP\0ARM\xff" "4\0\0\0", 1, 0, 0);
	expect_bad("binary arch", b.data, b.len, "another architecture (\"ARM?4\"");
	pbuf__free(&b);
	craft_header(&b, "VMMSNAQ\0ARM64\0\0\0", 1, 0, 0);
	expect_bad("magic", b.data, b.len, "state: not a vmm snapshot");
	pbuf__free(&b);
	expect_bad("text", (const uint8_t *)text, sizeof(text) - 1, "not a vmm snapshot");
	expect_bad("short text", (const uint8_t *)"VMX", 3, "not a vmm snapshot");
	expect_bad("empty", (const uint8_t *)"", 0, "state: empty file");
	expect_bad("magic only", (const uint8_t *)MAGIC, 5, "header: truncated");
	expect_bad("magic, arch prefix", (const uint8_t *)MAGIC, 11, "header: truncated");
	expect_bad("magic, other arch prefix", (const uint8_t *)"VMMSNAP\0X8", 10,
		   "another architecture (\"X8\"");
	expect_bad("magic and arch", (const uint8_t *)MAGIC, 16, "header: truncated");
}

/* Lengths near 2^64, which would wrap an offset + length computation. */
static void test_huge_lengths(void **state)
{
	static const uint64_t lens[] = {
		/* offset + 32 + length is 2^64 for section 0, then for section 1 */
		UINT64_MAX, UINT64_MAX - 31, UINT64_MAX - 63, UINT64_MAX - 103,
		UINT64_MAX - 3, 1ULL << 63, 1ULL << 32, (1ULL << 32) + 16, 17, 24,
	};
	char what[64], part[96];
	unsigned i, at;
	struct pbuf b;

	for (at = 0; at < 2; at++) {
		for (i = 0; i < ARRAY_SIZE(lens); i++) {
			craft_header(&b, MAGIC, 1, 0, 2);
			if (at)
				craft_section(&b, SNAP_SEC_CONFIG, 0, "12345678");
			craft_section_len(&b, SNAP_SEC_VCPU, 3, lens[i], "0123456789abcdef", 16);
			if (!at)
				craft_section(&b, SNAP_SEC_GIC, 0, "");
			snprintf(what, sizeof(what), "length 0x%" PRIx64 " in section %u", lens[i],
				 at);
			snprintf(part, sizeof(part), "state: section %u (vcpu 3): truncated or a "
				 "bad length: the payload is %" PRIu64 " bytes", at, lens[i]);
			if (lens[i] < 32 && !at)	/* fits: then the CRC is wrong */
				snprintf(part, sizeof(part), "section 0 (vcpu 3): payload CRC");
			expect_bad(what, b.data, b.len, part);
			pbuf__free(&b);
		}
	}
}

static void test_count_mismatch(void **state)
{
	struct pbuf b;

	craft_header(&b, MAGIC, 1, 0, 3);
	craft_section(&b, SNAP_SEC_CONFIG, 0, "a");
	craft_section(&b, SNAP_SEC_VCPU, 0, "b");
	expect_bad("3 for 2", b.data, b.len,
		   "state: section 2: missing: the file ends after 2 of the 3 sections");
	pbuf__free(&b);

	craft_header(&b, MAGIC, 1, 0, 1);
	craft_section(&b, SNAP_SEC_CONFIG, 0, "a");
	craft_section(&b, SNAP_SEC_VCPU, 0, "b");
	expect_bad("1 for 2", b.data, b.len, "state: section count mismatch: the header "
		   "counts 1 sections, but another follows at offset 72");
	pbuf__free(&b);

	craft_header(&b, MAGIC, 1, 0, 0);
	craft_section(&b, SNAP_SEC_CONFIG, 0, "");
	expect_bad("0 for 1", b.data, b.len, "section count mismatch");
	pbuf__free(&b);

	craft_header(&b, MAGIC, 1, 0, 4097);
	expect_bad("too many", b.data, b.len,
		   "state: header: 4097 sections, more than the limit of 4096");
	pbuf__free(&b);
	craft_header(&b, MAGIC, 1, 0, UINT32_MAX);
	craft_section(&b, SNAP_SEC_CONFIG, 0, "a");
	expect_bad("2^32-1", b.data, b.len, "more than the limit");
	pbuf__free(&b);
}

static void test_trailing_garbage(void **state)
{
	static const uint8_t junk[40] = { 0xaa, 0xbb, 0xcc };
	size_t n[] = { 1, 3, 8, 31, 32, 40 };
	char what[32], part[80];
	struct pbuf b;
	unsigned i;

	for (i = 0; i < ARRAY_SIZE(n); i++) {
		craft_header(&b, MAGIC, 1, 0, 1);
		craft_section(&b, SNAP_SEC_CONFIG, 0, "abc");
		pbuf__put_bytes(&b, junk, n[i]);
		snprintf(what, sizeof(what), "%zu bytes", n[i]);
		snprintf(part, sizeof(part), "state: %zu bytes of trailing garbage after the "
			 "last section (offset 72)", n[i]);
		expect_bad(what, b.data, b.len, part);
		pbuf__free(&b);
	}
}

static void test_duplicates(void **state)
{
	struct snap_reader r;
	struct pbuf b;

	craft_header(&b, MAGIC, 1, 0, 4);
	craft_section(&b, SNAP_SEC_CONFIG, 0, "c");
	craft_section(&b, SNAP_SEC_VCPU, 1, "v1");
	craft_section(&b, SNAP_SEC_VCPU, 0, "v0");
	craft_section(&b, SNAP_SEC_VCPU, 1, "v1 again");
	expect_bad("vcpu 1 twice", b.data, b.len,
		   "state: section 3 (vcpu 1): duplicate of section 1");
	pbuf__free(&b);

	/* Same id, other instance, and same instance, other id: both fine. */
	craft_header(&b, MAGIC, 1, 0, 3);
	craft_section(&b, SNAP_SEC_VCPU, 0, "v0");
	craft_section(&b, SNAP_SEC_VCPU, 1, "v1");
	craft_section(&b, SNAP_SEC_DEVICE, 1, "d1");
	expect_ok("distinct", &b, &r);
	assert_memory_equal(snap__find(&r, SNAP_SEC_DEVICE, 1)->data, "d1", 2);
	snap__close(&r);
	pbuf__free(&b);
}

/* Sections of unknown ids are kept, so that a reader can skip them. */
static void test_unknown_kept(void **state)
{
	const struct snap_section *s;
	struct snap_reader r;
	struct pbuf b;

	craft_header(&b, MAGIC, 1, 3, 3);
	craft_section(&b, 0x7fff0001, 0, "future");
	craft_section(&b, SNAP_SEC_CONFIG, 0, "cfg");
	craft_section(&b, 0, 0, "");
	expect_ok("unknown", &b, &r);
	s = snap__find(&r, 0x7fff0001, 0);
	assert_non_null(s);
	assert_int_equal(s->len, 6);
	assert_memory_equal(s->data, "future", 6);
	assert_string_equal(snap__section_name(0x7fff0001), "unknown");
	assert_string_equal(snap__section_name(SNAP_SEC_VCPU), "vcpu");
	snap__close(&r);
	pbuf__free(&b);
}

/* ---- compatibility: what each format version and section version reads ---- */

/*
 * The format-1.0 fixture (tests/fixtures/snapshot-1.0, written by an older
 * vmm) parses, its section versions are all ones this vmm reads, and its
 * device sections are where a 1.0 reader looks for them: instance i for the
 * i-th device table entry (pl011, pl031, testdev), (3 + 1) << 8 | k for
 * the k-th virtio device.
 */
static void test_fixture_1_0(void **state)
{
	static const char *const devices[] = { "pl011", "pl031", "testdev" };
	const struct snap_section *s;
	struct snap_reader r;
	struct preader p;
	char err[ERRLEN];

	if (snap__open("tests/fixtures/snapshot-1.0", &r, err, sizeof(err)))
		fail_msg("the 1.0 fixture: %s", err);
	assert_int_equal(r.major, 1);
	assert_int_equal(r.minor, 0);
	assert_int_equal(snap__check_versions(&r, err, sizeof(err)), 0);
	for (unsigned i = 0; i < ARRAY_SIZE(devices); i++) {
		assert_int_equal(devcfg__device_key_1_0(devices[i], 0), i);
		s = snap__find(&r, SNAP_SEC_DEVICE, i);
		assert_non_null(s);
		preader__init(&p, s->data, s->len);
		assert_true(preader__str_is(&p, devices[i]));
	}
	assert_int_equal(devcfg__device_key_1_0("virtio-rng", 0), 4 << 8 | 0);
	assert_int_equal(devcfg__device_key_1_0("virtio-blk", 2), 4 << 8 | 2);
	s = snap__find(&r, SNAP_SEC_DEVICE, 4 << 8 | 0);
	assert_non_null(s);
	preader__init(&p, s->data, s->len);
	assert_true(preader__str_is(&p, "virtio-rng"));
	assert_null(snap__find(&r, SNAP_SEC_DEVICE, devcfg__device_key("pl011", 0)));
	/* 1.0 wrote a memory section: 16 MiB, what its config says */
	s = snap__find(&r, SNAP_SEC_MEMORY, 0);
	assert_non_null(s);
	preader__init(&p, s->data, s->len);
	assert_int_equal(preader__get_u64(&p), 16 * SZ_1M);
	snap__close(&r);
}

/*
 * The fixture's config section reads as the README says it was made
 * (-c 1 -m 16 --testdev --rng, SVE 128,256,512 with pointer auth), and
 * encoding that config again gives the same bytes: the config section's
 * layout has not changed.
 */
static void test_fixture_config(void **state)
{
	struct vm_config cfg = { .name = "vmm", .testdev = true };
	struct vm vm = { .cfg = &cfg };
	const struct snap_section *sec;
	struct vm_saved_config c;
	struct snap_reader r;
	char err[ERRLEN];
	struct pbuf b;

	assert_int_equal(snap__open("tests/fixtures/snapshot-1.0", &r, err, sizeof(err)), 0);
	if (vmstate__parse_config(&r, &c, err, sizeof(err)))
		fail_msg("the 1.0 fixture's config: %s", err);
	assert_int_equal(c.nr_vcpus, 1);
	assert_int_equal(c.ram_size, 16 * SZ_1M);
	assert_int_equal(c.ipa_bits, 32);
	assert_true(c.testdev);
	assert_string_equal(c.name, "vmm");
	assert_int_equal(c.arch.sve_set, 0xb);		/* 128, 256, 512 */
	assert_true(c.arch.ptrauth);
	assert_false(c.arch.pmu);
	assert_true(c.dev.rng);
	assert_int_equal(c.dev.nr_disks, 0);

	vm.nr_vcpus = c.nr_vcpus;
	vm.ram_size = c.ram_size;
	vm.ipa_bits = c.ipa_bits;
	arch__restore_prepare(&vm, &c.arch);
	arch__config_from_saved(&c.arch, &cfg.arch);
	pbuf__init(&b);
	vmstate__encode_config(&vm, &b);
	sec = snap__find(&r, SNAP_SEC_CONFIG, 0);
	assert_int_equal(b.len, sec->len);
	assert_memory_equal(b.data, sec->data, sec->len);
	pbuf__free(&b);
	snap__close(&r);
}

/*
 * Copies the fixture's sections into a new snapshot, with section (id, 0)
 * at version and payload (when not NULL) replaced, and reads its config.
 */
static int fixture_variant(void **state, uint32_t id, uint32_t version, const void *payload,
			   size_t len, char *err, size_t errlen)
{
	char *dir = join(*state, "variant"), e[ERRLEN];
	struct vm_saved_config c;
	struct snap_reader r, v;
	struct snap_writer *w;
	int ret;

	assert_int_equal(snap__open("tests/fixtures/snapshot-1.0", &r, e, sizeof(e)), 0);
	remove_tree(dir);
	assert_int_equal(snap__begin(dir, &w), 0);
	for (unsigned i = 0; i < r.nr_sections; i++) {
		const struct snap_section *s = &r.sections[i];
		bool it = s->id == id && s->instance == 0;

		assert_int_equal(snap__add(w, s->id, s->instance, it ? version : s->version,
					   it && payload ? payload : s->data,
					   it && payload ? len : s->len), 0);
	}
	assert_int_equal(snap__commit(w), 0);
	snap__close(&r);
	assert_int_equal(snap__open(dir, &v, e, sizeof(e)), 0);
	ret = vmstate__parse_config(&v, &c, err, errlen);
	snap__close(&v);
	remove_tree(dir);
	free(dir);
	return ret;
}

/* Section versions are checked when the config is read; the 1.0 memory section too. */
static void test_config_checks(void **state)
{
	static const uint8_t mem32[8] = { 0, 0, 0, 2, 0, 0, 0, 0 };	/* 32 MiB */
	char err[ERRLEN];

	assert_int_equal(fixture_variant(state, SNAP_SEC_CONFIG, 1, NULL, 0, err, sizeof(err)), 0);
	assert_int_equal(fixture_variant(state, SNAP_SEC_CONFIG, 2, NULL, 0, err, sizeof(err)),
			 -VMM_ERR_INPUT);
	assert_string_equal(err, "state: section 0 (config 0): version 2, this vmm reads version 1");
	assert_int_equal(fixture_variant(state, SNAP_SEC_GIC, 9, NULL, 0, err, sizeof(err)),
			 -VMM_ERR_INPUT);
	check_has("gic version", err, "(gic 0): version 9, this vmm reads version 1");
	assert_int_equal(fixture_variant(state, SNAP_SEC_MEMORY, 1, mem32, 8, err, sizeof(err)),
			 -VMM_ERR_INPUT);
	assert_string_equal(err, "section memory: 33554432 bytes, the config says 16777216");
	assert_int_equal(fixture_variant(state, SNAP_SEC_MEMORY, 1, mem32, 4, err, sizeof(err)),
			 -VMM_ERR_INPUT);
	check_has("memory length", err, "section memory: bad length");
}

/* What this vmm writes is what it reads: format 1.1, known versions. */
static void test_written_1_1(void **state)
{
	char *dir = join(*state, "v11"), err[ERRLEN];
	struct snap_writer *w;
	struct snap_reader r;

	assert_int_equal(snap__begin(dir, &w), 0);
	assert_int_equal(snap__add(w, SNAP_SEC_CONFIG, 0, SNAP_VER_CONFIG, "c", 1), 0);
	assert_int_equal(snap__add(w, SNAP_SEC_DEVICE, devcfg__device_key("pl011", 0),
				   SNAP_VER_DEVICE, "d", 1), 0);
	assert_int_equal(snap__commit(w), 0);
	assert_int_equal(snap__open(dir, &r, err, sizeof(err)), 0);
	assert_int_equal(r.major, 1);
	assert_int_equal(r.minor, 1);
	assert_int_equal(snap__check_versions(&r, err, sizeof(err)), 0);
	assert_non_null(snap__find(&r, SNAP_SEC_DEVICE, 0x10000));
	snap__close(&r);
	free(dir);
}

/* A section of a known id at a version this vmm does not read: named, with it. */
static void test_section_versions(void **state)
{
	static const struct {
		uint32_t id, instance, version;
		const char *want;
	} cases[] = {
		{ SNAP_SEC_CONFIG, 0, 2, "state: section 1 (config 0): version 2, this vmm reads version 1" },
		{ SNAP_SEC_VCPU, 1, 7, "state: section 1 (vcpu 1): version 7, this vmm reads versions 1 to 2" },
		{ SNAP_SEC_GIC, 0, 0, "state: section 1 (gic 0): version 0, this vmm reads version 1" },
		{ SNAP_SEC_DEVICE, 0x10000, 2,
		  "state: section 1 (device 65536): version 2, this vmm reads version 1" },
		{ SNAP_SEC_DEVICES, 0, 0xffffffff,
		  "state: section 1 (devices 0): version 4294967295, this vmm reads versions 1 to 2" },
		{ SNAP_SEC_HOST, 0, 2, "state: section 1 (host 0): version 2, this vmm reads version 1" },
		{ SNAP_SEC_MEMORY, 0, 3, "state: section 1 (memory 0): version 3, this vmm reads version 1" },
	};
	struct snap_reader r;
	char err[ERRLEN];
	struct pbuf b;

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		craft_header(&b, MAGIC, 1, 1, 3);
		craft_section(&b, SNAP_SEC_CONFIG, 1, "c");
		craft_section_ver(&b, cases[i].id, cases[i].instance, cases[i].version, 1, "x", 1);
		craft_section_ver(&b, 99, 0, 5, 1, "u", 1);	/* unknown id: any version */
		expect_ok(cases[i].want, &b, &r);
		assert_int_equal(snap__check_versions(&r, err, sizeof(err)), -VMM_ERR_INPUT);
		check_one_line(err);
		assert_string_equal(err, cases[i].want);
		snap__close(&r);
		pbuf__free(&b);
	}
	/* the same at version 1, and the unknown section at 5: read */
	craft_header(&b, MAGIC, 1, 0, 2);
	craft_section(&b, SNAP_SEC_VCPU, 0, "v");
	craft_section_ver(&b, 99, 0, 5, 1, "u", 1);
	expect_ok("version 1", &b, &r);
	assert_int_equal(snap__check_versions(&r, err, sizeof(err)), 0);
	snap__close(&r);
	pbuf__free(&b);
}

/* Format 1.1 device keys: type and instance, fixed numbers. */
static void test_device_keys(void **state)
{
	assert_int_equal(devcfg__device_key("pl011", 0), 0x10000);
	assert_int_equal(devcfg__device_key("pl031", 0), 0x20000);
	assert_int_equal(devcfg__device_key("testdev", 0), 0x30000);
	assert_int_equal(devcfg__device_key("virtio-net", 1), 0x1010001);
	assert_int_equal(devcfg__device_key("virtio-blk", 0), 0x1020000);
	assert_int_equal(devcfg__device_key("virtio-blk", 3), 0x1020003);
	assert_int_equal(devcfg__device_key("virtio-console", 0), 0x1030000);
	assert_int_equal(devcfg__device_key("virtio-rng", 0), 0x1040000);
	assert_int_equal(devcfg__device_key("virtio-rng", 0x10000), 0);	/* too many */
	assert_int_equal(devcfg__device_key("virtio-gpu", 0), 0);	/* no type */
	assert_int_equal(devcfg__device_key("", 0), 0);
}

static void test_too_large(void **state)
{
	const size_t big = 256 * SZ_1M + 8;
	char *dir = join(*state, "huge"), *path = join(dir, "state"), err[ERRLEN];
	struct snap_reader r;
	uint8_t *buf;
	int fd;

	buf = calloc(1, big);		/* untouched pages: no real memory */
	assert_non_null(buf);
	memcpy(buf, MAGIC, 16);
	expect_bad("parse 256 MiB + 8", buf, big,
		   "state: the file is 268435464 bytes, more than the limit of 256 MiB");
	free(buf);

	assert_int_equal(mkdir(dir, 0700), 0);
	fd = open(path, O_CREAT | O_WRONLY, 0600);
	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, big), 0);	/* sparse */
	close(fd);
	assert_int_equal(snap__open(dir, &r, err, sizeof(err)), -VMM_ERR_INPUT);
	check_one_line(err);
	check_has("open 256 MiB + 8", err, "is larger than the limit of 256 MiB");
	assert_null(r.state);
	free(path);
	free(dir);
}

static void test_open_errors(void **state)
{
	char *dir = join(*state, "nothing"), *bad = join(*state, "bad"), *path, err[ERRLEN];
	struct snap_reader r;
	int fd;

	assert_int_equal(snap__open(dir, &r, err, sizeof(err)), -VMM_ERR_INPUT);
	check_one_line(err);
	check_has("missing", err, "No such file");
	check_has("missing", err, dir);

	assert_int_equal(mkdir(bad, 0700), 0);
	path = join(bad, "state");
	fd = open(path, O_CREAT | O_WRONLY, 0600);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "VMMSNAP\0ARM64\0\0\0\1\0\0\0", 20), 20);
	close(fd);
	assert_int_equal(snap__open(bad, &r, err, sizeof(err)), -VMM_ERR_INPUT);
	check_has("short", err, "header: truncated");
	assert_null(r.dir);
	snap__close(&r);
	free(path);
	free(bad);
	free(dir);
}

/* No buffer, or a tiny one: the return value still says what happened. */
static void test_small_err_buffers(void **state)
{
	struct snap_reader r;
	char err[8];

	assert_int_equal(snap__parse((const uint8_t *)"junk", 4, &r, NULL, 0), -VMM_ERR_INPUT);
	assert_int_equal(snap__parse((const uint8_t *)"junk", 4, &r, err, 0), -VMM_ERR_INPUT);
	memset(err, 'x', sizeof(err));
	assert_int_equal(snap__parse((const uint8_t *)"junk", 4, &r, err, sizeof(err)),
			 -VMM_ERR_INPUT);
	assert_string_equal(err, "state: ");
	assert_int_equal(snap__parse((const uint8_t *)"junk", 4, &r, err, 3), -VMM_ERR_INPUT);
	assert_string_equal(err, "st");
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_round_trip),
		T(test_no_sections),
		T(test_layout),
		T(test_sparse_memory),
		T(test_memory_dense_and_empty),
		T(test_memory_errors),
		T(test_add_errors),
		T(test_section_limit_round_trip),
		T(test_bad_dirs),
		T(test_trailing_slash),
		T(test_exists_at_begin),
		T(test_exists_at_commit),
		T(test_earlier_snapshot_untouched),
		T(test_abort),
		T(test_truncated_everywhere),
		T(test_bit_flips_everywhere),
		T(test_damage_kinds),
		T(test_versions),
		T(test_fixture_1_0),
		T(test_fixture_config),
		T(test_config_checks),
		T(test_written_1_1),
		T(test_section_versions),
		T(test_device_keys),
		T(test_magic),
		T(test_huge_lengths),
		T(test_count_mismatch),
		T(test_trailing_garbage),
		T(test_duplicates),
		T(test_unknown_kept),
		T(test_too_large),
		T(test_open_errors),
		T(test_small_err_buffers),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
