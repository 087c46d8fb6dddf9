/*
 * Incremental snapshots: the chain section and following a chain down to
 * its full snapshot (see include/vmm/snapchain.h, docs/snapshot.md). The
 * running VM's side (which pages, the latest id) is in vmm/vmstate.c.
 *
 * A base is named by the snapshot, which is untrusted: its files are opened
 * as any file a snapshot names (saved_open__regular: absolute, no symlink
 * anywhere, a regular file), and its state is parsed like any other.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "vmm/dirty.h"
#include "vmm/persist.h"
#include "vmm/saved-open.h"
#include "vmm/snapchain.h"
#include "vmm/snapshot.h"
#include "vmm/util.h"
#include "vmm/vmstate.h"

#define STATE_MAX	(256 * SZ_1M)	/* as the container's limit */

/* ---- the section ---- */

static bool all_zero(const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i])
			return false;
	return true;
}

void snapchain__encode(const struct snap_chain *c, struct pbuf *b)
{
	pbuf__put_bytes(b, c->id, SNAP_ID_BYTES);
	pbuf__put_bytes(b, c->base_id, SNAP_ID_BYTES);
	pbuf__put_u32(b, c->depth);
	pbuf__put_str(b, c->base_path ? c->base_path : "");
	pbuf__put_u64(b, c->pages);
	pbuf__put_u64(b, c->held ? c->nr_held : c->pages);
	if (c->depth)
		for (size_t i = 0; i < dirty__words_for(c->pages * DIRTY_PAGE_SIZE); i++)
			pbuf__put_u64(b, c->held[i]);
}

void snapchain__free(struct snap_chain *c)
{
	free(c->base_path);
	free(c->held);
	memset(c, 0, sizeof(*c));
}

static int __printf(4, 5) chain_fail(struct snap_chain *c, char *err, size_t errlen,
				     const char *fmt, ...)
{
	va_list ap;

	snapchain__free(c);
	va_start(ap, fmt);
	vset_err(err, errlen, fmt, ap);
	va_end(ap);
	return -VMM_ERR_INPUT;
}

/* The bitmap of an increment: pages bits, none past the last page, nr_held of them. */
static int parse_held(struct preader *p, struct snap_chain *c, uint64_t nr_held, char *err,
		      size_t errlen)
{
	size_t words = dirty__words_for(c->pages * DIRTY_PAGE_SIZE);

	size_t left = p->len - p->pos;

	if (left != words * 8)
		return chain_fail(c, err, errlen, "chain: bitmap of %zu bytes for %" PRIu64
				  " pages, which take %zu", left, c->pages, words * 8);
	c->held = calloc(words ? words : 1, sizeof(uint64_t));
	if (!c->held) {
		snapchain__free(c);
		return -VMM_ERR_INTERNAL;
	}
	for (size_t i = 0; i < words; i++)
		c->held[i] = preader__get_u64(p);
	if (c->pages % 64 && c->held[words - 1] >> (c->pages % 64))
		return chain_fail(c, err, errlen, "chain: bitmap has pages past the last one");
	c->nr_held = dirty__count(c->held, words);
	if (c->nr_held != nr_held)
		return chain_fail(c, err, errlen, "chain: bitmap holds %" PRIu64 " pages, the "
				  "section says %" PRIu64, c->nr_held, nr_held);
	return 0;
}

int snapchain__parse(const uint8_t *data, size_t len, uint64_t ram_size, struct snap_chain *c,
		     char *err, size_t errlen)
{
	char path[SNAP_BASE_PATH_MAX + 1];
	struct preader p;
	uint64_t nr_held;
	bool full;

	memset(c, 0, sizeof(*c));
	preader__init(&p, data, len);
	preader__get_bytes(&p, c->id, SNAP_ID_BYTES);
	preader__get_bytes(&p, c->base_id, SNAP_ID_BYTES);
	c->depth = preader__get_u32(&p);
	if (!preader__get_str(&p, path, sizeof(path)))
		return chain_fail(c, err, errlen, "chain: base path missing or longer than %d "
				  "bytes", SNAP_BASE_PATH_MAX);
	c->pages = preader__get_u64(&p);
	nr_held = preader__get_u64(&p);
	if (!preader__ok(&p))
		return chain_fail(c, err, errlen, "chain: truncated");
	if (all_zero(c->id, SNAP_ID_BYTES))
		return chain_fail(c, err, errlen, "chain: the id is zero");
	if (c->pages != ram_size / DIRTY_PAGE_SIZE || ram_size % DIRTY_PAGE_SIZE)
		return chain_fail(c, err, errlen, "chain: %" PRIu64 " pages, the config's memory "
				  "has %" PRIu64, c->pages, ram_size / DIRTY_PAGE_SIZE);
	if (c->depth > SNAP_CHAIN_MAX)
		return chain_fail(c, err, errlen, "chain: depth %" PRIu32 ", at most %d",
				  c->depth, SNAP_CHAIN_MAX);
	full = !c->depth;
	if (full != all_zero(c->base_id, SNAP_ID_BYTES) || full != !path[0])
		return chain_fail(c, err, errlen, "chain: depth %" PRIu32 " with %s base id and "
				  "%s base path", c->depth,
				  all_zero(c->base_id, SNAP_ID_BYTES) ? "no" : "a",
				  path[0] ? "a" : "no");
	if (!full && path[0] != '/')
		return chain_fail(c, err, errlen, "chain: the base path is not absolute");
	if (!full && !memcmp(c->id, c->base_id, SNAP_ID_BYTES))
		return chain_fail(c, err, errlen, "chain: its own base");
	c->base_path = strdup(path);
	if (!c->base_path) {
		snapchain__free(c);
		return -VMM_ERR_INTERNAL;
	}
	if (full) {
		if (nr_held != c->pages || !preader__done(&p))
			return chain_fail(c, err, errlen, "chain: a full snapshot with a page count "
					  "or bitmap");
		c->nr_held = c->pages;
		return 0;
	}
	return parse_held(&p, c, nr_held, err, errlen);
}

int snapchain__read(const struct snap_reader *r, uint64_t ram_size, struct snap_chain *c,
		    char *err, size_t errlen)
{
	const struct snap_section *s = snap__find(r, SNAP_SEC_CHAIN, 0);

	memset(c, 0, sizeof(*c));
	if (!s)
		return 1;
	return snapchain__parse(s->data, s->len, ram_size, c, err, errlen);
}

void snapchain__id_hex(const uint8_t id[SNAP_ID_BYTES], char out[2 * SNAP_ID_BYTES + 1])
{
	for (unsigned i = 0; i < SNAP_ID_BYTES; i++)
		snprintf(out + 2 * i, 3, "%02x", id[i]);
}

/* ---- following a chain ---- */

void snapchain__free_links(struct snap_links *links)
{
	for (unsigned i = 0; i < links->nr; i++) {
		free(links->link[i].dir);
		snapchain__free(&links->link[i].chain);
	}
	links->nr = 0;
}

/* A file of a directory a snapshot named: no symlink anywhere, a regular file. */
static int open_named(const char *dir, const char *file, char *why, size_t whylen)
{
	struct stat st;
	char *path;
	int fd;

	if (asprintf(&path, "%s/%s", dir, file) < 0)
		return -VMM_ERR_INTERNAL;
	fd = saved_open__regular(path, O_RDONLY, &st, why, whylen);
	free(path);
	return fd;
}

/* The state and chain of a base at dir: 0, or -2 with why (without dir). */
static int read_base(const char *dir, uint64_t ram_size, struct snap_chain *c, char *why,
		     size_t whylen)
{
	struct vm_saved_config cfg;
	struct snap_reader r;
	uint8_t *state;
	size_t len;
	int fd = open_named(dir, "state", why, whylen), ret;

	if (fd < 0)
		return fd;
	ret = read_fd(fd, STATE_MAX, &state, &len);
	if (ret) {
		set_err(why, whylen, "state: %s", strerror(-ret));
		return ret == -ENOMEM ? -VMM_ERR_INTERNAL : -VMM_ERR_INPUT;
	}
	ret = snap__parse(state, len, &r, why, whylen);
	free(state);
	if (ret)
		return ret;
	ret = vmstate__parse_config(&r, &cfg, why, whylen);
	if (!ret && cfg.ram_size != ram_size) {
		set_err(why, whylen, "has %" PRIu64 " bytes of memory, the increment %" PRIu64,
			cfg.ram_size, ram_size);
		ret = -VMM_ERR_INPUT;
	}
	if (!ret) {
		ret = snapchain__read(&r, ram_size, c, why, whylen);
		if (ret == 1) {
			set_err(why, whylen, "has no snapshot id (an older vmm's)");
			ret = -VMM_ERR_INPUT;
		}
	}
	snap__close(&r);
	return ret;
}

/* The memory file of link i: memory for the full snapshot, memory-incr for an increment. */
static int open_link_memory(const struct snap_link *l, bool named, uint64_t ram_size,
			    char *why, size_t whylen)
{
	const char *file = l->chain.depth ? "memory-incr" : "memory";
	struct stat st;
	int fd;

	if (!named) {
		char *path;

		if (asprintf(&path, "%s/%s", l->dir, file) < 0)
			return -VMM_ERR_INTERNAL;
		fd = vmstate__open_memory(path, ram_size, why, whylen);
		free(path);
		return fd;
	}
	fd = open_named(l->dir, file, why, whylen);
	if (fd < 0) {
		char *w = strdup(why);

		set_err(why, whylen, "%s: %s", file, w ? w : "cannot open it");
		free(w);
	}
	if (fd >= 0 && (fstat(fd, &st) || (uint64_t)st.st_size != ram_size)) {
		set_err(why, whylen, "%s: not %" PRIu64 " bytes", file, ram_size);
		close(fd);
		return -VMM_ERR_INPUT;
	}
	return fd;
}

int snapchain__open_memory(const struct snap_links *links, unsigned i, uint64_t ram_size,
			   char *err, size_t errlen)
{
	char why[512];
	int fd = open_link_memory(&links->link[i], i > 0, ram_size, why, sizeof(why));

	if (fd < 0 && i > 0)
		set_err(err, errlen, "base %s: %s", links->link[i].dir, why);
	else if (fd < 0)
		set_err(err, errlen, "%s", why);
	return fd;
}

/* Where the base may be: the recorded path, then beside dir under its name. */
static char *sibling(const char *dir, const char *base)
{
	const char *name = strrchr(base, '/'), *slash = strrchr(dir, '/');
	char *path;

	name = name ? name + 1 : base;
	if (!*name || !strcmp(name, ".") || !strcmp(name, ".."))
		return NULL;
	if (asprintf(&path, "%.*s/%s", slash ? (int)(slash - dir) : 1, slash ? dir : ".",
		     name) < 0)
		return NULL;
	return path;
}

/* Finds the base of link l as links->link[links->nr]; -2 with err when it cannot. */
static int find_base(const struct snap_link *l, uint64_t ram_size, struct snap_links *links,
		     char *err, size_t errlen)
{
	struct snap_link *b = &links->link[links->nr];
	char *paths[2] = { strdup(l->chain.base_path), sibling(l->dir, l->chain.base_path) };
	char why[512] = "", hex[2 * SNAP_ID_BYTES + 1];
	int ret = -VMM_ERR_INPUT;

	for (unsigned i = 0; i < 2 && ret; i++) {
		char w[512];

		if (!paths[i] || (i && paths[0] && !strcmp(paths[0], paths[i])))
			continue;
		ret = read_base(paths[i], ram_size, &b->chain, w, sizeof(w));
		if (!ret && memcmp(b->chain.id, l->chain.base_id, SNAP_ID_BYTES)) {
			snapchain__id_hex(b->chain.id, hex);
			set_err(w, sizeof(w), "is another snapshot (id %s)", hex);
			snapchain__free(&b->chain);
			ret = -VMM_ERR_INPUT;
		} else if (!ret && b->chain.depth + 1 != l->chain.depth) {
			set_err(w, sizeof(w), "is at depth %" PRIu32 ", not %" PRIu32,
				b->chain.depth, l->chain.depth - 1);
			snapchain__free(&b->chain);
			ret = -VMM_ERR_INPUT;
		}
		if (ret == -VMM_ERR_INTERNAL)
			break;
		if (!ret) {
			b->dir = paths[i];
			paths[i] = NULL;
			links->nr++;
		} else if (!why[0]) {
			snprintf(why, sizeof(why), "%s", w);	/* the recorded path's reason */
		}
	}
	if (ret == -VMM_ERR_INPUT) {
		snapchain__id_hex(l->chain.base_id, hex);
		set_err(err, errlen, "broken chain: base %s (id %s) of %s: %s",
			l->chain.base_path, hex, l->dir, why);
	}
	free(paths[0]);
	free(paths[1]);
	return ret;
}

int snapchain__follow(const struct snap_reader *r, uint64_t ram_size, struct snap_links *links,
		      char *err, size_t errlen)
{
	struct snap_link *l = &links->link[0];
	int ret;

	memset(links, 0, sizeof(*links));
	l->dir = strdup(r->dir ? r->dir : ".");
	if (!l->dir)
		return -VMM_ERR_INTERNAL;
	links->nr = 1;
	ret = snapchain__read(r, ram_size, &l->chain, err, errlen);
	if (ret == 1)
		ret = 0;	/* an older vmm's snapshot: full, without an id */
	while (!ret && links->link[links->nr - 1].chain.depth)
		ret = find_base(&links->link[links->nr - 1], ram_size, links, err, errlen);
	if (ret)
		snapchain__free_links(links);
	return ret;
}

/* ---- laying increments over the full snapshot's memory ---- */

static int read_run(int fd, uint8_t *ram, uint64_t first, uint64_t n)
{
	return read_exact(fd, ram + first * DIRTY_PAGE_SIZE, n * DIRTY_PAGE_SIZE,
			  first * DIRTY_PAGE_SIZE);
}

/* The held pages of one increment, a run of consecutive pages a read. */
static int apply_one(const struct snap_chain *c, int fd, uint8_t *ram)
{
	uint64_t run = 0, start = 0;
	int err = 0;

	for (uint64_t i = 0; !err && i <= c->pages; i++) {
		if (i < c->pages && dirty__test(c->held, i)) {
			start = run ? start : i;
			run++;
			continue;
		}
		if (run)
			err = read_run(fd, ram, start, run);
		run = 0;
	}
	return err;
}

int snapchain__apply(const struct snap_links *links, uint8_t *ram, uint64_t ram_size,
		     char *err, size_t errlen)
{
	for (unsigned i = links->nr - 1; i-- > 0;) {
		const struct snap_link *l = &links->link[i];
		int fd = snapchain__open_memory(links, i, ram_size, err, errlen), ret;

		if (fd < 0)
			return fd;
		ret = apply_one(&l->chain, fd, ram);
		close(fd);
		if (ret) {
			set_err(err, errlen, "%s/memory-incr: cannot read it: %s", l->dir,
				strerror(-ret));
			return -VMM_ERR_INPUT;
		}
	}
	return 0;
}
