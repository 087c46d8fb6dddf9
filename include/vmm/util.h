#ifndef VMM_UTIL_H
#define VMM_UTIL_H

#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "vmm/compiler.h"

/*
 * Exit statuses, and the error classes functions return as negative values
 * when the caller must tell the user why it stopped (see docs/usage.md).
 */
enum vmm_status {
	VMM_OK = 0,
	VMM_ERR_INTERNAL = 1,	/* our bug or an unexpected kernel failure */
	VMM_ERR_INPUT = 2,	/* bad flags, kernel, initrd, disk or snapshot */
	VMM_ERR_HOST = 3,	/* this host cannot give what was asked */
};

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

#define SZ_4K	0x1000ULL
#define SZ_64K	0x10000ULL
#define SZ_1M	0x100000ULL
#define SZ_2M	0x200000ULL
#define SZ_1G	0x40000000ULL

static inline uint64_t align_up(uint64_t v, uint64_t a) { return (v + a - 1) & ~(a - 1); }
static inline uint64_t align_down(uint64_t v, uint64_t a) { return v & ~(a - 1); }

extern bool vmm_debug;

/* One line to stderr, prefixed "vmm: ". */
void pr_err(const char *fmt, ...) __printf(1, 2);
/* Only with --debug or VMM_DEBUG=1. */
void pr_debug(const char *fmt, ...) __printf(1, 2);

/* Formats a one-line reason into err (nothing when err is NULL or empty). */
void set_err(char *err, size_t errlen, const char *fmt, ...) __printf(3, 4);
void vset_err(char *err, size_t errlen, const char *fmt, va_list ap) __printf(3, 0);

/* Reads len bytes at offset of fd into dst. Returns 0 or -errno; -EIO if the file is shorter. */
int read_exact(int fd, void *dst, size_t len, uint64_t offset) __must_check;
/* Reads a whole file (at most max bytes). Returns 0 or -errno; -EFBIG if larger. */
int read_file(const char *path, size_t max, uint8_t **buf, size_t *len) __must_check;
/* The same from fd (closed either way): a regular file of at most max bytes. */
int read_fd(int fd, size_t max, uint8_t **buf, size_t *len) __must_check;
/*
 * Writes s for a terminal: printable ASCII as it is, a backslash as two,
 * every other byte (control characters, escapes, UTF-8) as \xNN.
 */
void fput_printable(const char *s, FILE *f);

/*
 * pthread_create with a stack of stack_bytes (under 2 MiB; at least
 * PTHREAD_STACK_MIN) instead of glibc's 8 MiB default: on a host whose
 * transparent huge pages are "always", the first touch of an 8 MiB stack
 * is backed by a 2 MiB huge page, resident for the thread's life. Returns
 * 0 or an errno value.
 */
int start_thread(pthread_t *t, size_t stack_bytes, void *(*fn)(void *), void *arg) __must_check;

/* Milliseconds since vmm started (main's first call of it). */
double vmm_uptime_ms(void);
/* That start on CLOCK_MONOTONIC, in ms: another process on the host can
 * measure from its own exec of vmm (--debug's first line says it). */
double vmm_clock_zero_ms(void);

/* Parses a decimal unsigned number that must fit in [min, max]; false if not. */
bool parse_uint(const char *s, uint64_t min, uint64_t max, uint64_t *out);


/* n-byte (n <= 8) little-endian fields in a byte buffer. */
static inline uint64_t get_le(const uint8_t *p, unsigned n)
{
	uint64_t v = 0;

	while (n--)
		v = v << 8 | p[n];
	return v;
}

static inline void put_le(uint8_t *p, uint64_t v, unsigned n)
{
	while (n--) {
		*p++ = (uint8_t)v;
		v >>= 8;
	}
}

#endif
