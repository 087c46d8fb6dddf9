/*
 * Finds what a program needs to run in vmm exec's guest, the way a shell
 * and the glibc loader would on the host: PATH lookup, then PT_INTERP and
 * each DT_NEEDED library through DT_RPATH / DT_RUNPATH, /etc/ld.so.cache,
 * the directories of /etc/ld.so.conf and the default directories. Every
 * path is walked component by component under the sysroot, so each
 * symbolic link met on the way is recorded and packed as a link.
 *
 * Simplifications against glibc: DT_RPATH is that of the object and of the
 * executable (not the whole chain of loaders); $LIB and $PLATFORM in a
 * search path are not expanded (those directories are skipped);
 * LD_LIBRARY_PATH is not used; hwcaps subdirectories are only found
 * through ld.so.cache.
 */
#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "vmm/cpio.h"
#include "vmm/elfdeps.h"
#include "vmm/util.h"

#define DEFAULT_PATH	"/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
#define LINKS_MAX	40	/* symbolic links followed for one path, as Linux */
#define CONF_DEPTH_MAX	8	/* nested ld.so.conf includes */
#define CACHE_MAX	(64u << 20)
#define ELF_FILE_MAX	(1ull << 31)

static const char *const default_dirs[] = {
	"/lib/aarch64-linux-gnu", "/usr/lib/aarch64-linux-gnu", "/lib", "/usr/lib",
};

/* ---- ld.so.cache ---- */

enum {
	CACHE_HDR_LEN = 48, CACHE_ENTRY_LEN = 24,
	CACHE_AARCH64_LIBC6 = 0x0a03,	/* FLAG_AARCH64_LIB64 | FLAG_ELF_LIBC6 */
};

/* The NUL-terminated string at off in the cache, or NULL. */
static const char *cache_string(const uint8_t *cache, size_t len, uint64_t off)
{
	if (off >= len || !memchr(cache + off, 0, len - off))
		return NULL;
	return (const char *)cache + off;
}

const char *ldcache__lookup(const uint8_t *cache, size_t len, const char *name)
{
	static const char magic[] = "glibc-ld.so.cache1.1";
	uint64_t nlibs, i;

	if (!cache || len < CACHE_HDR_LEN || memcmp(cache, magic, sizeof(magic) - 1))
		return NULL;
	nlibs = get_le(cache + 20, 4);
	if (nlibs > (len - CACHE_HDR_LEN) / CACHE_ENTRY_LEN)
		return NULL;
	for (i = 0; i < nlibs; i++) {
		const uint8_t *e = cache + CACHE_HDR_LEN + i * CACHE_ENTRY_LEN;
		const char *key, *value;

		if (get_le(e, 4) != CACHE_AARCH64_LIBC6)
			continue;
		key = cache_string(cache, len, get_le(e + 4, 4));
		value = cache_string(cache, len, get_le(e + 8, 4));
		if (key && value && !strcmp(key, name))
			return value;
	}
	return NULL;
}

/* ---- paths under the sysroot ---- */

static int host_path(const struct elfdeps *d, const char *guest, char *out)
{
	if ((size_t)snprintf(out, PATH_MAX, "%s%s", d->sysroot, guest) >= PATH_MAX)
		return -ENAMETOOLONG;
	return 0;
}

static struct elfdeps_entry *find_entry(const struct elfdeps *d, const char *path)
{
	size_t i;

	for (i = 0; i < d->nr; i++)
		if (!strcmp(d->entries[i].path, path))
			return &d->entries[i];
	return NULL;
}

static int add_entry(struct elfdeps *d, const char *path, const char *link,
		     char *err, size_t errlen)
{
	struct elfdeps_entry *e;

	if (find_entry(d, path))
		return 0;
	if (d->nr >= ELFDEPS_OBJECTS_MAX) {
		set_err(err, errlen, "%s: more than %d files and links to pack", path,
			ELFDEPS_OBJECTS_MAX);
		return -E2BIG;
	}
	if (d->nr == d->cap) {
		size_t cap = d->cap ? 2 * d->cap : 32;

		e = realloc(d->entries, cap * sizeof(*e));
		if (!e)
			return -ENOMEM;
		d->entries = e;
		d->cap = cap;
	}
	e = &d->entries[d->nr];
	e->path = strdup(path);
	e->link = link ? strdup(link) : NULL;
	if (!e->path || (link && !e->link)) {
		free(e->path);
		free(e->link);
		return -ENOMEM;
	}
	d->nr++;
	return 0;
}

/*
 * Walks the absolute guest path under the sysroot, component by component,
 * following symbolic links (recorded as entries when record is set); canon
 * gets the path with no link left in it. Returns 0 or -errno.
 */
static int walk(struct elfdeps *d, const char *path, bool record, char *canon,
		char *err, size_t errlen)
{
	char rest[2 * PATH_MAX], tmp[2 * PATH_MAX], cand[PATH_MAX], host[PATH_MAX], target[PATH_MAX];
	const char *p = rest;
	size_t clen = 0;
	int links = 0, ret;

	if (path[0] != '/' || strlen(path) >= PATH_MAX)
		return -EINVAL;
	strcpy(rest, path);
	canon[0] = 0;
	for (;;) {
		const char *end;
		size_t len;
		struct stat st;
		ssize_t n;

		while (*p == '/')
			p++;
		if (!*p)
			break;
		end = strchrnul(p, '/');
		len = (size_t)(end - p);
		if (len == 1 && p[0] == '.') {
			p = end;
			continue;
		}
		if (len == 2 && p[0] == '.' && p[1] == '.') {
			while (clen && canon[--clen] != '/')
				;
			canon[clen] = 0;
			p = end;
			continue;
		}
		if (clen + 1 + len >= PATH_MAX)
			return -ENAMETOOLONG;
		memcpy(cand, canon, clen);
		cand[clen] = '/';
		memcpy(cand + clen + 1, p, len);
		cand[clen + 1 + len] = 0;
		ret = host_path(d, cand, host);
		if (ret)
			return ret;
		if (lstat(host, &st) < 0)
			return -errno;
		if (!S_ISLNK(st.st_mode)) {
			if (end[strspn(end, "/")] && !S_ISDIR(st.st_mode))
				return -ENOTDIR;
			strcpy(canon, cand);
			clen += 1 + len;
			p = end;
			continue;
		}
		if (++links > LINKS_MAX)
			return -ELOOP;
		n = readlink(host, target, sizeof(target) - 1);
		if (n <= 0)
			return n < 0 ? -errno : -ENOENT;
		target[n] = 0;
		if (record) {
			ret = add_entry(d, cand, target, err, errlen);
			if (ret)
				return ret;
		}
		if ((size_t)snprintf(tmp, sizeof(tmp), "%s/%s", target, end) >= sizeof(tmp))
			return -ENAMETOOLONG;
		strcpy(rest, tmp);
		p = rest;
		if (target[0] == '/')
			clen = 0;
		canon[clen] = 0;
	}
	if (!clen)
		strcpy(canon, "/");
	return 0;
}

/* ---- one object ---- */

struct mapped {
	const uint8_t *p;
	size_t len;
	mode_t mode;
};

static int map_file(const struct elfdeps *d, const char *canon, struct mapped *m)
{
	char host[PATH_MAX];
	struct stat st;
	int fd, ret;

	ret = host_path(d, canon, host);
	if (ret)
		return ret;
	fd = open(host, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	ret = fstat(fd, &st) < 0 ? -errno : !S_ISREG(st.st_mode) ? -EACCES :
	      (uint64_t)st.st_size > ELF_FILE_MAX ? -EFBIG : 0;
	m->len = ret ? 0 : (size_t)st.st_size;
	m->mode = st.st_mode;
	m->p = NULL;
	if (!ret && m->len) {
		void *p = mmap(NULL, m->len, PROT_READ, MAP_PRIVATE, fd, 0);

		if (p == MAP_FAILED)
			ret = -errno;
		else
			m->p = p;
	}
	close(fd);
	return ret;
}

static void unmap_file(struct mapped *m)
{
	if (m->p)
		munmap((void *)m->p, m->len);
	m->p = NULL;
}

static int add_object(struct elfdeps *d, const char *path, const char *needed_by,
		      bool is_program, char *err, size_t errlen);

/* A '#!' script: its interpreter is packed as a program too. */
static int add_script_interp(struct elfdeps *d, const char *path, const struct mapped *m,
			     char *err, size_t errlen)
{
	char line[256];
	size_t n = 0, i;

	for (i = 2; i < m->len && m->p[i] != '\n' && n < sizeof(line) - 1; i++)
		line[n++] = (char)m->p[i];
	line[n] = 0;
	n = strspn(line, " \t");
	line[n + strcspn(line + n, " \t")] = 0;
	if (line[n] != '/') {
		set_err(err, errlen, "%s: script interpreter '%s' is not an absolute path",
			path, line + n);
		return -ENOEXEC;
	}
	return add_object(d, line + n, path, true, err, errlen);
}

/* Does a library candidate exist and is it for aarch64 (the loader skips others)? */
static bool usable_library(struct elfdeps *d, const char *path)
{
	char canon[PATH_MAX], err[8];
	struct elf_info info;
	struct mapped m;
	bool ok;

	if (walk(d, path, false, canon, NULL, 0) || map_file(d, canon, &m))
		return false;
	ok = m.len && !elf__parse(m.p, m.len, &info, err, sizeof(err));
	if (ok)
		elf__free(&info);
	unmap_file(&m);
	return ok;
}

/*
 * Tries name in each directory of a colon-separated list; $ORIGIN is the
 * directory of the object that needs it.
 */
static bool search_list(struct elfdeps *d, const char *list, const char *origin,
			const char *name, char *found)
{
	const char *p = list;

	while (p && *p) {
		const char *end = strchrnul(p, ':');
		char dir[PATH_MAX];
		size_t len = (size_t)(end - p);

		if (len && len < sizeof(dir)) {
			memcpy(dir, p, len);
			dir[len] = 0;
			if (!strncmp(dir, "$ORIGIN", 7) || !strncmp(dir, "${ORIGIN}", 9)) {
				const char *after = dir + (dir[1] == '{' ? 9 : 7);

				if ((size_t)snprintf(found, PATH_MAX, "%s%s/%s", origin, after, name) >= PATH_MAX)
					goto next;
			} else if (dir[0] != '/' || strchr(dir, '$')) {
				goto next;
			} else if ((size_t)snprintf(found, PATH_MAX, "%s/%s", dir, name) >= PATH_MAX) {
				goto next;
			}
			if (usable_library(d, found))
				return true;
		}
next:
		p = *end ? end + 1 : NULL;
	}
	return false;
}

static bool search_dirs(struct elfdeps *d, const char *const *dirs, size_t n,
			const char *name, char *found)
{
	size_t i;

	for (i = 0; i < n; i++)
		if ((size_t)snprintf(found, PATH_MAX, "%s/%s", dirs[i], name) < PATH_MAX &&
		    usable_library(d, found))
			return true;
	return false;
}

/* The library name as the loader would find it for an object in origin. */
static bool find_library(struct elfdeps *d, const struct elf_info *obj, const char *origin,
			 const char *name, char *found)
{
	const char *cached;

	if (strchr(name, '/')) {
		snprintf(found, PATH_MAX, "%s", name);
		return name[0] == '/' && usable_library(d, found);
	}
	if (!obj->runpath) {
		if (search_list(d, obj->rpath, origin, name, found))
			return true;
		if (d->have_main && !d->main.runpath && obj != &d->main &&
		    search_list(d, d->main.rpath, origin, name, found))
			return true;
	} else if (search_list(d, obj->runpath, origin, name, found)) {
		return true;
	}
	cached = ldcache__lookup(d->cache, d->cache_len, name);
	if (cached && strlen(cached) < PATH_MAX) {
		strcpy(found, cached);
		if (usable_library(d, found))
			return true;
	}
	return search_dirs(d, (const char *const *)d->conf_dirs, d->nr_conf_dirs, name, found) ||
	       search_dirs(d, default_dirs, ARRAY_SIZE(default_dirs), name, found);
}

static int add_needed(struct elfdeps *d, const char *canon, const struct elf_info *info,
		      char *err, size_t errlen)
{
	char origin[PATH_MAX], found[PATH_MAX];
	size_t i;
	int ret;

	strcpy(origin, canon);
	*strrchr(origin, '/') = 0;
	for (i = 0; i < info->nr_needed; i++) {
		if (!find_library(d, info, origin, info->needed[i], found)) {
			set_err(err, errlen, "%s (needed by %s): not found", info->needed[i], canon);
			return -ENOENT;
		}
		ret = add_object(d, found, canon, false, err, errlen);
		if (ret)
			return ret;
	}
	return 0;
}

static int object_error(int ret, const char *path, const char *needed_by, char *err, size_t errlen)
{
	if (needed_by)
		set_err(err, errlen, "%s (needed by %s): %s", path, needed_by, strerror(-ret));
	else
		set_err(err, errlen, "%s: %s", path, strerror(-ret));
	return ret;
}

/* Parses an ELF file that must be for aarch64, and adds what it needs. */
static int add_elf(struct elfdeps *d, const char *canon, const struct mapped *m, bool is_program,
		   char *err, size_t errlen)
{
	struct elf_info info, *keep = &info;
	char why[160];
	int ret;

	ret = elf__parse(m->p, m->len, &info, why, sizeof(why));
	if (ret) {
		set_err(err, errlen, "%s: %s", canon, why);
		return ret;
	}
	if (is_program && !d->have_main) {
		d->main = info;
		d->have_main = true;
		keep = &d->main;
	}
	ret = keep->interp ? add_object(d, keep->interp, canon, false, err, errlen) : 0;
	if (!ret)
		ret = add_needed(d, canon, keep, err, errlen);
	if (keep == &info)
		elf__free(&info);
	return ret;
}

/*
 * Packs path (its links, then the file) and what it needs. Each file is
 * added before what it needs, so a cycle of libraries ends.
 */
static int add_object(struct elfdeps *d, const char *path, const char *needed_by,
		      bool is_program, char *err, size_t errlen)
{
	char canon[PATH_MAX];
	struct mapped m;
	int ret;

	if (++d->depth > ELFDEPS_OBJECTS_MAX) {
		set_err(err, errlen, "%s: dependencies nested too deep", path);
		return -E2BIG;
	}
	ret = walk(d, path, true, canon, err, errlen);
	if (ret == -E2BIG || ret == -ENOMEM)
		return ret;
	if (ret)
		return object_error(ret, path, needed_by, err, errlen);
	if (find_entry(d, canon))
		goto out;	/* packed already */
	ret = map_file(d, canon, &m);
	if (ret)
		return object_error(ret, path, needed_by, err, errlen);
	if (is_program && !(m.mode & 0111)) {
		ret = object_error(-EACCES, path, needed_by, err, errlen);
	} else {
		ret = add_entry(d, canon, NULL, err, errlen);
		if (!ret && is_program && m.len >= 2 && m.p[0] == '#' && m.p[1] == '!')
			ret = add_script_interp(d, canon, &m, err, errlen);
		else if (!ret)
			ret = add_elf(d, canon, &m, is_program, err, errlen);
	}
	unmap_file(&m);
out:
	d->depth--;
	return ret;
}

/* ---- the loader's configuration ---- */

static int add_conf_dir(struct elfdeps *d, const char *dir)
{
	char **dirs;

	if (d->nr_conf_dirs >= 256)
		return 0;
	dirs = realloc(d->conf_dirs, (d->nr_conf_dirs + 1) * sizeof(*dirs));
	if (!dirs)
		return -ENOMEM;
	d->conf_dirs = dirs;
	dirs[d->nr_conf_dirs] = strdup(dir);
	if (!dirs[d->nr_conf_dirs])
		return -ENOMEM;
	d->nr_conf_dirs++;
	return 0;
}

static int read_conf(struct elfdeps *d, const char *guest, int depth);

static int conf_include(struct elfdeps *d, const char *pattern, int depth)
{
	char host[PATH_MAX];
	glob_t g;
	size_t i, skip = strlen(d->sysroot);
	int ret = 0;

	if ((size_t)snprintf(host, sizeof(host), "%s%s%s", d->sysroot,
			     pattern[0] == '/' ? "" : "/etc/", pattern) >= sizeof(host))
		return 0;
	if (glob(host, 0, NULL, &g))
		return 0;
	for (i = 0; i < g.gl_pathc && !ret; i++)
		ret = read_conf(d, g.gl_pathv[i] + skip, depth + 1);
	globfree(&g);
	return ret;
}

/* sysroot/etc/ld.so.conf: a directory per line, '#' comments, "include GLOB". */
static int read_conf(struct elfdeps *d, const char *guest, int depth)
{
	char host[PATH_MAX], line[PATH_MAX];
	FILE *f;
	int ret = 0;

	if (depth > CONF_DEPTH_MAX || host_path(d, guest, host))
		return 0;
	f = fopen(host, "re");
	if (!f)
		return 0;
	while (!ret && fgets(line, sizeof(line), f)) {
		char *p = line, *end;

		line[strcspn(line, "#\n")] = 0;
		p += strspn(p, " \t");
		end = p + strlen(p);
		while (end > p && (end[-1] == ' ' || end[-1] == '\t'))
			*--end = 0;
		if (!strncmp(p, "include", 7) && (p[7] == ' ' || p[7] == '\t'))
			ret = conf_include(d, p + 8 + strspn(p + 8, " \t"), depth);
		else if (p[0] == '/')
			ret = add_conf_dir(d, p);
	}
	fclose(f);
	return ret;
}

static int load_config(struct elfdeps *d)
{
	char host[PATH_MAX];
	int ret;

	if (!host_path(d, "/etc/ld.so.cache", host)) {
		ret = read_file(host, CACHE_MAX, &d->cache, &d->cache_len);
		if (ret == -ENOMEM)
			return ret;
	}
	return read_conf(d, "/etc/ld.so.conf", 0);
}

/* ---- the program ---- */

static bool executable_file(const struct elfdeps *d, const char *guest, int *why)
{
	char host[PATH_MAX];
	struct stat st;

	if (host_path(d, guest, host) || stat(host, &st) < 0)
		return false;
	if (S_ISREG(st.st_mode) && (st.st_mode & 0111))
		return true;
	*why = -EACCES;		/* as a shell: found, but not executable */
	return false;
}

/* The program's absolute guest path: as given with a '/', else from PATH. */
static int find_program(struct elfdeps *d, const char *program, const char *path_env,
			char *out, char *err, size_t errlen)
{
	const char *p = path_env ? path_env : DEFAULT_PATH;
	char cwd[PATH_MAX];
	int why = -ENOENT;

	if (!program[0]) {
		set_err(err, errlen, "empty program name");
		return -ENOENT;
	}
	/* Under a sysroot, relative names start at its root. */
	if (d->sysroot[0] || !getcwd(cwd, sizeof(cwd)))
		strcpy(cwd, "/");
	if (strchr(program, '/')) {
		if ((size_t)snprintf(out, PATH_MAX, "%s%s%s", program[0] == '/' ? "" : cwd,
				     program[0] == '/' || !strcmp(cwd, "/") ? "" : "/", program) >= PATH_MAX)
			return -ENAMETOOLONG;
		return 0;
	}
	for (;;) {
		const char *end = strchrnul(p, ':');
		int len = (int)(end - p);

		/* an empty entry is the current directory */
		if ((len ? snprintf(out, PATH_MAX, "%.*s/%s", len, p, program) :
			   snprintf(out, PATH_MAX, "%s/%s", cwd, program)) < PATH_MAX &&
		    out[0] == '/' && executable_file(d, out, &why))
			return 0;
		if (!*end)
			break;
		p = end + 1;
	}
	set_err(err, errlen, "%s: %s", program,
		why == -EACCES ? "permission denied" : "not found on PATH");
	return why;
}

int elfdeps__resolve(struct elfdeps *d, const char *sysroot, const char *program,
		     const char *path_env, char *err, size_t errlen)
{
	char path[PATH_MAX];
	size_t n;
	int ret;

	memset(d, 0, sizeof(*d));
	d->sysroot = strdup(sysroot ? sysroot : "");
	if (!d->sysroot)
		return -ENOMEM;
	n = strlen(d->sysroot);
	while (n && d->sysroot[n - 1] == '/')
		d->sysroot[--n] = 0;
	ret = load_config(d);
	if (!ret)
		ret = find_program(d, program, path_env, path, err, errlen);
	if (!ret) {
		d->program = strdup(path);
		ret = d->program ? add_object(d, path, NULL, true, err, errlen) : -ENOMEM;
	}
	if (ret == -ENOMEM)
		set_err(err, errlen, "out of memory resolving %s", program);
	return ret;
}

int elfdeps__pack(const struct elfdeps *d, struct cpio *c, char *err, size_t errlen)
{
	char host[PATH_MAX];
	size_t i;
	int ret = 0;

	for (i = 0; i < d->nr && !ret; i++) {
		const struct elfdeps_entry *e = &d->entries[i];

		if (e->link)
			ret = cpio__add_symlink(c, e->path, e->link, err, errlen);
		else if (host_path(d, e->path, host))
			ret = -ENAMETOOLONG;
		else
			ret = cpio__add_host_file(c, e->path, host, err, errlen);
	}
	return ret;
}

int elfdeps__exit_status(int err)
{
	switch (err) {
	case -ENOENT:
	case -ENOTDIR:
		return 127;
	case -EACCES:
	case -ENOEXEC:
		return 126;
	}
	return 125;
}

void elfdeps__free(struct elfdeps *d)
{
	size_t i;

	for (i = 0; i < d->nr; i++) {
		free(d->entries[i].path);
		free(d->entries[i].link);
	}
	for (i = 0; i < d->nr_conf_dirs; i++)
		free(d->conf_dirs[i]);
	free(d->conf_dirs);
	free(d->entries);
	free(d->cache);
	free(d->sysroot);
	free(d->program);
	if (d->have_main)
		elf__free(&d->main);
	memset(d, 0, sizeof(*d));
}
