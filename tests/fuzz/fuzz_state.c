/*
 * libFuzzer target: the snapshot state-file reader (snap__parse, then
 * snap__check_versions).
 *
 * Each input is parsed twice: as it is, and with every CRC recomputed (as
 * far as the lengths in it allow), so that mutations get past the CRC checks
 * and reach the length, count, padding and duplicate checks behind them.
 * A parse must either succeed with every section inside the file, or fail
 * with -2 and a one-line message; anything else aborts.
 *
 * Built with -DFUZZ_SEED_MAIN this file is instead a program that writes
 * valid state files into the directory given as its argument, as seeds.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "vmm/snapshot.h"
#include "vmm/util.h"
#include "fix-crcs.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(const uint8_t *data, size_t size)
{
	struct snap_reader r;
	char err[256];
	unsigned i;
	int ret;

	err[0] = 'x';
	ret = snap__parse(data, size, &r, err, sizeof(err));
	if (ret) {
		if (ret != -VMM_ERR_INPUT || strncmp(err, "state: ", 7) || strchr(err, '\n'))
			abort();
		return;
	}
	for (i = 0; i < r.nr_sections; i++) {
		const struct snap_section *s = &r.sections[i];

		if (s->data < r.state || s->len > r.state_len ||
		    (size_t)(s->data - r.state) > r.state_len - s->len)
			abort();
		if (snap__find(&r, s->id, s->instance) != s)
			abort();
		if (s->len && memcmp(s->data, data + (s->data - r.state), s->len))
			abort();
	}
	/* the section versions: read, or one line naming the section */
	ret = snap__check_versions(&r, err, sizeof(err));
	if (ret && (ret != -VMM_ERR_INPUT || strncmp(err, "state: section ", 15) ||
		    strchr(err, '\n')))
		abort();
	snap__close(&r);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t *copy;

	check(data, size);
	copy = malloc(size ? size : 1);
	if (!copy)
		return 0;
	memcpy(copy, data, size);
	fix_crcs(copy, size);
	check(copy, size);
	free(copy);
	return 0;
}

#ifdef FUZZ_SEED_MAIN
#include <errno.h>
#include <unistd.h>

/* A snapshot of nr sections, like a small VM's, written to tmp/NAME. */
static int write_seed(const char *tmp, const char *corpus, const char *name, unsigned nr)
{
	static const uint32_t ids[] = {
		SNAP_SEC_CONFIG, SNAP_SEC_HOST, SNAP_SEC_VCPU, SNAP_SEC_VCPU, SNAP_SEC_GIC,
		SNAP_SEC_DEVICE, SNAP_SEC_MEMORY, 77,
	};
	char *dir, *state, *out;
	struct snap_writer *w;
	uint8_t payload[64], *buf;
	unsigned i;
	size_t len;
	FILE *f;
	int err;

	if (asprintf(&dir, "%s/%s", tmp, name) < 0)
		return -ENOMEM;
	err = snap__begin(dir, &w);
	for (i = 0; !err && i < nr && i < sizeof(ids) / sizeof(ids[0]); i++) {
		memset(payload, (int)(i * 17 + 1), sizeof(payload));
		err = snap__add(w, ids[i], ids[i] == SNAP_SEC_VCPU ? i : 0, 1, payload,
				(i * 13) % sizeof(payload));
	}
	if (!err)
		err = snap__commit(w);
	else
		snap__abort(w);
	if (err) {
		free(dir);
		return err;
	}
	if (asprintf(&state, "%s/state", dir) < 0)
		state = NULL;
	if (asprintf(&out, "%s/seed-%s", corpus, name) < 0)
		out = NULL;
	err = state && out ? read_file(state, SZ_1M, &buf, &len) : -ENOMEM;
	if (!err) {
		f = fopen(out, "wb");
		err = !f || fwrite(buf, 1, len, f) != len || fclose(f) ? -EIO : 0;
		free(buf);
	}
	if (state)
		unlink(state);
	rmdir(dir);
	free(out);
	free(state);
	free(dir);
	return err;
}

int main(int argc, char **argv)
{
	char tmp[] = "/tmp/vmm-fuzz-seed-XXXXXX";
	int err;

	if (argc != 2) {
		fprintf(stderr, "usage: %s CORPUS-DIR\n", argv[0]);
		return 2;
	}
	if (!mkdtemp(tmp)) {
		perror("mkdtemp");
		return 1;
	}
	err = write_seed(tmp, argv[1], "empty", 0);
	if (!err)
		err = write_seed(tmp, argv[1], "small", 3);
	if (!err)
		err = write_seed(tmp, argv[1], "vm", 8);
	rmdir(tmp);
	if (err) {
		fprintf(stderr, "%s: cannot write the seeds: %s\n", argv[0], strerror(-err));
		return 1;
	}
	return 0;
}
#endif
