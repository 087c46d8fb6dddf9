/*
 * The snapshot container (docs/snapshot.md): a directory holding "state"
 * (a header and CRC-checked sections) and "memory" (guest RAM, sparse).
 *
 * Writing goes to a temporary directory beside the final one and ends with
 * a rename, so a snapshot is either complete or absent. Reading treats the
 * state file as untrusted: every length is checked against what is left of
 * the file before it is used, and every failure is one line naming the
 * section.
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
#include <zlib.h>

#include "vmm/memsave.h"
#include "vmm/persist.h"
#include "vmm/snapshot.h"
#include "vmm/util.h"

/* The magic names the format, then the architecture the state belongs to. */
#define SNAP_MAGIC		"VMMSNAP\0"
#define SNAP_ARCH		"ARM64\0\0\0"
#define MAGIC_LEN		8
#define ARCH_LEN		8

#define HEADER_SIZE		SNAP_HEADER_SIZE	/* magic, arch, major, minor, count, crc */
#define SEC_HEADER_SIZE		SNAP_SEC_HEADER_SIZE	/* id, instance, version, 0, length, 2 crcs */
#define SEC_HEADER_CRC_LEN	24	/* the bytes the section header CRC covers */
#define SEC_ALIGN		8

#define SNAP_MAX_SECTIONS	4096
#define SNAP_STATE_MAX		(256 * SZ_1M)
#define SNAP_PAGE		SZ_4K

#define STATE_FILE		"state"
#define MEMORY_FILE		"memory"
#define MEMORY_INCR_FILE	"memory-incr"

uint32_t snap__crc(const void *data, size_t n)
{
	const uint8_t *p = data;
	uLong c = crc32(0L, Z_NULL, 0);

	while (n) {
		uInt chunk = n > (1u << 30) ? (1u << 30) : (uInt)n;

		c = crc32(c, p, chunk);
		p += chunk;
		n -= chunk;
	}
	return (uint32_t)c;
}


size_t snap__pad_len(uint64_t len)
{
	return (SEC_ALIGN - len % SEC_ALIGN) % SEC_ALIGN;
}

/* The sections this vmm knows: name, the version it writes, the oldest it reads. */
static const struct {
	uint32_t id;
	const char *name;
	uint32_t version, oldest;
} known[] = {
	{ SNAP_SEC_CONFIG, "config", SNAP_VER_CONFIG, 1 },
	{ SNAP_SEC_HOST, "host", SNAP_VER_HOST, 1 },
	{ SNAP_SEC_VCPU, "vcpu", SNAP_VER_VCPU, 1 },
	{ SNAP_SEC_GIC, "gic", SNAP_VER_GIC, 1 },
	{ SNAP_SEC_DEVICE, "device", SNAP_VER_DEVICE, 1 },
	{ SNAP_SEC_MEMORY, "memory", SNAP_VER_MEMORY, 1 },
	{ SNAP_SEC_DEVICES, "devices", SNAP_VER_DEVICES, 1 },
	{ SNAP_SEC_CPU_PLAN, "cpu plan", SNAP_VER_CPU_PLAN, 1 },
	{ SNAP_SEC_CHAIN, "chain", SNAP_VER_CHAIN, 1 },
};

static int known_index(uint32_t id)
{
	for (size_t i = 0; i < ARRAY_SIZE(known); i++)
		if (known[i].id == id)
			return (int)i;
	return -1;
}

static const char *known_name(uint32_t id)
{
	int i = known_index(id);

	return i < 0 ? NULL : known[i].name;
}

const char *snap__section_name(uint32_t id)
{
	const char *name = known_name(id);

	return name ? name : "unknown";
}

/* ---- writing ---- */

struct snap_key {
	uint32_t id, instance;
};

struct snap_writer {
	char *name;		/* the final directory's name in its parent */
	char *tmp_name;		/* the temporary directory's name in the parent */
	int parent_fd;
	int tmp_fd;
	bool renamed;		/* tmp_name is now name */
	struct pbuf sections;	/* every section, encoded, after the header */
	struct snap_key *keys;	/* (id, instance) of each section */
	unsigned nr_sections;
	bool has_memory;
};

/*
 * Splits dir into its parent ("." if none) and its last component, which
 * must name something: not empty, ".", "..".
 */
static int split_dir(const char *dir, char **parent, char **name)
{
	size_t n = strlen(dir);
	char *copy, *slash, *p, *base;

	while (n > 1 && dir[n - 1] == '/')
		n--;
	copy = strndup(dir, n);
	if (!copy)
		return -ENOMEM;
	slash = strrchr(copy, '/');
	if (slash)
		*slash = '\0';
	p = strdup(!slash ? "." : slash == copy ? "/" : copy);
	base = strdup(slash ? slash + 1 : copy);
	free(copy);
	if (!p || !base || !*base || !strcmp(base, ".") || !strcmp(base, "..")) {
		free(p);
		free(base);
		return p && base ? -EINVAL : -ENOMEM;
	}
	*parent = p;
	*name = base;
	return 0;
}

/* 0 if name does not exist in dir_fd, -EEXIST if it does, or -errno. */
static int check_absent(int dir_fd, const char *name)
{
	struct stat st;

	if (!fstatat(dir_fd, name, &st, AT_SYMLINK_NOFOLLOW))
		return -EEXIST;
	return errno == ENOENT ? 0 : -errno;
}

/* Creates ".NAME.tmp-XXXXXX" in parent and opens it. */
static int make_tmp_dir(struct snap_writer *w, const char *parent)
{
	char *path, *base;

	if (asprintf(&path, "%s/.%s.tmp-XXXXXX", parent, w->name) < 0)
		return -ENOMEM;
	if (!mkdtemp(path)) {
		free(path);
		return -errno;
	}
	base = strrchr(path, '/') + 1;
	w->tmp_name = strdup(base);
	if (!w->tmp_name) {
		rmdir(path);
		free(path);
		return -ENOMEM;
	}
	free(path);
	w->tmp_fd = openat(w->parent_fd, w->tmp_name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (w->tmp_fd < 0) {
		int err = -errno;

		unlinkat(w->parent_fd, w->tmp_name, AT_REMOVEDIR);
		return err;
	}
	return 0;
}

static void writer_free(struct snap_writer *w)
{
	if (w->tmp_fd >= 0)
		close(w->tmp_fd);
	if (w->parent_fd >= 0)
		close(w->parent_fd);
	pbuf__free(&w->sections);
	free(w->keys);
	free(w->tmp_name);
	free(w->name);
	free(w);
}

/* Removes what this writer created: its files, then its directory. */
static void remove_tmp(struct snap_writer *w)
{
	if (w->tmp_fd < 0)
		return;
	unlinkat(w->tmp_fd, STATE_FILE, 0);
	unlinkat(w->tmp_fd, MEMORY_FILE, 0);
	unlinkat(w->parent_fd, w->renamed ? w->name : w->tmp_name, AT_REMOVEDIR);
}

static int begin(struct snap_writer *w, const char *dir)
{
	char *parent;
	int err;

	err = split_dir(dir, &parent, &w->name);
	if (err)
		return err;
	w->parent_fd = open(parent, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (w->parent_fd < 0) {
		err = -errno;
		goto out;
	}
	err = check_absent(w->parent_fd, w->name);
	if (err)
		goto out;
	w->keys = calloc(SNAP_MAX_SECTIONS, sizeof(*w->keys));
	if (!w->keys) {
		err = -ENOMEM;
		goto out;
	}
	err = make_tmp_dir(w, parent);
out:
	free(parent);
	return err;
}

int snap__begin(const char *dir, struct snap_writer **wp)
{
	struct snap_writer *w;
	int err;

	*wp = NULL;
	w = calloc(1, sizeof(*w));
	if (!w)
		return -ENOMEM;
	w->parent_fd = -1;
	w->tmp_fd = -1;
	pbuf__init(&w->sections);
	err = begin(w, dir);
	if (err) {
		writer_free(w);
		return err;
	}
	*wp = w;
	return 0;
}

int snap__begin_memory(struct snap_writer **wp)
{
	struct snap_writer *w = calloc(1, sizeof(*w));

	*wp = NULL;
	if (!w)
		return -ENOMEM;
	w->parent_fd = -1;
	w->tmp_fd = -1;
	pbuf__init(&w->sections);
	w->keys = calloc(SNAP_MAX_SECTIONS, sizeof(*w->keys));
	if (!w->keys) {
		writer_free(w);
		return -ENOMEM;
	}
	*wp = w;
	return 0;
}

const uint8_t *snap__sections(const struct snap_writer *w, size_t *len, unsigned *nr)
{
	*len = w->sections.len;
	*nr = w->nr_sections;
	return w->sections.data;
}

int snap__add(struct snap_writer *w, uint32_t id, uint32_t instance, uint32_t version,
	      const void *data, size_t len)
{
	static const uint8_t zeros[SEC_ALIGN];
	uint8_t hdr[SNAP_SEC_HEADER_SIZE];
	size_t start = w->sections.len;
	unsigned i;

	if (len && !data)
		return -EINVAL;
	if (w->sections.failed)
		return -ENOMEM;
	if (w->nr_sections >= SNAP_MAX_SECTIONS)
		return -E2BIG;
	if (len > SNAP_STATE_MAX ||
	    HEADER_SIZE + start + SEC_HEADER_SIZE + len + snap__pad_len(len) > SNAP_STATE_MAX)
		return -EFBIG;
	for (i = 0; i < w->nr_sections; i++)
		if (w->keys[i].id == id && w->keys[i].instance == instance)
			return -EINVAL;	/* not -EEXIST, which means DIR exists */

	snap__section_header(hdr, id, instance, version, data, len);
	pbuf__put_bytes(&w->sections, hdr, sizeof(hdr));
	pbuf__put_bytes(&w->sections, data, len);
	pbuf__put_bytes(&w->sections, zeros, snap__pad_len(len));
	if (w->sections.failed)
		return -ENOMEM;
	w->keys[w->nr_sections].id = id;
	w->keys[w->nr_sections].instance = instance;
	w->nr_sections++;
	return 0;
}

static int pwrite_full(int fd, const uint8_t *p, size_t n, off_t off)
{
	while (n) {
		ssize_t done = pwrite(fd, p, n, off);

		if (done < 0 && errno == EINTR)
			continue;
		if (done < 0)
			return -errno;
		if (!done)
			return -EIO;
		p += done;
		n -= done;
		off += done;
	}
	return 0;
}

int snap__write_memory_pages(struct snap_writer *w, const void *ram, uint64_t size,
			     const uint64_t *held, struct memsave_stats *stats)
{
	const char *name = held ? MEMORY_INCR_FILE : MEMORY_FILE;
	int fd, err;

	if (w->tmp_fd < 0 || w->has_memory || size % SNAP_PAGE || (size && !ram) || size > INT64_MAX)
		return -EINVAL;
	fd = openat(w->tmp_fd, name, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0)
		return -errno;
	err = memsave__write_pages(fd, ram, size, held, stats);
	if (!err && fsync(fd))
		err = -errno;
	if (close(fd) && !err)
		err = -errno;
	if (err)
		unlinkat(w->tmp_fd, name, 0);
	else
		w->has_memory = true;
	return err;
}

void snap__section_header(uint8_t out[SNAP_SEC_HEADER_SIZE], uint32_t id, uint32_t instance,
			  uint32_t version, const void *data, uint64_t len)
{
	put_le(out, id, 4);
	put_le(out + 4, instance, 4);
	put_le(out + 8, version, 4);
	put_le(out + 12, 0, 4);
	put_le(out + 16, len, 8);
	put_le(out + 24, snap__crc(data, len), 4);
	put_le(out + 28, snap__crc(out, SEC_HEADER_CRC_LEN), 4);
}

bool snap__read_section_header(const uint8_t in[SNAP_SEC_HEADER_SIZE], struct snap_section *s,
			       uint64_t *len, uint32_t *payload_crc)
{
	s->id = (uint32_t)get_le(in, 4);
	s->instance = (uint32_t)get_le(in + 4, 4);
	s->version = (uint32_t)get_le(in + 8, 4);
	*len = get_le(in + 16, 8);
	*payload_crc = (uint32_t)get_le(in + 24, 4);
	return snap__crc(in, SEC_HEADER_CRC_LEN) == (uint32_t)get_le(in + 28, 4);
}

int snap__write_memory(struct snap_writer *w, const void *ram, uint64_t size,
		       struct memsave_stats *stats)
{
	return snap__write_memory_pages(w, ram, size, NULL, stats);
}

void snap__state_header(uint8_t out[SNAP_HEADER_SIZE], unsigned nr_sections)
{
	memcpy(out, SNAP_MAGIC, MAGIC_LEN);
	memcpy(out + MAGIC_LEN, SNAP_ARCH, ARCH_LEN);
	put_le(out + 16, SNAP_FORMAT_MAJOR, 4);
	put_le(out + 20, SNAP_FORMAT_MINOR, 4);
	put_le(out + 24, nr_sections, 4);
	put_le(out + 28, snap__crc(out, HEADER_SIZE - 4), 4);
}

static int write_state(struct snap_writer *w)
{
	uint8_t header[HEADER_SIZE];
	int fd, err;

	if (w->sections.failed)
		return -ENOMEM;
	snap__state_header(header, w->nr_sections);
	fd = openat(w->tmp_fd, STATE_FILE, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0)
		return -errno;
	err = pwrite_full(fd, header, HEADER_SIZE, 0);
	if (!err && w->sections.len)
		err = pwrite_full(fd, w->sections.data, w->sections.len, HEADER_SIZE);
	if (!err && fsync(fd))
		err = -errno;
	if (close(fd) && !err)
		err = -errno;
	return err;
}

/*
 * Renames the temporary directory to its final name, never over anything:
 * RENAME_NOREPLACE where the file system has it, else a check just before
 * a plain rename (which would replace an empty directory).
 */
static int publish(struct snap_writer *w)
{
	int err;

	if (!renameat2(w->parent_fd, w->tmp_name, w->parent_fd, w->name, RENAME_NOREPLACE))
		goto renamed;
	if (errno != EINVAL && errno != ENOSYS)
		return -errno;
	err = check_absent(w->parent_fd, w->name);
	if (err)
		return err;
	if (renameat(w->parent_fd, w->tmp_name, w->parent_fd, w->name))
		return -errno;
renamed:
	w->renamed = true;
	return fsync(w->parent_fd) ? -errno : 0;
}

int snap__commit(struct snap_writer *w)
{
	int err;

	err = w->tmp_fd < 0 ? -EINVAL : write_state(w);
	if (!err && fsync(w->tmp_fd))
		err = -errno;
	if (!err)
		err = publish(w);
	if (err)
		remove_tmp(w);
	writer_free(w);
	return err;
}

void snap__abort(struct snap_writer *w)
{
	if (!w)
		return;
	remove_tmp(w);
	writer_free(w);
}

/* ---- reading ---- */

struct parser {
	const uint8_t *buf;
	size_t len;
	struct snap_reader *r;
	char *err;
	size_t errlen;
};

static int __printf(2, 3) bad(struct parser *p, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (!p->err || !p->errlen)
		return -VMM_ERR_INPUT;
	n = snprintf(p->err, p->errlen, "state: ");
	if (n >= 0 && (size_t)n < p->errlen) {
		va_start(ap, fmt);
		vsnprintf(p->err + n, p->errlen - n, fmt, ap);
		va_end(ap);
	}
	return -VMM_ERR_INPUT;
}

/* "section 3 (vcpu 1)" or "section 3 (id 99, instance 0)". */
static void label(char *out, size_t n, unsigned idx, uint32_t id, uint32_t instance)
{
	const char *name = known_name(id);

	if (name)
		snprintf(out, n, "section %u (%s %" PRIu32 ")", idx, name, instance);
	else
		snprintf(out, n, "section %u (id %" PRIu32 ", instance %" PRIu32 ")", idx, id,
			 instance);
}

/* The architecture in a header (n of its bytes), printable, for a message. */
static void arch_name(char out[ARCH_LEN + 1], const uint8_t *arch, size_t n)
{
	size_t i;

	for (i = 0; i < n && arch[i]; i++)
		out[i] = arch[i] >= 0x20 && arch[i] < 0x7f ? arch[i] : '?';
	out[i] = '\0';
}

static int parse_header(struct parser *p, uint32_t *nr_sections)
{
	char arch[ARCH_LEN + 1];
	uint32_t major, minor, hcrc;
	struct preader pr;
	size_t n;

	if (!p->len)
		return bad(p, "empty file, not a vmm snapshot");
	if (memcmp(p->buf, SNAP_MAGIC, p->len < MAGIC_LEN ? p->len : MAGIC_LEN))
		return bad(p, "not a vmm snapshot (bad magic)");
	n = 0;
	if (p->len > MAGIC_LEN)
		n = p->len - MAGIC_LEN < ARCH_LEN ? p->len - MAGIC_LEN : ARCH_LEN;
	if (n && memcmp(p->buf + MAGIC_LEN, SNAP_ARCH, n)) {
		arch_name(arch, p->buf + MAGIC_LEN, n);
		return bad(p, "a snapshot of another architecture (\"%s\"; this vmm is ARM64)",
			   arch);
	}
	if (p->len < HEADER_SIZE)
		return bad(p, "header: truncated: the file is %zu bytes, the header %u",
			   p->len, HEADER_SIZE);

	preader__init(&pr, p->buf + MAGIC_LEN + ARCH_LEN, HEADER_SIZE - MAGIC_LEN - ARCH_LEN);
	major = preader__get_u32(&pr);
	minor = preader__get_u32(&pr);
	*nr_sections = preader__get_u32(&pr);
	hcrc = preader__get_u32(&pr);
	if (snap__crc(p->buf, HEADER_SIZE - 4) != hcrc) {
		if (major != SNAP_FORMAT_MAJOR)
			return bad(p, "header: CRC mismatch (it reads format %" PRIu32 ".%" PRIu32
				   "; this vmm reads %u.x)", major, minor, SNAP_FORMAT_MAJOR);
		return bad(p, "header: CRC mismatch");
	}
	if (major != SNAP_FORMAT_MAJOR)
		return bad(p, "format %" PRIu32 ".%" PRIu32 ", this vmm reads %u.x", major, minor,
			   SNAP_FORMAT_MAJOR);
	if (*nr_sections > SNAP_MAX_SECTIONS)
		return bad(p, "header: %" PRIu32 " sections, more than the limit of %u",
			   *nr_sections, SNAP_MAX_SECTIONS);
	p->r->major = major;
	p->r->minor = minor;
	return 0;
}

static bool all_zero(const uint8_t *p, size_t n)
{
	while (n--)
		if (*p++)
			return false;
	return true;
}

/* Parses section idx at *off, checks it and adds it to the reader. */
static int parse_section(struct parser *p, unsigned idx, uint32_t nr_sections, size_t *off)
{
	size_t left = p->len - *off;
	const uint8_t *hdr = p->buf + *off;
	struct snap_section *s = &p->r->sections[idx];
	uint32_t pcrc, hcrc;
	struct preader pr;
	uint64_t len;
	char name[64];
	unsigned i;

	if (!left)
		return bad(p, "section %u: missing: the file ends after %u of the %" PRIu32
			   " sections its header counts", idx, idx, nr_sections);
	if (left < 8)
		return bad(p, "section %u: truncated: the file ends %zu bytes into its header",
			   idx, left);
	preader__init(&pr, hdr, left < SEC_HEADER_SIZE ? left : SEC_HEADER_SIZE);
	s->id = preader__get_u32(&pr);
	s->instance = preader__get_u32(&pr);
	label(name, sizeof(name), idx, s->id, s->instance);
	if (left < SEC_HEADER_SIZE)
		return bad(p, "%s: truncated: the file ends %zu bytes into its %u-byte header",
			   name, left, SEC_HEADER_SIZE);
	s->version = preader__get_u32(&pr);
	preader__get_u32(&pr);	/* reserved: written as 0, ignored */
	len = preader__get_u64(&pr);
	pcrc = preader__get_u32(&pr);
	hcrc = preader__get_u32(&pr);
	if (snap__crc(hdr, SEC_HEADER_CRC_LEN) != hcrc)
		return bad(p, "%s: header CRC mismatch", name);

	left -= SEC_HEADER_SIZE;
	if (len > left)
		return bad(p, "%s: truncated or a bad length: the payload is %" PRIu64
			   " bytes, the file has %zu left", name, len, left);
	if (snap__pad_len(len) > left - len)
		return bad(p, "%s: truncated: the file ends in the padding after the payload",
			   name);
	s->data = hdr + SEC_HEADER_SIZE;
	s->len = len;
	if (snap__crc(s->data, s->len) != pcrc)
		return bad(p, "%s: payload CRC mismatch", name);
	if (!all_zero(s->data + s->len, snap__pad_len(len)))
		return bad(p, "%s: the padding after the payload is not zero", name);
	for (i = 0; i < idx; i++) {
		const struct snap_section *o = &p->r->sections[i];

		if (o->id == s->id && o->instance == s->instance)
			return bad(p, "%s: duplicate of section %u", name, i);
	}
	*off += SEC_HEADER_SIZE + s->len + snap__pad_len(len);
	return 0;
}

/* After the last section: nothing, else say whether a section follows. */
static int check_end(struct parser *p, uint32_t nr_sections, size_t off)
{
	size_t left = p->len - off;
	const uint8_t *hdr = p->buf + off;

	if (!left)
		return 0;
	if (left >= SEC_HEADER_SIZE &&
	    snap__crc(hdr, SEC_HEADER_CRC_LEN) == (uint32_t)get_le(hdr + SEC_HEADER_CRC_LEN + 4, 4))
		return bad(p, "section count mismatch: the header counts %" PRIu32
			   " sections, but another follows at offset %zu", nr_sections, off);
	return bad(p, "%zu bytes of trailing garbage after the last section (offset %zu)",
		   left, off);
}

static int parse(struct parser *p)
{
	struct snap_reader *r = p->r;
	uint32_t nr_sections = 0;
	size_t off = HEADER_SIZE;
	unsigned i;
	int err;

	if (p->len > SNAP_STATE_MAX)
		return bad(p, "the file is %zu bytes, more than the limit of %llu MiB", p->len,
			   SNAP_STATE_MAX / SZ_1M);
	err = parse_header(p, &nr_sections);
	if (err)
		return err;
	r->sections = calloc(nr_sections ? nr_sections : 1, sizeof(*r->sections));
	if (!r->sections)
		return -VMM_ERR_INTERNAL;
	for (i = 0; i < nr_sections; i++) {
		err = parse_section(p, i, nr_sections, &off);
		if (err)
			return err;
	}
	r->nr_sections = nr_sections;
	return check_end(p, nr_sections, off);
}

/* Parses state (len bytes), which the reader then owns, even on failure. */
static int parse_owned(uint8_t *state, size_t len, struct snap_reader *r, char *err,
		       size_t errlen)
{
	struct parser p = {
		.buf = state, .len = len, .r = r, .err = err, .errlen = errlen,
	};
	int ret;

	r->state = state;
	r->state_len = len;
	ret = parse(&p);
	if (ret)
		snap__close(r);
	return ret;
}

int snap__parse(const uint8_t *state, size_t len, struct snap_reader *r, char *err,
		size_t errlen)
{
	struct parser p = { .len = len, .r = r, .err = err, .errlen = errlen };
	uint8_t *copy;

	memset(r, 0, sizeof(*r));
	if (err && errlen)
		err[0] = '\0';
	if (len > SNAP_STATE_MAX)
		return parse(&p);	/* refuses it before reading a byte */
	copy = malloc(len ? len : 1);
	if (!copy)
		return -VMM_ERR_INTERNAL;
	if (len)
		memcpy(copy, state, len);
	return parse_owned(copy, len, r, err, errlen);
}

int snap__open(const char *dir, struct snap_reader *r, char *err, size_t errlen)
{
	struct parser p = { .r = r, .err = err, .errlen = errlen };
	uint8_t *state;
	size_t len;
	char *path;
	int ret;

	memset(r, 0, sizeof(*r));
	if (err && errlen)
		err[0] = '\0';
	if (asprintf(&path, "%s/" STATE_FILE, dir) < 0)
		return -VMM_ERR_INTERNAL;
	/* Never through a symlink, never blocking on a FIFO; checked on the fd. */
	ret = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY);
	ret = ret < 0 ? -errno : read_fd(ret, SNAP_STATE_MAX, &state, &len);
	if (ret == -ENOMEM) {
		free(path);
		return -VMM_ERR_INTERNAL;
	}
	if (ret == -EFBIG)
		ret = bad(&p, "%s is larger than the limit of %llu MiB", path,
			  SNAP_STATE_MAX / SZ_1M);
	else if (ret == -ELOOP)
		ret = bad(&p, "%s is a symlink", path);
	else if (ret == -EINVAL)
		ret = bad(&p, "%s is not a regular file", path);
	else if (ret)
		ret = bad(&p, "cannot read %s: %s", path, strerror(-ret));
	free(path);
	if (ret)
		return ret;
	ret = parse_owned(state, len, r, err, errlen);
	if (ret)
		return ret;
	r->dir = strdup(dir);
	if (!r->dir) {
		snap__close(r);
		return -VMM_ERR_INTERNAL;
	}
	return 0;
}

const struct snap_section *snap__find(const struct snap_reader *r, uint32_t id,
				      uint32_t instance)
{
	unsigned i;

	for (i = 0; i < r->nr_sections; i++)
		if (r->sections[i].id == id && r->sections[i].instance == instance)
			return &r->sections[i];
	return NULL;
}

int snap__check_versions(const struct snap_reader *r, char *err, size_t errlen)
{
	struct parser p = { .err = err, .errlen = errlen };

	for (unsigned i = 0; i < r->nr_sections; i++) {
		const struct snap_section *s = &r->sections[i];
		int k = known_index(s->id);
		char name[64];

		if (k < 0 || (s->version >= known[k].oldest && s->version <= known[k].version))
			continue;
		label(name, sizeof(name), i, s->id, s->instance);
		if (known[k].oldest == known[k].version)
			return bad(&p, "%s: version %" PRIu32 ", this vmm reads version %" PRIu32,
				   name, s->version, known[k].version);
		return bad(&p, "%s: version %" PRIu32 ", this vmm reads versions %" PRIu32
			   " to %" PRIu32, name, s->version, known[k].oldest, known[k].version);
	}
	return 0;
}

void snap__close(struct snap_reader *r)
{
	free(r->dir);
	free(r->state);
	free(r->sections);
	memset(r, 0, sizeof(*r));
}

char *snap__memory_path(const char *dir)
{
	char *path;

	if (asprintf(&path, "%s/" MEMORY_FILE, dir) < 0)
		return NULL;
	return path;
}

char *snap__memory_incr_path(const char *dir)
{
	char *path;

	if (asprintf(&path, "%s/" MEMORY_INCR_FILE, dir) < 0)
		return NULL;
	return path;
}
