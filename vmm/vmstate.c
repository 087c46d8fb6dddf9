/* Pause, resume and snapshot of a running VM, driven by the control socket. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "vmm/devices.h"
#include "vmm/persist.h"
#include "vmm/snapshot.h"
#include "vmm/vm.h"
#include "vmm/vmstate.h"

/* Vcpus first, so no guest request reaches a device that has stopped. */
static void pause_vm(struct vm *vm)
{
	vcpu__pause_all(vm);
	devices__pause(vm);
}

static void resume_vm(struct vm *vm)
{
	devices__resume(vm);
	vcpu__resume_all(vm);
}

int vmstate__pause(struct vm *vm, char *out, size_t outlen)
{
	pause_vm(vm);
	snprintf(out, outlen, "paused");
	return 0;
}

int vmstate__resume(struct vm *vm, char *out, size_t outlen)
{
	resume_vm(vm);
	snprintf(out, outlen, "running");
	return 0;
}

/*
 * u32 vcpus, u64 memory bytes, u32 IPA bits, the arch's fields (with the
 * flags word), str name.
 */
static void encode_config(const struct vm *vm, struct pbuf *b)
{
	const char *name = vm->cfg->name ? vm->cfg->name : "";

	pbuf__put_u32(b, vm->nr_vcpus);
	pbuf__put_u64(b, vm->ram_size);
	pbuf__put_u32(b, vm->ipa_bits);
	arch__save_config(vm, vm->cfg->testdev ? VMSTATE_CFG_TESTDEV : 0, b);
	pbuf__put_str(b, name);
}

static int config_fail(char *err, size_t errlen, const char *field)
{
	snprintf(err, errlen, "section config: bad %s", field);
	return -VMM_ERR_INPUT;
}

/*
 * Format 1.0 also wrote the memory size in a memory section: when there,
 * it must agree with the config's (1.1 no longer writes it).
 */
static int check_memory_section(const struct snap_reader *r, uint64_t ram_size, char *err,
				size_t errlen)
{
	const struct snap_section *sec = snap__find(r, SNAP_SEC_MEMORY, 0);
	struct preader p;
	uint64_t size;

	if (!sec)
		return 0;
	preader__init(&p, sec->data, sec->len);
	size = preader__get_u64(&p);
	if (preader__done(&p) && size == ram_size)
		return 0;
	snprintf(err, errlen, "section memory: %s%llu bytes, the config says %llu",
		 preader__done(&p) ? "" : "bad length; ", (unsigned long long)size,
		 (unsigned long long)ram_size);
	return -VMM_ERR_INPUT;
}

int vmstate__parse_config(const struct snap_reader *r, struct vm_saved_config *c,
			  char *err, size_t errlen)
{
	const struct snap_section *sec = snap__find(r, SNAP_SEC_CONFIG, 0);
	const char *field;
	struct preader p;
	uint32_t flags;

	memset(c, 0, sizeof(*c));
	if (snap__check_versions(r, err, errlen))
		return -VMM_ERR_INPUT;
	if (!sec)
		return config_fail(err, errlen, "section: missing");
	preader__init(&p, sec->data, sec->len);
	c->nr_vcpus = preader__get_u32(&p);
	c->ram_size = preader__get_u64(&p);
	c->ipa_bits = preader__get_u32(&p);
	flags = arch__read_config(&p, &c->arch);
	if (!preader__get_str(&p, c->name, sizeof(c->name)))
		return config_fail(err, errlen, "name");
	if (!preader__done(&p))
		return config_fail(err, errlen, "length");
	field = arch__check_config(c);
	if (field)
		return config_fail(err, errlen, field);
	c->testdev = flags & VMSTATE_CFG_TESTDEV;
	if (check_memory_section(r, c->ram_size, err, errlen))
		return -VMM_ERR_INPUT;
	return devcfg__parse(r, &c->dev, err, errlen);
}

int vmstate__check_memory(const char *path, uint64_t size, char *err, size_t errlen)
{
	struct stat st;

	if (stat(path, &st) < 0) {
		snprintf(err, errlen, "memory: %s", strerror(errno));
		return -VMM_ERR_INPUT;
	}
	if (!S_ISREG(st.st_mode) || (uint64_t)st.st_size != size) {
		snprintf(err, errlen, "memory: the file has %llu bytes, the config says %llu",
			 (unsigned long long)st.st_size, (unsigned long long)size);
		return -VMM_ERR_INPUT;
	}
	return 0;
}

int vmstate__add_pbuf(struct snap_writer *w, uint32_t id, uint32_t instance, uint32_t version,
		      struct pbuf *b)
{
	int err = b->failed ? -ENOMEM : snap__add(w, id, instance, version, b->data, b->len);

	if (err)
		pr_err("snapshot: cannot add the %s section: %s", snap__section_name(id),
		       strerror(-err));
	pbuf__free(b);
	return err;
}

static int save_all(struct vm *vm, struct snap_writer *w)
{
	struct pbuf b;
	int err;

	pbuf__init(&b);
	encode_config(vm, &b);
	err = vmstate__add_pbuf(w, SNAP_SEC_CONFIG, 0, SNAP_VER_CONFIG, &b);
	if (!err)
		err = arch__save_host(w);
	if (!err)
		err = arch__save_state(vm, w);	/* the vcpus, then the GIC */
	if (!err) {
		pbuf__init(&b);
		err = devcfg__save(vm->cfg, &b);
		err = err ? err : vmstate__add_pbuf(w, SNAP_SEC_DEVICES, 0, SNAP_VER_DEVICES, &b);
		if (err)
			pbuf__free(&b);
	}
	if (!err)
		err = devices__save(vm, w);
	if (!err && (err = snap__write_memory(w, vm->ram, vm->ram_size)))
		pr_err("snapshot: cannot write the memory file: %s", strerror(-err));
	return err;
}

/*
 * Pauses the VM (unless it is paused), writes the snapshot, then resumes
 * it, or ends it when asked to stop. A failed snapshot leaves no DIR and
 * the VM runs on.
 */
int vmstate__snapshot(struct vm *vm, const char *dir, bool stop, char *out, size_t outlen)
{
	bool was_paused = vm->pause_requested;
	struct snap_writer *w;
	double start = vmm_uptime_ms();
	int err;

	if (!was_paused)
		pause_vm(vm);
	err = snap__begin(dir, &w);
	if (err) {
		snprintf(out, outlen, "snapshot %s: %s", dir,
			 err == -EEXIST ? "already exists" : strerror(-err));
	} else {
		err = save_all(vm, w);
		if (err) {
			/* The component that failed said why on vmm's stderr. */
			snap__abort(w);
			snprintf(out, outlen, "snapshot %s: saving failed; the VM's log says why", dir);
		} else if ((err = snap__commit(w))) {
			snprintf(out, outlen, "snapshot %s: %s", dir, strerror(-err));
		}
	}
	if (err) {
		if (!was_paused)
			resume_vm(vm);
		return err == -EEXIST ? VMM_ERR_INPUT : VMM_ERR_INTERNAL;
	}
	pr_debug("snapshot %s written in %.1f ms", dir, vmm_uptime_ms() - start);
	snprintf(out, outlen, "saved %s", dir);
	if (stop)
		vm__request_stop(vm, VM_EXIT_POWEROFF);
	else if (!was_paused)
		resume_vm(vm);
	return 0;
}
