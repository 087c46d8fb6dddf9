/* `vmm snapshot-info DIR [--json] [--regs]`: what a snapshot holds. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "vmm/commands.h"
#include "vmm/json.h"
#include "vmm/snapchain.h"
#include "vmm/snapshot.h"
#include "vmm/util.h"
#include "vmm/vmstate.h"

/* The GIC's and devices' sections, as hex, for comparing two snapshots. */
static void print_other_state(const struct snap_reader *r)
{
	for (unsigned i = 0; i < r->nr_sections; i++) {
		const struct snap_section *sec = &r->sections[i];

		if (sec->id != SNAP_SEC_GIC && sec->id != SNAP_SEC_DEVICE)
			continue;
		printf("%s %u ", snap__section_name(sec->id), sec->instance);
		for (size_t b = 0; b < sec->len; b++)
			printf("%02x", sec->data[b]);
		printf("\n");
	}
}

static void print_regs(const struct snap_reader *r, unsigned nr_vcpus)
{
	arch__info_regs(r, nr_vcpus);
	print_other_state(r);
}

static unsigned long long allocated_kib(const char *dir, bool incr)
{
	char *path = incr ? snap__memory_incr_path(dir) : snap__memory_path(dir);
	struct stat st;
	unsigned long long kib = 0;

	if (path && stat(path, &st) == 0)
		kib = (unsigned long long)st.st_blocks / 2;
	free(path);
	return kib;
}

/*
 * The devices the VM was started with (SNAP_SEC_DEVICES). Paths and names
 * come from the snapshot: control characters are escaped, so that terminal
 * escapes cannot hide or fake them.
 */
static void print_devices(const struct saved_devices *d)
{
	printf("console: %s\n", d->console == CONSOLE_VIRTIO ? "virtio" : "serial");
	for (unsigned i = 0; i < d->nr_disks; i++) {
		fputs("disk: ", stdout);
		fput_printable(d->disks[i].path, stdout);
		printf(" (%s, %llu bytes)\n", d->disks[i].ro ? "ro" : "rw",
		       (unsigned long long)d->disks[i].size);
	}
	for (unsigned i = 0; i < d->nr_nets; i++) {
		const uint8_t *m = d->nets[i].mac;

		fputs("net: tap ", stdout);
		fput_printable(d->nets[i].tap, stdout);
		printf(", mac %02x:%02x:%02x:%02x:%02x:%02x\n", m[0], m[1], m[2], m[3], m[4], m[5]);
	}
	if (d->rng)
		printf("rng: yes\n");
}

/* What the chain section says: the id, full or which increment, the pages held. */
static void print_chain_text(const struct snap_chain *own, const struct snap_links *l)
{
	char hex[2 * SNAP_ID_BYTES + 1];

	if (!own->pages) {
		printf("id: none (an older vmm's snapshot: full)\n");
		return;
	}
	snapchain__id_hex(own->id, hex);
	printf("id: %s\n", hex);
	if (!own->depth) {
		printf("chain: full snapshot\n");
		return;
	}
	printf("chain: increment %u, %llu of %llu pages\n", own->depth,
	       (unsigned long long)own->nr_held, (unsigned long long)own->pages);
	for (unsigned i = 1; l && i < l->nr; i++) {
		snapchain__id_hex(l->link[i].chain.id, hex);
		printf("  base %u: ", i);
		fput_printable(l->link[i].dir, stdout);
		printf(" (%s%.0u, id %s)\n", l->link[i].chain.depth ? "increment " : "full",
		       l->link[i].chain.depth, hex);
	}
}

static void print_chain_json(const struct snap_chain *own, const struct snap_links *l)
{
	char hex[2 * SNAP_ID_BYTES + 1];

	if (!own->pages)
		return;
	snapchain__id_hex(own->id, hex);
	printf("  \"id\": \"%s\",\n  \"depth\": %u,\n  \"held_pages\": %llu,\n  \"chain\": [",
	       hex, own->depth, (unsigned long long)own->nr_held);
	for (unsigned i = 1; l && i < l->nr; i++) {
		snapchain__id_hex(l->link[i].chain.id, hex);
		printf("%s{\"dir\": ", i > 1 ? ", " : "");
		json__write_string(stdout, l->link[i].dir);
		printf(", \"id\": \"%s\", \"depth\": %u}", hex, l->link[i].chain.depth);
	}
	printf("],\n");
}

static void print_text(const struct snap_reader *r, const struct vm_saved_config *c,
		       const struct snap_chain *own, const struct snap_links *l)
{
	fputs("snapshot ", stdout);
	fput_printable(r->dir, stdout);
	printf("\nformat: %u.%u\nname: ", r->major, r->minor);
	fput_printable(c->name, stdout);
	putchar('\n');
	arch__info_host(r, false);
	arch__info_config(&c->arch, false);
	printf("vcpus: %u\nmemory: %llu MiB (%llu KiB on disk)\nIPA size: %u bits\n",
	       c->nr_vcpus, (unsigned long long)(c->ram_size >> 20),
	       allocated_kib(r->dir, own->depth), c->ipa_bits);
	print_chain_text(own, l);
	print_devices(&c->dev);
	printf("sections:\n");
	for (unsigned i = 0; i < r->nr_sections; i++) {
		const struct snap_section *s = &r->sections[i];

		printf("  %-8s %4u  version %u  %8zu bytes  crc ok\n", snap__section_name(s->id),
		       s->instance, s->version, s->len);
	}
}

/* The same as JSON; every string escaped by json__write_string. */
static void print_json_devices(const struct saved_devices *d)
{
	printf("  \"disks\": [");
	for (unsigned i = 0; i < d->nr_disks; i++) {
		printf("%s{\"path\": ", i ? ", " : "");
		json__write_string(stdout, d->disks[i].path);
		printf(", \"ro\": %s, \"bytes\": %llu}", d->disks[i].ro ? "true" : "false",
		       (unsigned long long)d->disks[i].size);
	}
	printf("],\n  \"nets\": [");
	for (unsigned i = 0; i < d->nr_nets; i++) {
		const uint8_t *m = d->nets[i].mac;

		printf("%s{\"tap\": ", i ? ", " : "");
		json__write_string(stdout, d->nets[i].tap);
		printf(", \"mac\": \"%02x:%02x:%02x:%02x:%02x:%02x\"}", m[0], m[1], m[2], m[3],
		       m[4], m[5]);
	}
	printf("],\n");
}

static void print_json(const struct snap_reader *r, const struct vm_saved_config *c,
		       const struct snap_chain *own, const struct snap_links *l)
{
	printf("{\n  \"format\": \"%u.%u\",\n  \"name\": ", r->major, r->minor);
	json__write_string(stdout, c->name);
	printf(",\n");
	arch__info_config(&c->arch, true);
	printf("  \"vcpus\": %u,\n  \"memory_bytes\": %llu,\n  \"ipa_bits\": %u,\n",
	       c->nr_vcpus, (unsigned long long)c->ram_size, c->ipa_bits);
	arch__info_host(r, true);
	print_chain_json(own, l);
	print_json_devices(&c->dev);
	printf("  \"sections\": [");
	for (unsigned i = 0; i < r->nr_sections; i++) {
		const struct snap_section *s = &r->sections[i];

		printf("%s\n    {\"name\": \"%s\", \"instance\": %u, \"version\": %u, \"bytes\": %zu, \"crc\": \"ok\"}",
		       i ? "," : "", snap__section_name(s->id), s->instance, s->version, s->len);
	}
	printf("\n  ]\n}\n");
}

struct info_args {
	bool json, regs;
};

static int info_option(void *ctx, int id, char *arg, char *err, size_t errlen)
{
	struct info_args *a = ctx;

	if (id == INFO_OPT_JSON)
		a->json = true;
	else if (id == INFO_OPT_REGS)
		a->regs = true;
	return 0;
}

int snapinfo__main(int argc, char **argv)
{
	struct info_args a = { false, false };
	const char *dir;
	struct vm_saved_config c;
	struct snap_reader r;
	struct snap_chain own = { 0 };
	struct snap_links links;
	char err[1024];
	int first, ret, chain;

	ret = cmdline__parse(&commands__snapshot_info, argc, argv, info_option, &a, &first, err,
			     sizeof(err));
	if (ret == CMDLINE_HELP) {
		cmdline__print_help(&commands__snapshot_info, stdout);
		return 0;
	}
	if (ret) {
		pr_err("%s", err);
		return -ret;
	}
	dir = argv[first];
	ret = snap__open(dir, &r, err, sizeof(err));
	if (ret) {
		pr_err("snapshot %s: %s", dir, err);
		return -ret;
	}
	ret = vmstate__parse_config(&r, &c, err, sizeof(err));
	if (!ret) {
		ret = snapchain__read(&r, c.ram_size, &own, err, sizeof(err));
		ret = ret == 1 ? 0 : ret;
	}
	if (!ret) {
		char *memory = own.depth ? snap__memory_incr_path(dir) : snap__memory_path(dir);

		ret = memory ? vmstate__open_memory(memory, c.ram_size, err, sizeof(err)) :
			       -VMM_ERR_INTERNAL;
		if (ret >= 0) {
			close(ret);
			ret = 0;
		}
		free(memory);
	}
	if (ret) {
		pr_err("snapshot %s: %s", dir, err);
		snapchain__free(&own);
		snap__close(&r);
		return -ret;
	}
	/* A broken chain is shown as far as this snapshot, then named. */
	chain = a.regs ? 0 : snapchain__follow(&r, c.ram_size, &links, err, sizeof(err));
	if (a.regs)
		print_regs(&r, c.nr_vcpus);
	else if (a.json)
		print_json(&r, &c, &own, chain ? NULL : &links);
	else
		print_text(&r, &c, &own, chain ? NULL : &links);
	if (chain)
		pr_err("snapshot %s: %s", dir, err);
	else if (!a.regs)
		snapchain__free_links(&links);
	snapchain__free(&own);
	snap__close(&r);
	return -chain;
}
