/*
 * A newc cpio archive built in memory, for the initramfs of vmm exec.
 * Each entry is a 110-byte ASCII header (magic 070701 and thirteen 8-digit
 * hex fields), the name and its NUL padded to a multiple of 4 bytes, then
 * the data padded to a multiple of 4. The archive ends with an entry named
 * TRAILER!!!.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "vmm/cpio.h"
#include "vmm/util.h"

#define HDR_LEN		110
#define TRAILER		"TRAILER!!!"
/* The trailer's size: every add leaves room for it. */
#define TRAILER_LEN	align_up(HDR_LEN + sizeof(TRAILER), 4)

void cpio__init(struct cpio *c, size_t max_bytes)
{
	memset(c, 0, sizeof(*c));
	c->max = max_bytes;
}

void cpio__free(struct cpio *c)
{
	size_t i;

	for (i = 0; i < c->names_cap; i++)
		free(c->names[i]);
	free(c->names);
	free(c->buf);
	memset(c, 0, sizeof(*c));
}

/*
 * The name as stored: no leading, trailing or repeated '/'. Refuses empty
 * names, '.' and '..' components (an archive that climbs out of the root
 * would be unpacked differently by different tools) and names too long.
 */
static int normalize(const char *name, char *out, char *err, size_t errlen)
{
	size_t n = 0;
	const char *p = name;

	while (*p) {
		const char *end;
		size_t clen;

		while (*p == '/')
			p++;
		if (!*p)
			break;
		end = strchrnul(p, '/');
		clen = (size_t)(end - p);
		if ((clen == 1 && p[0] == '.') || (clen == 2 && p[0] == '.' && p[1] == '.')) {
			set_err(err, errlen, "initramfs name '%s': '.' and '..' are not allowed", name);
			return -EINVAL;
		}
		if (n + !!n + clen > CPIO_NAME_MAX) {
			set_err(err, errlen, "initramfs name '%.64s...': longer than %d bytes",
				name, CPIO_NAME_MAX);
			return -EINVAL;
		}
		if (n)
			out[n++] = '/';
		memcpy(out + n, p, clen);
		n += clen;
		p = end;
	}
	if (!n) {
		set_err(err, errlen, "initramfs name '%s': empty", name);
		return -EINVAL;
	}
	out[n] = 0;
	return 0;
}

/* ---- the set of names added ---- */

static size_t name_hash(const char *s)
{
	size_t h = 14695981039346656037ULL;

	while (*s)
		h = (h ^ (unsigned char)*s++) * 1099511628211ULL;
	return h;
}

/* The slot holding name, or the empty slot where it would go. */
static char **name_slot(char **set, size_t cap, const char *name)
{
	size_t i = name_hash(name) & (cap - 1);

	while (set[i] && strcmp(set[i], name))
		i = (i + 1) & (cap - 1);
	return &set[i];
}

static int names_grow(struct cpio *c)
{
	size_t cap = c->names_cap ? c->names_cap * 2 : 64, i;
	char **set = calloc(cap, sizeof(*set));

	if (!set)
		return -ENOMEM;
	for (i = 0; i < c->names_cap; i++)
		if (c->names[i])
			*name_slot(set, cap, c->names[i]) = c->names[i];
	free(c->names);
	c->names = set;
	c->names_cap = cap;
	return 0;
}

static int name_known(const struct cpio *c, const char *name)
{
	return c->names_cap && *name_slot(c->names, c->names_cap, name);
}

static int name_remember(struct cpio *c, const char *name)
{
	char *copy;

	if (2 * (c->nr_entries + 1) > c->names_cap && names_grow(c))
		return -ENOMEM;
	copy = strdup(name);
	if (!copy)
		return -ENOMEM;
	*name_slot(c->names, c->names_cap, name) = copy;
	return 0;
}

/* ---- the byte stream ---- */

/* Makes room for n more bytes within the limit (keeping the trailer's room). */
static int reserve(struct cpio *c, uint64_t n, const char *name, char *err, size_t errlen)
{
	uint64_t need = (uint64_t)c->len + n + (c->finished ? 0 : TRAILER_LEN);
	size_t cap;
	uint8_t *buf;

	if (need > c->max) {
		set_err(err, errlen, "initramfs: '%s' does not fit in the %zu-byte limit",
			name, c->max);
		return -EFBIG;
	}
	if (c->len + n <= c->cap)
		return 0;
	cap = c->cap ? c->cap : 65536;
	while (cap < c->len + n)
		cap = cap > SIZE_MAX / 2 ? c->len + n : cap * 2;
	buf = realloc(c->buf, cap);
	if (!buf) {
		set_err(err, errlen, "initramfs: out of memory at %zu bytes", c->len);
		return -ENOMEM;
	}
	c->buf = buf;
	c->cap = cap;
	return 0;
}

static void pad4(struct cpio *c)
{
	while (c->len % 4)
		c->buf[c->len++] = 0;
}

/* The room an entry takes: header, name, NUL and data, each part padded. */
static uint64_t entry_len(const char *name, uint64_t size)
{
	return align_up(HDR_LEN + strlen(name) + 1, 4) + align_up(size, 4);
}

/* Writes the header and the padded name of an entry whose data follows. */
static void put_header(struct cpio *c, const char *name, unsigned mode, uint32_t nlink,
		       uint32_t size)
{
	size_t namesize = strlen(name) + 1;
	char hdr[HDR_LEN + 16];

	/* ino, mode, uid, gid, nlink, mtime, filesize, dev major/minor,
	 * rdev major/minor, namesize, check */
	snprintf(hdr, sizeof(hdr),
		 "070701%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X",
		 c->nr_entries + 1, mode, 0, 0, nlink, 0, size, 0, 0, 0, 0, (unsigned)namesize, 0);
	memcpy(c->buf + c->len, hdr, HDR_LEN);
	memcpy(c->buf + c->len + HDR_LEN, name, namesize);
	c->len += HDR_LEN + namesize;
	pad4(c);
}

/* Checks a new entry's name and makes room; *norm gets the stored name. */
static int begin_entry(struct cpio *c, const char *name, uint64_t size, char *norm,
		       char *err, size_t errlen)
{
	int ret;

	if (c->finished) {
		set_err(err, errlen, "initramfs: '%s' added after the trailer", name);
		return -EINVAL;
	}
	ret = normalize(name, norm, err, errlen);
	if (ret)
		return ret;
	if (name_known(c, norm)) {
		set_err(err, errlen, "initramfs: '/%s' added twice", norm);
		return -EEXIST;
	}
	if (c->nr_entries >= CPIO_ENTRIES_MAX - 1) {
		set_err(err, errlen, "initramfs: more than %d entries", CPIO_ENTRIES_MAX - 1);
		return -EFBIG;
	}
	if (size > CPIO_FILE_MAX) {
		set_err(err, errlen, "initramfs: '/%s' is larger than 4 GiB", norm);
		return -EFBIG;
	}
	return reserve(c, entry_len(norm, size), norm, err, errlen);
}

static int end_entry(struct cpio *c, const char *norm, char *err, size_t errlen)
{
	pad4(c);
	c->nr_entries++;
	if (name_remember(c, norm)) {
		set_err(err, errlen, "initramfs: out of memory");
		return -ENOMEM;
	}
	return 0;
}

static int add_parents(struct cpio *c, const char *norm, char *err, size_t errlen)
{
	char dir[CPIO_NAME_MAX + 1];
	char *slash;
	int ret;

	strcpy(dir, norm);
	slash = strrchr(dir, '/');
	if (!slash)
		return 0;
	*slash = 0;
	if (name_known(c, dir))
		return 0;
	ret = cpio__add_dir(c, dir, 0755, err, errlen);
	return ret;
}

int cpio__add_dir(struct cpio *c, const char *name, unsigned perm, char *err, size_t errlen)
{
	char norm[CPIO_NAME_MAX + 1];
	int ret;

	ret = normalize(name, norm, err, errlen);
	if (ret)
		return ret;
	if (name_known(c, norm))
		return 0;
	ret = add_parents(c, norm, err, errlen) ?:
	      begin_entry(c, norm, 0, norm, err, errlen);
	if (ret)
		return ret;
	put_header(c, norm, S_IFDIR | (perm & 07777), 2, 0);
	return end_entry(c, norm, err, errlen);
}

int cpio__add_file(struct cpio *c, const char *name, unsigned perm, const void *data, size_t len,
		   char *err, size_t errlen)
{
	char norm[CPIO_NAME_MAX + 1];
	int ret;

	ret = normalize(name, norm, err, errlen) ?:
	      add_parents(c, norm, err, errlen) ?:
	      begin_entry(c, norm, len, norm, err, errlen);
	if (ret)
		return ret;
	put_header(c, norm, S_IFREG | (perm & 07777), 1, (uint32_t)len);
	if (len)
		memcpy(c->buf + c->len, data, len);
	c->len += len;
	return end_entry(c, norm, err, errlen);
}

int cpio__add_symlink(struct cpio *c, const char *name, const char *target,
		      char *err, size_t errlen)
{
	char norm[CPIO_NAME_MAX + 1];
	size_t len = strlen(target);
	int ret;

	if (!len || len > CPIO_NAME_MAX) {
		set_err(err, errlen, "initramfs: symlink '%s': target empty or too long", name);
		return -EINVAL;
	}
	ret = normalize(name, norm, err, errlen) ?:
	      add_parents(c, norm, err, errlen) ?:
	      begin_entry(c, norm, len, norm, err, errlen);
	if (ret)
		return ret;
	put_header(c, norm, S_IFLNK | 0777, 1, (uint32_t)len);
	memcpy(c->buf + c->len, target, len);
	c->len += len;
	return end_entry(c, norm, err, errlen);
}

/* Reads exactly len bytes of fd into the archive. */
static int read_into(struct cpio *c, int fd, size_t len)
{
	size_t done = 0;

	while (done < len) {
		ssize_t n = read(fd, c->buf + c->len + done, len - done);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			return -EIO;	/* the file shrank while we read it */
		done += (size_t)n;
	}
	c->len += len;
	return 0;
}

int cpio__add_host_file(struct cpio *c, const char *name, const char *host_path,
			char *err, size_t errlen)
{
	char norm[CPIO_NAME_MAX + 1];
	struct stat st;
	int fd, ret;

	fd = open(host_path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		ret = -errno;
		set_err(err, errlen, "%s: %s", host_path, strerror(-ret));
		return ret;
	}
	if (fstat(fd, &st) < 0) {
		ret = -errno;
		set_err(err, errlen, "%s: %s", host_path, strerror(-ret));
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		ret = S_ISDIR(st.st_mode) ? -EISDIR : -EINVAL;
		set_err(err, errlen, "%s: not a regular file", host_path);
		goto out;
	}
	ret = normalize(name, norm, err, errlen) ?:
	      add_parents(c, norm, err, errlen) ?:
	      begin_entry(c, norm, (uint64_t)st.st_size, norm, err, errlen);
	if (ret)
		goto out;
	put_header(c, norm, S_IFREG | (st.st_mode & 07777), 1, (uint32_t)st.st_size);
	ret = read_into(c, fd, (size_t)st.st_size);
	if (ret) {
		set_err(err, errlen, "%s: %s", host_path, strerror(-ret));
		goto out;
	}
	ret = end_entry(c, norm, err, errlen);
out:
	close(fd);
	return ret;
}

int cpio__finish(struct cpio *c, char *err, size_t errlen)
{
	int ret;

	if (c->finished) {
		set_err(err, errlen, "initramfs: finished twice");
		return -EINVAL;
	}
	c->finished = 1;
	/* Room was kept for it, so this cannot pass the limit. */
	ret = reserve(c, TRAILER_LEN, TRAILER, err, errlen);
	if (ret)
		return ret;
	put_header(c, TRAILER, 0, 1, 0);
	return 0;
}
