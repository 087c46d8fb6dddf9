/*
 * libFuzzer target: the chain section's payload (snapchain__parse,
 * vmm/snapchain.c): a snapshot's id, an increment's base and its bitmap of
 * held pages. The first byte picks the memory size (1 + byte pages, so
 * bitmaps of partial and whole words both come up); the rest is the
 * payload. A parse either succeeds with a chain restore can follow (an
 * id, a page count that matches, a depth within the limit, a base exactly
 * when an increment, a bitmap with as many pages as it says and none past
 * the last) and that encodes back to the same bytes, or fails with -2 and
 * one line naming the section; anything else aborts.
 *
 * Built with -DFUZZ_SEED_MAIN: writes a full snapshot's and an increment's
 * payloads into the corpus directory given.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "vmm/dirty.h"
#include "vmm/persist.h"
#include "vmm/snapchain.h"
#include "vmm/util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_chain(const struct snap_chain *c, uint64_t pages, const uint8_t *data,
			size_t size)
{
	struct pbuf b;

	if (c->pages != pages || c->depth > SNAP_CHAIN_MAX || !c->base_path ||
	    (c->depth == 0) != !c->base_path[0] || (c->depth && c->base_path[0] != '/') ||
	    (c->depth == 0) != !c->held)
		abort();
	if (c->held && (dirty__count(c->held, dirty__words_for(pages * DIRTY_PAGE_SIZE)) !=
			c->nr_held || c->nr_held > pages))
		abort();
	pbuf__init(&b);
	snapchain__encode(c, &b);
	if (b.failed || b.len != size || memcmp(b.data, data, size))
		abort();
	pbuf__free(&b);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct snap_chain c;
	uint64_t pages;
	char err[256];
	int ret;

	if (!size)
		return 0;
	pages = 1 + (uint64_t)data[0];
	err[0] = 'x';
	ret = snapchain__parse(data + 1, size - 1, pages * DIRTY_PAGE_SIZE, &c, err, sizeof(err));
	if (ret) {
		if (ret != -VMM_ERR_INPUT || strncmp(err, "chain: ", 7) || strchr(err, '\n') ||
		    c.base_path || c.held)
			abort();
		return 0;
	}
	check_chain(&c, pages, data + 1, size - 1);
	snapchain__free(&c);
	return 0;
}

#ifdef FUZZ_SEED_MAIN
#include <stdio.h>

static int seed(const char *corpus, const char *name, const struct snap_chain *c)
{
	char path[4096];
	uint8_t sel = (uint8_t)(c->pages - 1);
	struct pbuf b;
	FILE *f;
	int bad;

	pbuf__init(&b);
	snapchain__encode(c, &b);
	snprintf(path, sizeof(path), "%s/%s", corpus, name);
	f = fopen(path, "wb");
	if (!f)
		return -1;
	bad = fwrite(&sel, 1, 1, f) != 1 || fwrite(b.data, 1, b.len, f) != b.len;
	pbuf__free(&b);
	return fclose(f) || bad ? -1 : 0;
}

int main(int argc, char **argv)
{
	uint64_t held[2] = { 0x8001, 1ULL << 35 };
	struct snap_chain full = { .id = { 1, 2, 3 }, .base_path = "", .pages = 100,
				   .nr_held = 100 };
	struct snap_chain incr = { .id = { 4, 5, 6 }, .base_id = { 1, 2, 3 }, .depth = 1,
				   .base_path = "/snap/s0", .pages = 100, .held = held,
				   .nr_held = 3 };

	if (argc != 2) {
		fprintf(stderr, "usage: %s CORPUS-DIR\n", argv[0]);
		return 2;
	}
	return seed(argv[1], "full", &full) || seed(argv[1], "increment", &incr) ? 1 : 0;
}
#endif
