/*
 * libFuzzer target: the devices section's payload (devcfg__parse), then
 * what restore derives from it before opening anything (devcfg__expect,
 * with and without -d/-n backing). The first input byte picks the section
 * version (1 or 2, its low bit); the rest is the payload. Paths and tap
 * names that parse must be NUL-terminated and non-empty, counts within the
 * limits, tap names free of '/' and control characters; a failure is -2
 * with one line. The fuzzer never opens what a payload names.
 *
 * Built with -DFUZZ_SEED_MAIN: writes the real snapshot's devices payload
 * (tests/fixtures/snapshot-1.0, version 1) and a version 2 payload with a
 * disk and a tap into the corpus directory given.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "vmm/devcfg.h"
#include "vmm/snapshot.h"
#include "vmm/util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_fail(int ret, const char *err)
{
	if (ret != -VMM_ERR_INPUT || !err[0] || strchr(err, '\n'))
		abort();
}

static void check_parsed(const struct saved_devices *d)
{
	if (d->nr_disks > VMM_MAX_DISKS || d->nr_nets > VMM_MAX_NETS ||
	    d->console > CONSOLE_VIRTIO || !memchr(d->boot_id, '\0', sizeof(d->boot_id)))
		abort();
	for (unsigned i = 0; i < d->nr_disks; i++)
		if (!memchr(d->disks[i].path, '\0', sizeof(d->disks[i].path)) ||
		    !d->disks[i].path[0])
			abort();
	for (unsigned i = 0; i < d->nr_nets; i++) {
		const char *t = d->nets[i].tap;

		if (!memchr(t, '\0', sizeof(d->nets[i].tap)) || !t[0] || strchr(t, '/'))
			abort();
		for (; *t; t++)
			if ((unsigned char)*t < 0x20)
				abort();
	}
}

/* What restore derives: the snapshot's own backing, then named backing. */
static void check_expect(struct saved_devices *d)
{
	struct restore_backing b = { .nr_disks = d->nr_disks, .nr_nets = d->nr_nets };
	char err[256] = "";

	if (devcfg__expect(d, NULL, d->boot_id, err, sizeof(err)))
		abort();
	for (unsigned i = 0; i < d->nr_disks; i++) {
		if (d->expect[i].size != d->disks[i].size || d->expect[i].named ||
		    d->expect[i].same_file != (d->boot_id[0] != '\0'))
			abort();
		b.disks[i] = (struct disk_config){ "/nonexistent/disk", d->disks[i].ro };
	}
	for (unsigned i = 0; i < d->nr_nets; i++)
		b.taps[i] = "vmtap0";
	/* the counts and read-only flags match: always taken */
	if (devcfg__expect(d, &b, "", err, sizeof(err)))
		abort();
	for (unsigned i = 0; i < d->nr_disks; i++)
		if (!d->expect[i].named || strcmp(d->disks[i].path, "/nonexistent/disk"))
			abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct snap_section sec = { SNAP_SEC_DEVICES, 0, 1, NULL, 0 };
	struct snap_reader r = { .major = 1, .minor = 1, .nr_sections = 1, .sections = &sec };
	static struct saved_devices d;
	char err[256] = "";
	int ret;

	if (!size)
		return 0;
	sec.version = 1 + (data[0] & 1);
	sec.data = data + 1;
	sec.len = size - 1;
	ret = devcfg__parse(&r, &d, err, sizeof(err));
	if (ret) {
		check_fail(ret, err);
		if (strncmp(err, "section devices: bad ", 21))
			abort();
		return 0;
	}
	check_parsed(&d);
	check_expect(&d);
	return 0;
}

#ifdef FUZZ_SEED_MAIN
#include <stdio.h>

#include "seed-fixture.h"
#include "vmm/persist.h"

int main(int argc, char **argv)
{
	struct vm_config cfg = { .nr_disks = 1, .nr_nets = 1, .rng = true };
	const uint8_t v1 = 0, v2 = 1;
	struct pbuf b;
	int err;

	if (argc != 2) {
		fprintf(stderr, "usage: %s CORPUS-DIR\n", argv[0]);
		return 2;
	}
	cfg.disks[0] = (struct disk_config){ SEED_FIXTURE "/state", true };
	cfg.nets[0].tap = "tap0";
	pbuf__init(&b);
	err = devcfg__save(&cfg, &b) || b.failed;
	err = err || seed_file(argv[1], "v2-disk-tap", &v2, 1, b.data, b.len);
	pbuf__free(&b);
	return err || seed_sections(argv[1], SNAP_SEC_DEVICES, &v1, 1) ? 1 : 0;
}
#endif
