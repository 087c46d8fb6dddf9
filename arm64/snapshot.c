/*
 * The arm64 part of a snapshot (docs/snapshot.md): the host section, the
 * vcpu and GIC sections, and restoring them in the order KVM needs
 * (vmm/restore.c calls these hooks). The config section's arm64 fields are
 * in snapshot-config.c, the host checks in snapshot-check.c.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arm64/arm64.h"
#include "arm64/caps.h"
#include "arm64/cpuid.h"
#include "arm64/vcpu-state.h"
#include "vmm/persist.h"
#include "vmm/snapshot.h"
#include "vmm/vm.h"
#include "vmm/vmstate.h"

/* The caps of this host, as `vmm caps --json` prints them (informational). */
int arch__save_host(struct snap_writer *w)
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
		err = vmstate__add_pbuf(w, SNAP_SEC_VCPU, i, SNAP_VER_VCPU, &b);
		if (err)
			return err;
	}
	return 0;
}

int arch__save_state(struct vm *vm, struct snap_writer *w)
{
	struct pbuf b;
	int err = save_vcpus(vm, w);

	if (err)
		return err;
	if (vm->arch.cpu_plan_text) {
		err = snap__add(w, SNAP_SEC_CPU_PLAN, 0, SNAP_VER_CPU_PLAN, vm->arch.cpu_plan_text,
				vm->arch.cpu_plan_len);
		if (err) {
			pr_err("snapshot: cannot add the cpu plan section: %s", strerror(-err));
			return err;
		}
	}
	pbuf__init(&b);
	err = gic__save(vm, &b);
	if (err) {
		pbuf__free(&b);
		return err;
	}
	return vmstate__add_pbuf(w, SNAP_SEC_GIC, 0, SNAP_VER_GIC, &b);
}

/*
 * The plan a VM was started with (optional): its registers are in the vcpu
 * sections, so it is only checked to be a plan, kept, and saved again.
 */
static int read_cpu_plan(const struct snap_reader *r, struct arch_saved_state *st, char *err,
			 size_t errlen)
{
	const struct snap_section *sec = snap__find(r, SNAP_SEC_CPU_PLAN, 0);
	struct cpu_plan *plan;
	char why[256];
	int ret;

	if (!sec)
		return 0;
	plan = malloc(sizeof(*plan));
	if (!plan)
		return -VMM_ERR_INTERNAL;
	ret = cpuplan__parse((const char *)sec->data, sec->len, plan, why, sizeof(why));
	free(plan);
	if (ret == -VMM_ERR_INPUT)
		snprintf(err, errlen, "section cpu plan: %s", why);
	else if (!ret)
		st->cpu_plan = sec;
	return ret;
}

/* Each vcpu section, which must agree with the config's features and VL set. */
int arch__read_saved(const struct snap_reader *r, const struct vm_saved_config *c,
		     struct arch_saved_state *st, char *err, size_t errlen)
{
	memset(st, 0, sizeof(*st));
	st->vcpus = calloc(c->nr_vcpus, sizeof(*st->vcpus));
	if (!st->vcpus)
		return -VMM_ERR_INTERNAL;
	st->nr_vcpus = c->nr_vcpus;
	for (unsigned i = 0; i < c->nr_vcpus; i++) {
		const struct snap_section *sec = snap__find(r, SNAP_SEC_VCPU, i);
		struct vcpu_state *v = &st->vcpus[i];
		int ret;

		if (!sec) {
			snprintf(err, errlen, "section vcpu %u: missing", i);
			return -VMM_ERR_INPUT;
		}
		ret = vcpu_state__parse(sec->data, sec->len, v, err, errlen);
		if (ret)
			return ret;
		if (v->vcpu_id != i || v->vls != c->arch.sve_set ||
		    memcmp(v->features, c->arch.features, sizeof(v->features))) {
			snprintf(err, errlen, "section vcpu %u: does not match the config", i);
			return -VMM_ERR_INPUT;
		}
	}
	st->gic = snap__find(r, SNAP_SEC_GIC, 0);
	if (!st->gic) {
		snprintf(err, errlen, "section gic: missing");
		return -VMM_ERR_INPUT;
	}
	return read_cpu_plan(r, st, err, errlen);
}

void arch__free_saved(struct arch_saved_state *st)
{
	for (unsigned i = 0; st->vcpus && i < st->nr_vcpus; i++)
		vcpu_state__free(&st->vcpus[i]);
	free(st->vcpus);
	memset(st, 0, sizeof(*st));
}

/* Restore steps 4 and 5: every register but VLS, then mp_state; then the GIC. */
int arch__restore_state(struct vm *vm, const struct arch_saved_state *st, char *err,
			size_t errlen)
{
	struct preader r;
	uint64_t counter;
	int ret = 0;

	for (unsigned i = 0; !ret && i < vm->nr_vcpus; i++)
		ret = vcpu_state__restore(&vm->vcpus[i], &st->vcpus[i]);
	if (ret)
		return ret;
	/* A snapshot of this VM keeps the plan it was started with. */
	if (st->cpu_plan) {
		vm->arch.cpu_plan_text = malloc(st->cpu_plan->len ? st->cpu_plan->len : 1);
		if (!vm->arch.cpu_plan_text)
			return -VMM_ERR_INTERNAL;
		memcpy(vm->arch.cpu_plan_text, st->cpu_plan->data, st->cpu_plan->len);
		vm->arch.cpu_plan_len = st->cpu_plan->len;
	}
	/* Guest time goes on from the saved counter when the vcpus first run. */
	if (vcpu_state__counter(&st->vcpus[0], &counter) == 0)
		arch__freeze_time_at(vm, counter);
	preader__init(&r, st->gic->data, st->gic->len);
	return gic__restore(vm, &r, err, errlen);
}
