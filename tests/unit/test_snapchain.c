/*
 * Unit tests of incremental snapshots' chain (vmm/snapchain.c): the chain
 * section encodes and parses back, every malformed one is refused naming
 * the field; a chain of snapshots on disk (the 1.0 fixture's config, our
 * own chain sections and memory files) is followed down to its full
 * snapshot, found beside the increment when moved, and its increments laid
 * over the full memory give the newest RAM byte for byte; a missing base,
 * another snapshot in its place and a wrong depth are a broken chain.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "unit.h"
#include "vmm/dirty.h"
#include "vmm/persist.h"
#include "vmm/snapchain.h"
#include "vmm/snapshot.h"
#include "vmm/util.h"

#define FIXTURE		"tests/fixtures/snapshot-1.0"
#define RAM		(16 * SZ_1M)		/* the fixture's */
#define PAGES		(RAM / DIRTY_PAGE_SIZE)
#define WORDS		(PAGES / 64)
#define ERRLEN		512

/* ---- the section ---- */

static struct snap_chain full_chain(uint8_t tag)
{
	struct snap_chain c = { .id = { tag, 0xaa }, .base_path = "", .pages = PAGES,
				.nr_held = PAGES };

	return c;
}

static struct snap_chain incr_chain(uint8_t tag, uint8_t base_tag, uint32_t depth,
				    const char *base, uint64_t *held)
{
	struct snap_chain c = { .id = { tag, 0xaa }, .base_id = { base_tag, 0xaa },
				.depth = depth, .base_path = (char *)base, .pages = PAGES,
				.held = held, .nr_held = dirty__count(held, WORDS) };

	return c;
}

static int parse_pbuf(const struct pbuf *b, struct snap_chain *c, char *err)
{
	return snapchain__parse(b->data, b->len, RAM, c, err, ERRLEN);
}

static void test_roundtrip(void **state)
{
	uint64_t *held = calloc(WORDS, 8);
	struct snap_chain in = full_chain(1), out;
	char err[ERRLEN];
	struct pbuf b;

	pbuf__init(&b);
	snapchain__encode(&in, &b);
	assert_int_equal(parse_pbuf(&b, &out, err), 0);
	assert_memory_equal(out.id, in.id, SNAP_ID_BYTES);
	assert_int_equal(out.depth, 0);
	assert_string_equal(out.base_path, "");
	assert_null(out.held);
	assert_int_equal(out.nr_held, PAGES);
	snapchain__free(&out);
	pbuf__free(&b);

	held[0] = 0x5;
	held[WORDS - 1] = 1ULL << 63;
	in = incr_chain(2, 1, 3, "/s/a b", held);
	pbuf__init(&b);
	snapchain__encode(&in, &b);
	assert_int_equal(parse_pbuf(&b, &out, err), 0);
	assert_memory_equal(out.base_id, in.base_id, SNAP_ID_BYTES);
	assert_int_equal(out.depth, 3);
	assert_string_equal(out.base_path, "/s/a b");
	assert_int_equal(out.nr_held, 3);
	assert_memory_equal(out.held, held, WORDS * 8);
	snapchain__free(&out);
	pbuf__free(&b);
	free(held);
}

/* Each malformed payload is refused with -2 and the named reason. */
static void refused(const struct snap_chain *c, uint64_t ram, const char *why)
{
	struct snap_chain out;
	char err[ERRLEN];
	struct pbuf b;

	pbuf__init(&b);
	snapchain__encode(c, &b);
	assert_int_equal(snapchain__parse(b.data, b.len, ram, &out, err, sizeof(err)),
			 -VMM_ERR_INPUT);
	if (!strstr(err, why))
		fail_msg("expected '%s' in '%s'", why, err);
	assert_null(out.held);
	assert_null(out.base_path);
	pbuf__free(&b);
}

static void test_refused(void **state)
{
	uint64_t *held = calloc(WORDS + 1, 8);
	struct snap_chain c;

	held[1] = 1;
	c = full_chain(1);
	memset(c.id, 0, sizeof(c.id));
	refused(&c, RAM, "the id is zero");
	c = full_chain(1);
	refused(&c, RAM * 2, "pages, the config's memory");
	c = full_chain(1);
	c.base_id[0] = 9;
	refused(&c, RAM, "depth 0 with a base id");
	c = full_chain(1);
	c.base_path = "/x";
	refused(&c, RAM, "depth 0 with no base id and a base path");
	c = incr_chain(2, 1, 1, "", held);
	refused(&c, RAM, "no base path");
	c = incr_chain(2, 1, 1, "rel/dir", held);
	refused(&c, RAM, "not absolute");
	c = incr_chain(2, 2, 1, "/s", held);
	refused(&c, RAM, "its own base");
	c = incr_chain(2, 1, SNAP_CHAIN_MAX + 1, "/s", held);
	refused(&c, RAM, "depth 65, at most 64");
	c = incr_chain(2, 1, 1, "/s", held);
	c.nr_held = 2;
	refused(&c, RAM, "bitmap holds 1 pages, the section says 2");
	c = incr_chain(2, 1, 1, "/s", held);
	c.pages = PAGES - 1;		/* RAM of one page less: the last page is past the end */
	held[WORDS - 1] = 1ULL << 63;
	c.nr_held = 2;
	refused(&c, RAM - DIRTY_PAGE_SIZE, "pages past the last one");
	free(held);
}

/* A full snapshot says it holds every page, and has no bitmap. */
static void test_full_with_bitmap(void **state)
{
	struct snap_chain c = full_chain(1), out;
	char err[ERRLEN];
	struct pbuf b;

	pbuf__init(&b);
	snapchain__encode(&c, &b);
	assert_int_equal(b.len, 56);		/* ids, depth, "" base, pages, held count */
	put_le(b.data + 48, PAGES - 1, 8);
	assert_int_equal(parse_pbuf(&b, &out, err), -VMM_ERR_INPUT);
	assert_non_null(strstr(err, "a full snapshot with a page count or bitmap"));
	put_le(b.data + 48, PAGES, 8);
	pbuf__put_u64(&b, 0);
	assert_int_equal(parse_pbuf(&b, &out, err), -VMM_ERR_INPUT);
	assert_non_null(strstr(err, "a full snapshot with a page count or bitmap"));
	pbuf__free(&b);
}

/* Every truncation, and a byte too many, is refused; nothing leaks (ASan). */
static void test_truncated(void **state)
{
	uint64_t *held = calloc(WORDS, 8);
	struct snap_chain c = incr_chain(2, 1, 1, "/s/base", held), out;
	char err[ERRLEN];
	struct pbuf b;

	held[3] = 0xff;
	c.nr_held = 8;
	pbuf__init(&b);
	snapchain__encode(&c, &b);
	for (size_t n = 0; n < b.len; n++)
		assert_int_equal(snapchain__parse(b.data, n, RAM, &out, err, sizeof(err)),
				 -VMM_ERR_INPUT);
	pbuf__put_u8(&b, 0);
	assert_int_equal(snapchain__parse(b.data, b.len, RAM, &out, err, sizeof(err)),
			 -VMM_ERR_INPUT);
	assert_non_null(strstr(err, "bitmap of"));
	pbuf__free(&b);
	free(held);
}

/* ---- chains on disk ---- */

struct fx {
	char root[64];
	uint8_t *ram;		/* the guest RAM the snapshots are taken of */
};

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	strcpy(f->root, "/tmp/vmm-test-chain-XXXXXX");
	assert_non_null(mkdtemp(f->root));
	f->ram = calloc(1, RAM);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf %s", f->root);
	assert_int_equal(system(cmd), 0);
	free(f->ram);
	free(f);
	return 0;
}

static char *path_of(struct fx *f, const char *name)
{
	char *p;

	assert_true(asprintf(&p, "%s/%s", f->root, name) > 0);
	return p;
}

/* A snapshot at root/name: the fixture's config, chain c, RAM (the pages c holds). */
static void make_snap(struct fx *f, const char *name, const struct snap_chain *c)
{
	char *dir = path_of(f, name), err[ERRLEN];
	struct snap_reader fix;
	struct snap_writer *w;
	struct pbuf b;

	assert_int_equal(snap__open(FIXTURE, &fix, err, sizeof(err)), 0);
	assert_int_equal(snap__begin(dir, &w), 0);
	for (unsigned i = 0; i < fix.nr_sections; i++) {
		const struct snap_section *s = &fix.sections[i];

		if (s->id == SNAP_SEC_CONFIG || s->id == SNAP_SEC_DEVICES)
			assert_int_equal(snap__add(w, s->id, s->instance, s->version, s->data,
						   s->len), 0);
	}
	snap__close(&fix);
	pbuf__init(&b);
	snapchain__encode(c, &b);
	assert_int_equal(snap__add(w, SNAP_SEC_CHAIN, 0, SNAP_VER_CHAIN, b.data, b.len), 0);
	pbuf__free(&b);
	assert_int_equal(snap__write_memory_pages(w, f->ram, RAM, c->held, NULL), 0);
	assert_int_equal(snap__commit(w), 0);
	free(dir);
}

static void fill_page(struct fx *f, uint64_t page, uint8_t v, uint64_t *held)
{
	memset(f->ram + page * DIRTY_PAGE_SIZE, v, DIRTY_PAGE_SIZE);
	if (held)
		dirty__set(held, page);
}

static int open_chain(struct fx *f, const char *name, struct snap_links *l, char *err)
{
	char *dir = path_of(f, name);
	struct snap_reader r;
	int ret;

	assert_int_equal(snap__open(dir, &r, err, ERRLEN), 0);
	ret = snapchain__follow(&r, RAM, l, err, ERRLEN);
	snap__close(&r);
	free(dir);
	return ret;
}

/* s0 full, s1 and s2 increments: the newest RAM comes back from the chain. */
static void build_chain(struct fx *f)
{
	uint64_t *h1 = calloc(WORDS, 8), *h2 = calloc(WORDS, 8);
	char *s0 = path_of(f, "s0"), *s1 = path_of(f, "s1");
	struct snap_chain c;

	fill_page(f, 0, 0x10, NULL);
	fill_page(f, 5, 0x15, NULL);
	fill_page(f, 9, 0x19, NULL);
	c = full_chain(1);
	make_snap(f, "s0", &c);
	fill_page(f, 1, 0x21, h1);
	fill_page(f, 5, 0x00, h1);		/* written back to zero: a hole that is held */
	fill_page(f, PAGES - 1, 0x2f, h1);
	c = incr_chain(2, 1, 1, s0, h1);
	make_snap(f, "s1", &c);
	fill_page(f, 1, 0x31, h2);
	fill_page(f, 7, 0x37, h2);
	c = incr_chain(3, 2, 2, s1, h2);
	make_snap(f, "s2", &c);
	free(h1);
	free(h2);
	free(s0);
	free(s1);
}

static void test_follow_and_apply(void **state)
{
	struct fx *f = *state;
	struct snap_links l;
	char err[ERRLEN];
	uint8_t *ram = malloc(RAM);
	int fd;

	build_chain(f);
	assert_int_equal(open_chain(f, "s2", &l, err), 0);
	assert_int_equal(l.nr, 3);
	assert_int_equal(l.link[0].chain.depth, 2);
	assert_non_null(strstr(l.link[1].dir, "/s1"));
	assert_non_null(strstr(l.link[2].dir, "/s0"));
	assert_int_equal(l.link[2].chain.depth, 0);
	/* the full snapshot's memory, then the increments over it */
	fd = snapchain__open_memory(&l, 2, RAM, err, sizeof(err));
	assert_true(fd >= 0);
	assert_int_equal(read_exact(fd, ram, RAM, 0), 0);
	close(fd);
	assert_int_equal(snapchain__apply(&l, ram, RAM, err, sizeof(err)), 0);
	assert_memory_equal(ram, f->ram, RAM);
	/* an increment's file has only what it holds: page 0 was not dirty in s1 */
	fd = snapchain__open_memory(&l, 1, RAM, err, sizeof(err));
	assert_true(fd >= 0);
	assert_int_equal(read_exact(fd, ram, DIRTY_PAGE_SIZE, 0), 0);
	assert_int_equal(ram[0] | ram[DIRTY_PAGE_SIZE - 1], 0);
	assert_int_equal(read_exact(fd, ram, DIRTY_PAGE_SIZE, DIRTY_PAGE_SIZE), 0);
	assert_int_equal(ram[0], 0x21);
	close(fd);
	snapchain__free_links(&l);
	/* a full snapshot alone */
	assert_int_equal(open_chain(f, "s0", &l, err), 0);
	assert_int_equal(l.nr, 1);
	snapchain__free_links(&l);
	free(ram);
}

/* The whole chain moved elsewhere: each base is found beside its increment. */
static void test_moved_chain(void **state)
{
	struct fx *f = *state;
	char *from = strdup(f->root), cmd[256];
	struct snap_links l;
	char err[ERRLEN];

	build_chain(f);
	strcat(f->root, "-moved");
	assert_int_equal(rename(from, f->root), 0);
	assert_int_equal(open_chain(f, "s2", &l, err), 0);
	assert_int_equal(l.nr, 3);
	assert_int_equal(strncmp(l.link[2].dir, f->root, strlen(f->root)), 0);
	snapchain__free_links(&l);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", from);	/* nothing there: teardown's is root */
	assert_int_equal(system(cmd), 0);
	free(from);
}

static void expect_broken(struct fx *f, const char *name, const char *why)
{
	struct snap_links l;
	char err[ERRLEN];

	assert_int_equal(open_chain(f, name, &l, err), -VMM_ERR_INPUT);
	assert_int_equal(l.nr, 0);
	if (!strstr(err, "broken chain") || !strstr(err, why))
		fail_msg("expected a broken chain with '%s', got '%s'", why, err);
}

static void test_broken_chain(void **state)
{
	struct fx *f = *state;
	char *s1 = path_of(f, "s1"), *x = path_of(f, "x"), *s1x = path_of(f, "s1x");
	uint64_t *h = calloc(WORDS, 8);
	struct snap_chain c;

	build_chain(f);
	/* the base is missing, at its path and beside */
	assert_int_equal(rename(s1, s1x), 0);
	expect_broken(f, "s2", "s1");
	/* another snapshot in its place: a full one with another id */
	c = full_chain(9);
	make_snap(f, "s1", &c);
	expect_broken(f, "s2", "is another snapshot (id 09aa");
	/* a base one depth too deep */
	dirty__set(h, 3);
	c = incr_chain(4, 2, 1, s1x, h);	/* claims depth 1 on s1x, which is depth 1 */
	make_snap(f, "x", &c);
	expect_broken(f, "x", "is at depth 1, not 0");
	free(s1);
	free(x);
	free(s1x);
	free(h);
}

/* An increment's memory-incr missing: its base's files are checked when opened. */
static void test_missing_memory(void **state)
{
	struct fx *f = *state;
	char *mem = path_of(f, "s1/memory-incr"), err[ERRLEN];
	struct snap_links l;

	build_chain(f);
	assert_int_equal(unlink(mem), 0);
	assert_int_equal(open_chain(f, "s2", &l, err), 0);
	assert_true(snapchain__open_memory(&l, 1, RAM, err, sizeof(err)) < 0);
	assert_non_null(strstr(err, "memory-incr"));
	snapchain__free_links(&l);
	free(mem);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_roundtrip),
		cmocka_unit_test(test_refused),
		cmocka_unit_test(test_full_with_bitmap),
		cmocka_unit_test(test_truncated),
		cmocka_unit_test_setup_teardown(test_follow_and_apply, setup, teardown),
		cmocka_unit_test_setup_teardown(test_moved_chain, setup, teardown),
		cmocka_unit_test_setup_teardown(test_broken_chain, setup, teardown),
		cmocka_unit_test_setup_teardown(test_missing_memory, setup, teardown),
	};

	return cmocka_run_group_tests_name("snapchain", tests, NULL, NULL);
}
