#ifndef VMM_TESTS_FUZZ_SEED_FIXTURE_H
#define VMM_TESTS_FUZZ_SEED_FIXTURE_H

/*
 * Seeds for the section payload fuzzers (built with -DFUZZ_SEED_MAIN, run
 * by `make fuzz` from the top directory): the payloads of a real snapshot,
 * tests/fixtures/snapshot-1.0 (a vmm 1.0 VM: config, host, vcpu, GIC,
 * devices and device sections), each in corpus/fixture-NAME-INSTANCE with
 * prefix (prefix_len bytes, e.g. a selector byte) in front.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vmm/snapshot.h"

#define SEED_FIXTURE "tests/fixtures/snapshot-1.0"

static int seed_file(const char *corpus, const char *name, const void *prefix, size_t prefix_len,
		     const uint8_t *data, size_t len)
{
	char path[4096];
	FILE *f;
	int bad;

	snprintf(path, sizeof(path), "%s/%s", corpus, name);
	f = fopen(path, "wb");
	if (!f)
		return -1;
	bad = fwrite(prefix, 1, prefix_len, f) != prefix_len || fwrite(data, 1, len, f) != len;
	return fclose(f) || bad ? -1 : 0;
}

/* Every payload of section id in the fixture; -1 when there is none. */
static int seed_sections(const char *corpus, uint32_t id, const void *prefix, size_t prefix_len)
{
	struct snap_reader r;
	char err[256], name[64];
	int n = 0, bad = 0;

	if (snap__open(SEED_FIXTURE, &r, err, sizeof(err))) {
		fprintf(stderr, "seed: %s: %s\n", SEED_FIXTURE, err);
		return -1;
	}
	for (unsigned i = 0; i < r.nr_sections; i++) {
		const struct snap_section *s = &r.sections[i];

		if (s->id != id)
			continue;
		snprintf(name, sizeof(name), "fixture-%s-%u", snap__section_name(id), s->instance);
		bad |= seed_file(corpus, name, prefix, prefix_len, s->data, s->len);
		n++;
	}
	snap__close(&r);
	if (!n || bad)
		fprintf(stderr, "seed: %s has no %s section, or a seed could not be written\n",
			SEED_FIXTURE, snap__section_name(id));
	return n && !bad ? 0 : -1;
}

#endif
