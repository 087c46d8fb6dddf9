/* `vmm snapshot-info DIR [--json] [--regs]`: what a snapshot holds. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "arm64/caps.h"
#include "vmm/commands.h"
#include "vmm/snapshot.h"
#include "arm64/vcpu-state.h"
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
	for (unsigned v = 0; v < nr_vcpus; v++) {
		const struct snap_section *sec = snap__find(r, SNAP_SEC_VCPU, v);
		struct vcpu_state st;
		char err[256], name[48];

		if (!sec || vcpu_state__parse(sec->data, sec->len, &st, err, sizeof(err)))
			continue;
		for (unsigned i = 0; i < st.nr_regs; i++) {
			vcpu_state__reg_name(st.regs[i].id, name, sizeof(name));
			printf("vcpu %u %s 0x%llx ", v, name, (unsigned long long)st.regs[i].id);
			/* Most significant byte first, as the register reads. */
			for (uint32_t b = st.regs[i].len; b-- > 0;)
				printf("%02x", st.regs[i].value[b]);
			printf("\n");
		}
		printf("vcpu %u mp_state %u\n", v, st.mp_state);
		vcpu_state__free(&st);
	}
	print_other_state(r);
}

static unsigned long long allocated_kib(const char *dir)
{
	char *path = snap__memory_path(dir);
	struct stat st;
	unsigned long long kib = 0;

	if (path && stat(path, &st) == 0)
		kib = (unsigned long long)st.st_blocks / 2;
	free(path);
	return kib;
}

static void saved_on(const struct snap_reader *r, struct host_caps *h, bool *known)
{
	const struct snap_section *sec = snap__find(r, SNAP_SEC_HOST, 0);
	char err[256];

	*known = sec && !caps__parse_json((const char *)sec->data, sec->len, h, err, sizeof(err));
}

/* The devices the VM was started with (SNAP_SEC_DEVICES). */
static void print_devices(const struct saved_devices *d)
{
	printf("console: %s\n", d->console == CONSOLE_VIRTIO ? "virtio" : "serial");
	for (unsigned i = 0; i < d->nr_disks; i++)
		printf("disk: %s (%s, %llu bytes)\n", d->disks[i].path, d->disks[i].ro ? "ro" : "rw",
		       (unsigned long long)d->disks[i].size);
	for (unsigned i = 0; i < d->nr_nets; i++) {
		const uint8_t *m = d->nets[i].mac;

		printf("net: tap %s, mac %02x:%02x:%02x:%02x:%02x:%02x\n", d->nets[i].tap, m[0], m[1],
		       m[2], m[3], m[4], m[5]);
	}
	if (d->rng)
		printf("rng: yes\n");
}

static void print_text(const struct snap_reader *r, const struct vm_saved_config *c)
{
	struct host_caps h;
	char set[96];
	bool known;

	saved_on(r, &h, &known);
	printf("snapshot %s\nformat: %u.%u\n", r->dir, r->major, r->minor);
	if (known) {
		sve__format_set(h.sve, set, sizeof(set));
		printf("saved on: %s, kernel %s, SVE lengths %s, IPA limit %u bits\n", h.host,
		       h.kernel, h.sve ? set : "none", h.ipa_bits_max);
	}
	sve__format_set(c->sve_set, set, sizeof(set));
	printf("VL set: %s\n", c->sve_set ? set : "off");
	printf("vcpus: %u\nmemory: %llu MiB (%llu KiB on disk)\nIPA size: %u bits\n",
	       c->nr_vcpus, (unsigned long long)(c->ram_size >> 20), allocated_kib(r->dir),
	       c->ipa_bits);
	print_devices(&c->dev);
	printf("sections:\n");
	for (unsigned i = 0; i < r->nr_sections; i++) {
		const struct snap_section *s = &r->sections[i];

		printf("  %-8s %4u  version %u  %8zu bytes  crc ok\n", snap__section_name(s->id),
		       s->instance, s->version, s->len);
	}
}

static void print_json(const struct snap_reader *r, const struct vm_saved_config *c)
{
	struct host_caps h;
	char set[96];
	bool known;

	saved_on(r, &h, &known);
	sve__format_set(c->sve_set, set, sizeof(set));
	printf("{\n  \"format\": \"%u.%u\",\n", r->major, r->minor);
	printf("  \"vl_set\": [%s],\n", c->sve_set ? set : "");
	printf("  \"vcpus\": %u,\n  \"memory_bytes\": %llu,\n  \"ipa_bits\": %u,\n",
	       c->nr_vcpus, (unsigned long long)c->ram_size, c->ipa_bits);
	if (known) {
		sve__format_set(h.sve, set, sizeof(set));
		printf("  \"saved_on\": {\"kernel\": \"%s\", \"sve_lengths\": [%s], \"ipa_bits_max\": %u},\n",
		       h.kernel, h.sve ? set : "", h.ipa_bits_max);
	}
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
	char err[1024];
	int first, ret;

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
		char *memory = snap__memory_path(dir);

		ret = memory ? vmstate__check_memory(memory, c.ram_size, err, sizeof(err)) :
			       -VMM_ERR_INTERNAL;
		free(memory);
	}
	if (ret) {
		pr_err("snapshot %s: %s", dir, err);
		snap__close(&r);
		return -ret;
	}
	if (a.regs)
		print_regs(&r, c.nr_vcpus);
	else if (a.json)
		print_json(&r, &c);
	else
		print_text(&r, &c);
	snap__close(&r);
	return 0;
}
