#ifndef VMM_TESTS_FUZZ_FIX_CRCS_H
#define VMM_TESTS_FUZZ_FIX_CRCS_H

/*
 * For fuzzers of the snapshot container and the migration stream (the same
 * section framing): makes the CRCs of the 32-byte header and of each section
 * it can find right, so that a mutated input also reaches the parsers behind
 * the CRC checks.
 */
#include <stddef.h>
#include <stdint.h>
#include <zlib.h>

#include "vmm/util.h"

static inline void fix_crcs(uint8_t *p, size_t size)
{
	size_t off = 32;

	if (size < 32)
		return;
	put_le(p + 28, crc32(0, p, 28), 4);
	while (size - off >= 32) {
		uint64_t len = get_le(p + off + 16, 8);
		size_t left = size - off - 32;

		if (len <= left)
			put_le(p + off + 24, crc32(0, p + off + 32, len), 4);
		put_le(p + off + 28, crc32(0, p + off, 24), 4);
		if (len > left || (len + 7) / 8 * 8 > left)
			break;
		off += 32 + (len + 7) / 8 * 8;
	}
}

#endif
