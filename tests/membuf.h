#ifndef VMM_TESTS_MEMBUF_H
#define VMM_TESTS_MEMBUF_H

/*
 * For the migration stream's unit tests and fuzzer: a reader callback
 * (mig_reader__init) over bytes in memory, failing once they run out.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

struct membuf {
	const uint8_t *p;
	size_t len, pos;
};

static inline int mem_read(void *ctx, void *buf, size_t n)
{
	struct membuf *m = ctx;

	if (n > m->len - m->pos)
		return -1;
	memcpy(buf, m->p + m->pos, n);
	m->pos += n;
	return 0;
}

#endif
