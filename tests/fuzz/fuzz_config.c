/*
 * libFuzzer target: the config section's payload (vmstate__parse_config,
 * with the arch's fields, arm64/snapshot-config.c). The input is the
 * payload of a config section at the version this vmm writes. A parse
 * either succeeds with a config the rest of restore can take (a name that
 * fits, the arch's limits checked), or fails with -2 and one line naming
 * the section; anything else aborts.
 *
 * Built with -DFUZZ_SEED_MAIN: writes the real snapshot's config payload
 * (tests/fixtures/snapshot-1.0) into the corpus directory given.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "vmm/snapshot.h"
#include "vmm/util.h"
#include "vmm/vmstate.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct snap_section sec = { SNAP_SEC_CONFIG, 0, SNAP_VER_CONFIG, data, size };
	struct snap_reader r = { .major = 1, .minor = 1, .nr_sections = 1, .sections = &sec };
	struct vm_saved_config c;
	char err[256];
	int ret;

	err[0] = 'x';
	ret = vmstate__parse_config(&r, &c, err, sizeof(err));
	if (ret) {
		if (ret != -VMM_ERR_INPUT || strncmp(err, "section config: bad ", 20) ||
		    strchr(err, '\n'))
			abort();
		return 0;
	}
	if (memchr(c.name, '\0', sizeof(c.name)) == NULL || arch__check_config(&c) ||
	    c.dev.nr_disks || c.dev.nr_nets)
		abort();
	return 0;
}

#ifdef FUZZ_SEED_MAIN
#include <stdio.h>

#include "seed-fixture.h"

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: %s CORPUS-DIR\n", argv[0]);
		return 2;
	}
	return seed_sections(argv[1], SNAP_SEC_CONFIG, "", 0) ? 1 : 0;
}
#endif
