/* Pause, resume and snapshot of a running VM, driven by the control socket. */
#include <errno.h>
#include <linux/kvm.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "arm64/arm64.h"
#include "arm64/caps.h"
#include "vmm/devices.h"
#include "arm64/layout.h"
#include "vmm/persist.h"
#include "vmm/snapshot.h"
#include "arm64/vcpu-state.h"
#include "vmm/vm.h"
#include "vmm/vmstate.h"

enum { CFG_PMU = 1, CFG_TESTDEV = 2, CFG_PTRAUTH = 4 };

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

static bool has_feature(const struct vm *vm, unsigned f)
{
	return vm->arch.vcpu_features[f / 32] & (1u << (f % 32));
}

static void encode_config(const struct vm *vm, struct pbuf *b)
{
	const char *name = vm->cfg->name ? vm->cfg->name : "";
	uint32_t flags = 0;

	flags |= vm->cfg->arch.pmu ? CFG_PMU : 0;
	flags |= vm->cfg->testdev ? CFG_TESTDEV : 0;
	flags |= has_feature(vm, KVM_ARM_VCPU_PTRAUTH_ADDRESS) ? CFG_PTRAUTH : 0;
	pbuf__put_u32(b, vm->nr_vcpus);
	pbuf__put_u64(b, vm->ram_size);
	pbuf__put_u32(b, vm->ipa_bits);
	pbuf__put_u32(b, vm->arch.sve_set);
	for (int i = 0; i < 7; i++)
		pbuf__put_u32(b, vm->arch.vcpu_features[i]);
	pbuf__put_u32(b, flags);
	pbuf__put_u32(b, 3);			/* GIC version */
	pbuf__put_u32(b, GIC_NR_IRQS);
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
	struct preader p;
	uint32_t flags, sve;

	memset(c, 0, sizeof(*c));
	if (snap__check_versions(r, err, errlen))
		return -VMM_ERR_INPUT;
	if (!sec)
		return config_fail(err, errlen, "section: missing");
	preader__init(&p, sec->data, sec->len);
	c->nr_vcpus = preader__get_u32(&p);
	c->ram_size = preader__get_u64(&p);
	c->ipa_bits = preader__get_u32(&p);
	sve = preader__get_u32(&p);
	for (int i = 0; i < 7; i++)
		c->features[i] = preader__get_u32(&p);
	flags = preader__get_u32(&p);
	c->gic_version = preader__get_u32(&p);
	c->gic_nr_irqs = preader__get_u32(&p);
	if (!preader__get_str(&p, c->name, sizeof(c->name)))
		return config_fail(err, errlen, "name");
	if (!preader__done(&p))
		return config_fail(err, errlen, "length");
	if (c->nr_vcpus < 1 || c->nr_vcpus > VMM_MAX_VCPUS)
		return config_fail(err, errlen, "vcpu count");
	if (!c->ram_size || c->ram_size % SZ_4K || c->ram_size > (1ULL << 52) - RAM_BASE)
		return config_fail(err, errlen, "memory size");
	if (c->ipa_bits < VMM_MIN_IPA_BITS || c->ipa_bits > 52 ||
	    c->ipa_bits < layout__min_ipa_bits(c->ram_size))
		return config_fail(err, errlen, "IPA size");
	if (sve > 0xffff || (c->features[0] & (1u << KVM_ARM_VCPU_POWER_OFF)))
		return config_fail(err, errlen, "VL set or vcpu features");
	if (c->gic_version != 3 || c->gic_nr_irqs != GIC_NR_IRQS)
		return config_fail(err, errlen, "GIC version or size");
	c->sve_set = (vq_mask_t)sve;
	c->pmu = flags & CFG_PMU;
	c->testdev = flags & CFG_TESTDEV;
	c->ptrauth = flags & CFG_PTRAUTH;
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

/* The caps of this host, as `vmm caps --json` prints them (informational). */
static int add_host_section(struct snap_writer *w)
{
	struct host_caps caps;
	char *text = NULL;
	size_t len = 0;
	FILE *f;
	int err;

	if (caps__probe(&caps))
		return 0;	/* not needed to restore: leave it out */
	f = open_memstream(&text, &len);
	if (!f)
		return -ENOMEM;
	caps__print_json(f, &caps);
	fclose(f);
	err = snap__add(w, SNAP_SEC_HOST, 0, SNAP_VER_HOST, text, len);
	if (err)
		pr_err("snapshot: cannot add the host section: %s", strerror(-err));
	free(text);
	return err;
}

static int add_pbuf(struct snap_writer *w, uint32_t id, uint32_t instance, uint32_t version,
		    struct pbuf *b)
{
	int err = b->failed ? -ENOMEM : snap__add(w, id, instance, version, b->data, b->len);

	if (err)
		pr_err("snapshot: cannot add the %s section: %s", snap__section_name(id),
		       strerror(-err));
	pbuf__free(b);
	return err;
}

static int save_vcpus(struct vm *vm, struct snap_writer *w)
{
	for (unsigned i = 0; i < vm->nr_vcpus; i++) {
		struct pbuf b;
		unsigned sve_regs;
		int err;

		pbuf__init(&b);
		err = vcpu_state__save(&vm->vcpus[i], &b, &sve_regs);
		if (err) {
			pbuf__free(&b);
			return err;
		}
		pr_debug("vcpu %u: %zu bytes of registers, %u SVE register slices", i, b.len,
			 sve_regs);
		err = add_pbuf(w, SNAP_SEC_VCPU, i, SNAP_VER_VCPU, &b);
		if (err)
			return err;
	}
	return 0;
}

static int save_all(struct vm *vm, struct snap_writer *w)
{
	struct pbuf b;
	int err;

	pbuf__init(&b);
	encode_config(vm, &b);
	err = add_pbuf(w, SNAP_SEC_CONFIG, 0, SNAP_VER_CONFIG, &b);
	if (!err)
		err = add_host_section(w);
	if (!err)
		err = save_vcpus(vm, w);
	if (!err) {
		pbuf__init(&b);
		err = gic__save(vm, &b);
		err = err ? err : add_pbuf(w, SNAP_SEC_GIC, 0, SNAP_VER_GIC, &b);
		if (err)
			pbuf__free(&b);
	}
	if (!err) {
		pbuf__init(&b);
		err = devcfg__save(vm->cfg, &b);
		err = err ? err : add_pbuf(w, SNAP_SEC_DEVICES, 0, SNAP_VER_DEVICES, &b);
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
