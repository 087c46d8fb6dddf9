/*
 * libFuzzer target: the live-migration stream as the destination reads it
 * (vmm/migstream.c): the stream header, each section, and the
 * destination's protocol (check batch, pages into a 64 KiB guest RAM,
 * rounds, commit), the batches parsed as snapshot state files.
 *
 * Each input is run twice: as it is, and with every CRC recomputed (as far
 * as the lengths in it allow), so mutations reach the checks behind them.
 * A run must end at the commit or with -2 and a one-line "stream:"
 * message; anything else aborts.
 *
 * Built with -DFUZZ_SEED_MAIN this file is a program that writes valid
 * streams into the directory given as its argument.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "vmm/migstream.h"
#include "vmm/persist.h"
#include "vmm/snapshot.h"
#include "vmm/util.h"
#include "fix-crcs.h"
#include "../membuf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define RAM_BASE	0x80000000ULL
#define RAM_SIZE	(16 * 4096ULL)

static void parse_batch(struct mig_dest *d)
{
	struct snap_reader r;
	char err[256];
	uint8_t *state;
	size_t len;

	if (mig_dest__state(d, &state, &len))
		abort();
	if (!snap__parse(state, len, &r, err, sizeof(err)))
		snap__close(&r);
	free(state);
}

static void run(const uint8_t *data, size_t size)
{
	static uint8_t ram[RAM_SIZE];
	struct membuf m = { data, size, 0 };
	struct mig_reader r;
	struct mig_section s;
	struct mig_dest d;
	char err[256];
	int ret;

	mig_reader__init(&r, mem_read, &m);
	mig_dest__init(&d);
	err[0] = 0;
	ret = mig__read_header(&r, err, sizeof(err));
	while (!ret) {
		ret = mig__read_section(&r, &s, err, sizeof(err));
		if (!ret && (s.data < r.buf || s.data + s.len > r.buf + r.cap))
			abort();
		if (!ret)
			ret = mig_dest__take(&d, &s, err, sizeof(err));
		if (ret == MIG_EV_CHECK) {
			parse_batch(&d);
			mig_dest__set_ram(&d, ram, RAM_BASE, RAM_SIZE);
			ret = 0;
		} else if (ret == MIG_EV_COMMIT) {
			parse_batch(&d);
			break;
		}
	}
	if (ret != MIG_EV_COMMIT &&
	    (ret != -VMM_ERR_INPUT || strncmp(err, "stream: ", 8) || strchr(err, '\n')))
		abort();
	if (r.bytes > size)
		abort();
	mig_dest__free(&d);
	mig_reader__free(&r);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t *copy;

	run(data, size);
	copy = malloc(size ? size : 1);
	if (!copy)
		return 0;
	memcpy(copy, data, size);
	fix_crcs(copy, size);
	run(copy, size);
	free(copy);
	return 0;
}

#ifdef FUZZ_SEED_MAIN
/* A stream with nr_pages pages sections: check batch, a round, final batch, commit. */
static int write_seed(const char *corpus, const char *name, unsigned nr_pages)
{
	uint8_t h[SNAP_HEADER_SIZE], pages[8 + 4096], commit[12] = { 0 }, round[4] = { 0 };
	struct pbuf b;
	char *path;
	FILE *f;
	int err;

	pbuf__init(&b);
	mig__stream_header(h);
	pbuf__put_bytes(&b, h, sizeof(h));
	mig__put_section(&b, SNAP_SEC_CONFIG, 0, SNAP_VER_CONFIG, "config", 6);
	mig__put_section(&b, SNAP_SEC_VCPU, 0, SNAP_VER_VCPU, "vcpu 0", 6);
	mig__put_section(&b, SNAP_SEC_GIC, 0, SNAP_VER_GIC, "gic", 3);
	mig__put_section(&b, MIG_SEC_CHECK, 0, 1, NULL, 0);
	for (unsigned i = 0; i < nr_pages; i++) {
		put_le(pages, RAM_BASE + (i % 16) * 4096ULL, 8);
		memset(pages + 8, (int)i + 1, 4096);
		mig__put_section(&b, MIG_SEC_PAGES, 0, 1, pages, sizeof(pages));
	}
	mig__put_section(&b, MIG_SEC_ROUND, 0, 1, round, sizeof(round));
	mig__put_section(&b, SNAP_SEC_VCPU, 0, SNAP_VER_VCPU, "vcpu 0 final", 12);
	mig__put_section(&b, MIG_SEC_COMMIT, 0, 1, commit, sizeof(commit));
	if (b.failed || asprintf(&path, "%s/seed-%s", corpus, name) < 0)
		return -1;
	f = fopen(path, "wb");
	err = !f || fwrite(b.data, 1, b.len, f) != b.len || fclose(f) ? -1 : 0;
	free(path);
	pbuf__free(&b);
	return err;
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: %s CORPUS-DIR\n", argv[0]);
		return 2;
	}
	if (write_seed(argv[1], "no-pages", 0) || write_seed(argv[1], "pages", 3)) {
		fprintf(stderr, "%s: cannot write the seeds\n", argv[0]);
		return 1;
	}
	return 0;
}
#endif
