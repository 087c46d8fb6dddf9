/*
 * Unit tests of the little-endian state encoding (vmm/persist.c). The
 * expected bytes are written out by hand, so an encoding that is merely
 * symmetric (e.g. host byte order on both sides) fails.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "unit.h"
#include "vmm/persist.h"

static void test_pbuf_bytes_are_little_endian(void **state)
{
	static const uint8_t want[] = {
		0xab,
		0x44, 0x33, 0x22, 0x11,
		0x08, 0x07, 0x06, 0x05, 0x04, 0x03, 0x02, 0x01,
		'x', 'y', 'z',
		0xff, 0xff, 0xff, 0xff,
	};
	struct pbuf b;

	pbuf__init(&b);
	pbuf__put_u8(&b, 0xab);
	pbuf__put_u32(&b, 0x11223344);
	pbuf__put_u64(&b, 0x0102030405060708ULL);
	pbuf__put_bytes(&b, "xyz", 3);
	pbuf__put_bytes(&b, NULL, 0);
	pbuf__put_u32(&b, UINT32_MAX);
	assert_false(b.failed);
	assert_int_equal(b.len, sizeof(want));
	assert_memory_equal(b.data, want, sizeof(want));
	pbuf__free(&b);
	assert_null(b.data);
	assert_int_equal(b.len, 0);
}

static void test_round_trip(void **state)
{
	static const uint64_t u64s[] = { 0, 1, 0x80, 0xff00ff00ff00ff00ULL, UINT64_MAX };
	static const uint32_t u32s[] = { 0, 1, 0x7fffffff, 0x80000000, UINT32_MAX };
	uint8_t blob[37], back[37];
	struct preader r;
	struct pbuf b;
	unsigned i;

	for (i = 0; i < sizeof(blob); i++)
		blob[i] = (uint8_t)(i * 7 + 3);
	pbuf__init(&b);
	for (i = 0; i < 256; i++)
		pbuf__put_u8(&b, (uint8_t)i);
	for (i = 0; i < 5; i++) {
		pbuf__put_u32(&b, u32s[i]);
		pbuf__put_u64(&b, u64s[i]);
	}
	pbuf__put_bytes(&b, blob, sizeof(blob));
	assert_false(b.failed);

	preader__init(&r, b.data, b.len);
	for (i = 0; i < 256; i++)
		assert_int_equal(preader__get_u8(&r), i);
	for (i = 0; i < 5; i++) {
		assert_int_equal(preader__get_u32(&r), u32s[i]);
		assert_true(preader__get_u64(&r) == u64s[i]);
	}
	assert_false(preader__done(&r));
	preader__get_bytes(&r, back, sizeof(back));
	assert_memory_equal(back, blob, sizeof(blob));
	assert_true(preader__ok(&r));
	assert_true(preader__done(&r));
	pbuf__free(&b);
}

/* Many small writes: the buffer grows and keeps every byte. */
static void test_pbuf_grows(void **state)
{
	struct pbuf b;
	size_t i;

	pbuf__init(&b);
	for (i = 0; i < 100000; i++)
		pbuf__put_u32(&b, (uint32_t)i);
	assert_false(b.failed);
	assert_int_equal(b.len, 400000);
	assert_true(b.cap >= b.len);
	for (i = 0; i < 100000; i += 997) {
		struct preader r;

		preader__init(&r, b.data + 4 * i, 4);
		assert_int_equal(preader__get_u32(&r), i);
	}
	pbuf__free(&b);
}

/* A read past the end fails, returns zeros, and every later read fails. */
static void test_read_past_end_stays_failed(void **state)
{
	static const uint8_t data[] = { 1, 2, 3, 4, 5, 6 };
	uint8_t out[4] = { 9, 9, 9, 9 };
	struct preader r;

	preader__init(&r, data, sizeof(data));
	assert_int_equal(preader__get_u32(&r), 0x04030201);
	assert_true(preader__ok(&r));
	assert_int_equal(preader__get_u32(&r), 0);		/* 2 bytes left */
	assert_false(preader__ok(&r));
	assert_int_equal(preader__get_u8(&r), 0);		/* would fit, but failed */
	assert_false(preader__ok(&r));
	assert_false(preader__done(&r));
	preader__get_bytes(&r, out, sizeof(out));
	assert_memory_equal(out, "\0\0\0\0", 4);
	assert_null(preader__take(&r, 0));

	preader__init(&r, data, sizeof(data));
	assert_true(preader__get_u64(&r) == 0);
	assert_false(preader__ok(&r));
	assert_int_equal(preader__get_u8(&r), 0);
}

static void test_take_bounds(void **state)
{
	static const uint8_t data[] = { 10, 20, 30, 40, 50 };
	const uint8_t *p;
	struct preader r;

	preader__init(&r, data, sizeof(data));
	p = preader__take(&r, 0);
	assert_ptr_equal(p, data);
	p = preader__take(&r, 2);
	assert_ptr_equal(p, data);
	p = preader__take(&r, 3);
	assert_ptr_equal(p, data + 2);
	assert_true(preader__done(&r));
	assert_non_null(preader__take(&r, 0));		/* at the end, nothing asked */
	assert_true(preader__done(&r));
	assert_null(preader__take(&r, 1));
	assert_false(preader__ok(&r));

	/* Sizes that overflow pos + n must not wrap around. */
	preader__init(&r, data, sizeof(data));
	preader__get_u8(&r);
	assert_null(preader__take(&r, SIZE_MAX));
	assert_false(preader__ok(&r));
	preader__init(&r, data, sizeof(data));
	preader__get_u8(&r);
	assert_null(preader__take(&r, SIZE_MAX - 2));
	preader__init(&r, data, sizeof(data));
	assert_null(preader__take(&r, sizeof(data) + 1));
	assert_false(preader__ok(&r));
	preader__init(&r, data, sizeof(data));
	assert_non_null(preader__take(&r, sizeof(data)));
	assert_true(preader__done(&r));
}

/* Strings: a u32 length and the bytes; too long, or with a NUL, is refused. */
static void test_strings(void **state)
{
	static const uint8_t want[] = { 3, 0, 0, 0, 'v', 'm', 'm', 0, 0, 0, 0 };
	static const uint8_t with_nul[] = { 3, 0, 0, 0, 'a', 0, 'b' };
	char out[4];
	struct pbuf b;
	struct preader r;

	pbuf__init(&b);
	pbuf__put_str(&b, "vmm");
	pbuf__put_str(&b, "");
	assert_int_equal(b.len, sizeof(want));
	assert_memory_equal(b.data, want, sizeof(want));

	preader__init(&r, b.data, b.len);
	assert_true(preader__get_str(&r, out, sizeof(out)));
	assert_string_equal(out, "vmm");
	assert_true(preader__get_str(&r, out, sizeof(out)));
	assert_string_equal(out, "");
	assert_true(preader__done(&r));

	preader__init(&r, b.data, b.len);
	assert_false(preader__get_str(&r, out, 3));		/* no room for the NUL */
	assert_false(preader__ok(&r));
	preader__init(&r, with_nul, sizeof(with_nul));
	assert_false(preader__get_str(&r, out, sizeof(out)));
	preader__init(&r, b.data, 5);			/* truncated */
	assert_false(preader__get_str(&r, out, sizeof(out)));

	preader__init(&r, b.data, b.len);
	assert_true(preader__str_is(&r, "vmm"));
	assert_false(preader__str_is(&r, "x"));
	preader__init(&r, b.data, b.len);
	assert_false(preader__str_is(&r, "vm"));
	preader__init(&r, b.data, b.len);
	assert_false(preader__str_is(&r, "vmmm"));
	pbuf__free(&b);
}

static void test_empty_reader(void **state)
{
	struct preader r;

	preader__init(&r, NULL, 0);
	assert_true(preader__done(&r));
	assert_non_null(preader__take(&r, 0));
	assert_int_equal(preader__get_u8(&r), 0);
	assert_false(preader__ok(&r));

	/* No data but a length: there is nothing to read. */
	preader__init(&r, NULL, 100);
	assert_null(preader__take(&r, 1));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pbuf_bytes_are_little_endian),
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_pbuf_grows),
		cmocka_unit_test(test_read_past_end_stays_failed),
		cmocka_unit_test(test_take_bounds),
		cmocka_unit_test(test_strings),
		cmocka_unit_test(test_empty_reader),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
