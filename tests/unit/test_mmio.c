/* The MMIO bus: registration, overlap refusal, range lookup, dispatch. */
#include <errno.h>
#include <string.h>

#include "unit.h"
#include "vmm/mmio.h"

struct probe {
	uint64_t last_offset;
	uint32_t last_len;
	bool last_write;
	int calls;
};

static void probe_handler(struct mmio_region *r, uint64_t offset, uint8_t *data,
			  uint32_t len, bool is_write)
{
	struct probe *p = r->dev;

	p->last_offset = offset;
	p->last_len = len;
	p->last_write = is_write;
	p->calls++;
	if (!is_write)
		mmio__put(data, len, 0x1122334455667788ULL);
}

static void test_register_and_find(void **state)
{
	struct mmio_bus bus;
	struct probe a = { 0 }, b = { 0 };

	mmio__init(&bus);
	assert_int_equal(mmio__register(&bus, 0x9000000, 0x1000, probe_handler, &a, "a"), 0);
	assert_int_equal(mmio__register(&bus, 0x8000000, 0x10000, probe_handler, &b, "b"), 0);
	assert_ptr_equal(mmio__find(&bus, 0x9000000, 4)->dev, &a);
	assert_ptr_equal(mmio__find(&bus, 0x9000ffc, 4)->dev, &a);
	assert_ptr_equal(mmio__find(&bus, 0x800fff8, 8)->dev, &b);
	assert_null(mmio__find(&bus, 0x9001000, 4));	/* one past the end */
	assert_null(mmio__find(&bus, 0x7ffffff, 1));
	assert_null(mmio__find(&bus, 0x9000ffe, 4));	/* runs past the end */
}

static void test_overlap_refused(void **state)
{
	struct mmio_bus bus;
	struct probe a = { 0 };

	mmio__init(&bus);
	assert_int_equal(mmio__register(&bus, 0x1000, 0x1000, probe_handler, &a, "a"), 0);
	assert_int_equal(mmio__register(&bus, 0x1800, 0x1000, probe_handler, &a, "x"), -EEXIST);
	assert_int_equal(mmio__register(&bus, 0x0800, 0x1000, probe_handler, &a, "x"), -EEXIST);
	assert_int_equal(mmio__register(&bus, 0x0000, 0x3000, probe_handler, &a, "x"), -EEXIST);
	assert_int_equal(mmio__register(&bus, 0x2000, 0x1000, probe_handler, &a, "ok"), 0);
	assert_int_equal(mmio__register(&bus, 0x3000, 0, probe_handler, &a, "empty"), -EINVAL);
	assert_int_equal(mmio__register(&bus, UINT64_MAX - 10, 0x100, probe_handler, &a, "wrap"),
			 -EINVAL);
}

static void test_dispatch(void **state)
{
	struct mmio_bus bus;
	struct probe a = { 0 };
	uint8_t data[8];

	mmio__init(&bus);
	assert_int_equal(mmio__register(&bus, 0x5000, 0x100, probe_handler, &a, "a"), 0);
	memset(data, 0xee, sizeof(data));
	assert_true(mmio__dispatch(&bus, 0x5010, data, 4, false));
	assert_int_equal(a.last_offset, 0x10);
	assert_int_equal(a.last_len, 4);
	assert_false(a.last_write);
	assert_int_equal(mmio__get(data, 4), 0x55667788);
	assert_true(mmio__dispatch(&bus, 0x5020, data, 8, true));
	assert_true(a.last_write);
	/* Unclaimed: reads give zeros, nothing is called. */
	memset(data, 0xee, sizeof(data));
	assert_false(mmio__dispatch(&bus, 0x6000, data, 8, false));
	assert_int_equal(mmio__get(data, 8), 0);
	assert_int_equal(a.calls, 2);
}

static void test_many_regions_sorted(void **state)
{
	struct mmio_bus bus;
	struct probe p[MMIO_MAX_REGIONS];

	mmio__init(&bus);
	/* Registered in reverse order; every lookup must still find its own. */
	for (int i = MMIO_MAX_REGIONS - 1; i >= 0; i--)
		assert_int_equal(mmio__register(&bus, 0x10000 + i * 0x200, 0x200, probe_handler,
						&p[i], "v"), 0);
	assert_int_equal(mmio__register(&bus, 0x900000, 0x200, probe_handler, &p[0], "full"),
			 -ENOSPC);
	for (int i = 0; i < MMIO_MAX_REGIONS; i++)
		assert_ptr_equal(mmio__find(&bus, 0x10000 + i * 0x200 + 0x1f8, 8)->dev, &p[i]);
}

static void test_le_helpers(void **state)
{
	uint8_t d[8] = { 0 };

	mmio__put(d, 2, 0xabcd);
	assert_int_equal(d[0], 0xcd);
	assert_int_equal(d[1], 0xab);
	assert_int_equal(d[2], 0);
	assert_int_equal(mmio__get(d, 2), 0xabcd);
	assert_int_equal(mmio__get(d, 1), 0xcd);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_register_and_find),
		cmocka_unit_test(test_overlap_refused),
		cmocka_unit_test(test_dispatch),
		cmocka_unit_test(test_many_regions_sorted),
		cmocka_unit_test(test_le_helpers),
	};

	return cmocka_run_group_tests_name("mmio", tests, NULL, NULL);
}
