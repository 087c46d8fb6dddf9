/*
 * Guest RAM to a snapshot's memory file (docs/snapshot.md), in a time that
 * follows what the guest touched rather than its size.
 *
 * Reading a page the host never populated is a page fault that finds
 * nothing (anonymous memory gets the shared zero page, a file mapping reads
 * the file); in an idle 1 GiB guest that was most of the save. So the pages
 * worth reading are told apart first:
 *   - /proc/self/pagemap: a page present or swapped out is read;
 *   - /proc/self/maps: of the others, one in anonymous memory (a booted
 *     VM) is zero; one in a file mapping (a restored VM maps its memory
 *     file MAP_PRIVATE) holds what the file holds there, which is zero over
 *     a hole of the file (lseek SEEK_DATA/SEEK_HOLE on the file, reopened
 *     by the path maps gives and checked to be the same inode).
 * Whatever cannot be told (no /proc, a file that cannot be reopened) is
 * read, as it always was. Read pages are still checked for zeros, and runs
 * of non-zero pages are written with one pwrite each.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "vmm/memsave.h"
#include "vmm/util.h"

#define ZPAGE		SZ_4K		/* the memory file's hole granularity */
#define BATCH		4096		/* host pages per pagemap read */
#define PM_PRESENT	(1ULL << 63)
#define PM_SWAPPED	(1ULL << 62)
#define NO_DATA		UINT64_MAX

enum seg_kind {
	SEG_UNKNOWN,	/* an unpopulated page may hold data: read it */
	SEG_ANON,	/* an unpopulated page is zero */
	SEG_FILE,	/* an unpopulated page is the file's: zero over a hole */
};

/* One line of /proc/self/maps that overlaps guest RAM. */
struct segment {
	uintptr_t start, end;
	enum seg_kind kind;
	int fd;			/* SEG_FILE: the mapped file, opened again */
	uint64_t pgoff;		/* SEG_FILE: the file offset at start */
	uint64_t probed;	/* SEG_FILE: the file has a hole from probed to data, */
	uint64_t data, hole;	/* then data up to hole (NO_DATA: none) */
};

struct saver {
	int fd;
	const uint8_t *ram;
	uint64_t size;
	uint64_t page;			/* the host's page size */
	int pagemap_fd;			/* -1: every page counts as populated */
	struct segment *segs;
	unsigned nr_segs, cur;		/* cur: where the last lookup ended */
	uint64_t run_start, run_end;	/* the run of non-zero pages not yet written */
	struct memsave_stats st;
};

/* ---- which pages may hold data ---- */

/*
 * Reopens the file a maps line names; only the same inode will do, and only
 * while it still covers the mapping (need bytes): a page past the end of a
 * truncated file is not a zero page but a lost one, which reading it
 * through the mapping reports (SIGBUS).
 */
static int reopen_mapped(const char *path, unsigned maj, unsigned min, uint64_t ino,
			 uint64_t need)
{
	struct stat st;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -1;
	if (fstat(fd, &st) || !S_ISREG(st.st_mode) || st.st_ino != ino ||
	    major(st.st_dev) != maj || minor(st.st_dev) != min || (uint64_t)st.st_size < need) {
		close(fd);
		return -1;
	}
	return fd;
}

/*
 * Reads one maps line into seg (false if it is not one) and, when it
 * overlaps [lo, hi), says what kind of memory it is.
 */
static bool parse_segment(char *line, uintptr_t lo, uintptr_t hi, struct segment *seg)
{
	unsigned long long start, end, off, ino;
	unsigned maj, min;
	char perms[5], *path;
	int n = 0;

	if (sscanf(line, "%llx-%llx %4s %llx %x:%x %llu %n", &start, &end, perms, &off, &maj,
		   &min, &ino, &n) < 7 || !n)
		return false;
	*seg = (struct segment){ .start = start, .end = end, .kind = SEG_UNKNOWN, .fd = -1,
				 .pgoff = off, .probed = NO_DATA };
	if (end <= lo || start >= hi)
		return true;
	path = line + n;
	path[strcspn(path, "\n")] = '\0';
	if (!ino && perms[3] == 'p' && (!*path || *path == '['))
		seg->kind = SEG_ANON;
	else if (ino && *path == '/' && (seg->fd = reopen_mapped(path, maj, min, ino, off + (end - start))) >= 0)
		seg->kind = SEG_FILE;
	return true;
}

/* The maps lines over RAM, in address order; none if maps cannot be read. */
static void read_segments(struct saver *s)
{
	uintptr_t lo = (uintptr_t)s->ram, hi = lo + s->size;
	FILE *f = fopen("/proc/self/maps", "re");
	char *line = NULL;
	size_t cap = 0;
	struct segment seg, *grown;

	while (f && getline(&line, &cap, f) > 0) {
		if (!parse_segment(line, lo, hi, &seg) || seg.end <= lo || seg.start >= hi)
			continue;
		grown = realloc(s->segs, (s->nr_segs + 1) * sizeof(*grown));
		if (!grown) {
			if (seg.fd >= 0)
				close(seg.fd);
			break;		/* the rest of RAM is then unknown: read */
		}
		s->segs = grown;
		s->segs[s->nr_segs++] = seg;
	}
	free(line);
	if (f)
		fclose(f);
}

static struct segment *segment_at(struct saver *s, uintptr_t addr)
{
	while (s->cur < s->nr_segs && s->segs[s->cur].end <= addr)
		s->cur++;
	if (s->cur < s->nr_segs && s->segs[s->cur].start <= addr)
		return &s->segs[s->cur];
	return NULL;
}

/* Finds the first data extent of seg's file at or after off. */
static void probe_file(struct segment *seg, uint64_t off)
{
	off_t data = lseek(seg->fd, (off_t)off, SEEK_DATA), hole;

	seg->probed = off;
	if (data < 0) {
		/* ENXIO: only a hole is left. Anything else: take it all as data. */
		seg->data = errno == ENXIO ? NO_DATA : off;
		seg->hole = errno == ENXIO ? NO_DATA : UINT64_MAX;
		return;
	}
	hole = lseek(seg->fd, data, SEEK_HOLE);
	seg->data = (uint64_t)data;
	seg->hole = hole < 0 ? UINT64_MAX : (uint64_t)hole;
}

/* Whether the file has data anywhere in [off, off + len). */
static bool file_has_data(struct segment *seg, uint64_t off, uint64_t len)
{
	if (seg->probed == NO_DATA || off < seg->probed ||
	    (seg->data != NO_DATA && off >= seg->hole))
		probe_file(seg, off);
	return seg->data != NO_DATA && off + len > seg->data;
}

/* Whether the host page at addr, with its pagemap entry, may hold data. */
static bool may_hold_data(struct saver *s, uintptr_t addr, uint64_t entry)
{
	struct segment *seg;

	if (s->pagemap_fd < 0 || entry & (PM_PRESENT | PM_SWAPPED))
		return true;
	seg = segment_at(s, addr);
	if (!seg || seg->kind == SEG_UNKNOWN)
		return true;
	if (seg->kind == SEG_ANON)
		return false;
	return file_has_data(seg, seg->pgoff + (addr - seg->start), s->page);
}

/* The pagemap entries of n host pages from addr; false if it cannot. */
static bool read_pagemap(struct saver *s, uintptr_t addr, size_t n, uint64_t *pm)
{
	uint8_t *p = (uint8_t *)pm;
	size_t left = n * sizeof(*pm);
	off_t at = (off_t)(addr / s->page * sizeof(*pm));

	while (left) {
		ssize_t got = pread(s->pagemap_fd, p, left, at);

		if (got < 0 && errno == EINTR)
			continue;
		if (got <= 0)
			return false;
		p += got;
		left -= (size_t)got;
		at += got;
	}
	return true;
}

/* ---- writing ---- */

static bool page_is_zero(const uint8_t *p)
{
	const uint64_t *w = (const uint64_t *)p;

	for (size_t i = 0; i < ZPAGE / sizeof(*w); i += 8)
		if (w[i] | w[i + 1] | w[i + 2] | w[i + 3] | w[i + 4] | w[i + 5] | w[i + 6] |
		    w[i + 7])
			return false;
	return true;
}

/* Writes the pending run of non-zero pages at its offset. */
static int flush_run(struct saver *s)
{
	const uint8_t *p = s->ram + s->run_start;
	uint64_t off = s->run_start, left = s->run_end - s->run_start;
	double start = vmm_uptime_ms();
	int err = 0;

	if (!left)
		return 0;
	s->st.writes++;
	s->st.written += left;
	s->run_start = s->run_end;
	while (left && !err) {
		ssize_t done = pwrite(s->fd, p, left, (off_t)off);

		if (done < 0 && errno == EINTR)
			continue;
		if (done <= 0) {
			err = done ? -errno : -EIO;
			break;
		}
		p += done;
		off += (uint64_t)done;
		left -= (uint64_t)done;
	}
	s->st.write_ms += vmm_uptime_ms() - start;
	return err;
}

/* Adds the non-zero page at off to the run, first writing a run it does not extend. */
static int add_page(struct saver *s, uint64_t off)
{
	int err = 0;

	if (s->run_end != off) {
		err = flush_run(s);
		s->run_start = off;
	}
	s->run_end = off + ZPAGE;
	return err;
}

/* Marks the 4 KiB pages of the host page at off. */
static void mark_host_page(const struct saver *s, uint64_t off, uint64_t *bitmap)
{
	uint64_t end = off + s->page < s->size ? off + s->page : s->size;

	for (; off < end; off += ZPAGE)
		bitmap[off / ZPAGE / 64] |= 1ULL << (off / ZPAGE % 64);
}

/* Marks the pages of the n host pages from off that may hold data. */
static void mark_batch(struct saver *s, uint64_t off, size_t n, uint64_t *pm, uint64_t *bitmap)
{
	uintptr_t base = (uintptr_t)s->ram + off;

	if (s->pagemap_fd >= 0 && !read_pagemap(s, base, n, pm)) {
		close(s->pagemap_fd);		/* from here on, every page may */
		s->pagemap_fd = -1;
		s->st.pagemap = false;
	}
	for (size_t i = 0; i < n; i++, off += s->page)
		if (may_hold_data(s, base + i * s->page, s->pagemap_fd >= 0 ? pm[i] : 0))
			mark_host_page(s, off, bitmap);
}

static void open_sources(struct saver *s)
{
	long page = sysconf(_SC_PAGESIZE);

	s->page = page > 0 && (uint64_t)page % ZPAGE == 0 ? (uint64_t)page : ZPAGE;
	s->pagemap_fd = -1;
	/* pagemap entries are per host page: RAM must start on one */
	if ((uintptr_t)s->ram % s->page == 0 && (uint64_t)page == s->page)
		s->pagemap_fd = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);
	s->st.pagemap = s->pagemap_fd >= 0;
	if (s->pagemap_fd >= 0)
		read_segments(s);
}

static void close_sources(struct saver *s)
{
	for (unsigned i = 0; i < s->nr_segs; i++)
		if (s->segs[i].fd >= 0)
			close(s->segs[i].fd);
	free(s->segs);
	if (s->pagemap_fd >= 0)
		close(s->pagemap_fd);
}

int64_t memsave__populated(const void *ram, uint64_t size, uint64_t *bitmap, bool *used_pagemap)
{
	struct saver s = { .ram = ram, .size = size, .pagemap_fd = -1 };
	uint64_t *pm, off = 0, words = (size / ZPAGE + 63) / 64, marked = 0;

	if (size % ZPAGE || size > INT64_MAX || (size && !ram))
		return -EINVAL;
	pm = malloc(BATCH * sizeof(*pm));
	if (!pm)
		return -ENOMEM;
	memset(bitmap, 0, words * sizeof(*bitmap));
	open_sources(&s);
	while (off < size) {
		uint64_t pages = (size - off + s.page - 1) / s.page;
		size_t n = pages < BATCH ? (size_t)pages : BATCH;

		mark_batch(&s, off, n, pm, bitmap);
		off += n * s.page;
	}
	if (used_pagemap)
		*used_pagemap = s.st.pagemap;
	close_sources(&s);
	free(pm);
	for (uint64_t i = 0; i < words; i++)
		marked += (uint64_t)__builtin_popcountll(bitmap[i]);
	return (int64_t)marked;
}

/* Reads and adds the pages set in both bitmaps (held NULL: all of populated). */
static int save_marked(struct saver *s, const uint64_t *populated, const uint64_t *held)
{
	uint64_t words = (s->size / ZPAGE + 63) / 64;
	int err = 0;

	for (uint64_t w = 0; !err && w < words; w++) {
		uint64_t bits = populated[w] & (held ? held[w] : ~0ULL);

		for (; !err && bits; bits &= bits - 1) {
			uint64_t off = (w * 64 + (uint64_t)__builtin_ctzll(bits)) * ZPAGE;

			s->st.read += ZPAGE;
			if (!page_is_zero(s->ram + off))
				err = add_page(s, off);
		}
	}
	return err;
}

int memsave__write(int fd, const void *ram, uint64_t size, struct memsave_stats *stats)
{
	return memsave__write_pages(fd, ram, size, NULL, stats);
}

int memsave__write_pages(int fd, const void *ram, uint64_t size, const uint64_t *held,
			 struct memsave_stats *stats)
{
	struct saver s = { .fd = fd, .ram = ram, .size = size };
	uint64_t *populated;
	int64_t marked;
	int err;

	if (size % ZPAGE || size > INT64_MAX || (size && !ram))
		return -EINVAL;
	populated = calloc((size / ZPAGE + 63) / 64 + 1, sizeof(*populated));
	if (!populated)
		return -ENOMEM;
	marked = memsave__populated(ram, size, populated, &s.st.pagemap);
	err = marked < 0 ? (int)marked : save_marked(&s, populated, held);
	err = err ? err : flush_run(&s);
	if (!err && ftruncate(fd, (off_t)size))
		err = -errno;
	if (!err && stats)
		*stats = s.st;
	free(populated);
	return err;
}
