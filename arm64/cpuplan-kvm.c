/*
 * `vmm run --cpu-plan PLAN.json` (docs/caps.md, "Running a plan"): before
 * the VM exists, this host is checked against the plan on a scratch vcpu
 * (cpuplan__check_host) and the plan's VL set and vcpu features are
 * chosen; after each vcpu's KVM_ARM_VCPU_INIT (and SVE finalize), the
 * plan's ID register fields are written and read back.
 */
#include <errno.h>
#include <linux/kvm.h>
#include <stdlib.h>
#include <string.h>

#include "arm64/arm64.h"
#include "arm64/caps.h"
#include "arm64/cpuid.h"
#include "arm64/cpuplan-kvm.h"
#include "vmm/vm.h"

#define PTRAUTH_BITS ((1u << KVM_ARM_VCPU_PTRAUTH_ADDRESS) | (1u << KVM_ARM_VCPU_PTRAUTH_GENERIC))

/* --sve-vls (or --sve-max-vl), when given, must pick the plan's set. */
static int check_vls(struct vm *vm, const struct cpu_plan *plan, const char *path)
{
	char want[96], got[96];

	if (vm->cfg->arch.sve.kind == SVE_REQ_DEFAULT) {
		vm->arch.sve_set = plan->sve;
		return 0;
	}
	if (vm->arch.sve_set == plan->sve)
		return 0;
	sve__format_set(plan->sve, want, sizeof(want));
	sve__format_set(vm->arch.sve_set, got, sizeof(got));
	pr_err("--cpu-plan %s: its VL set is %s, --sve-vls gives %s", path, want, got);
	return -VMM_ERR_INPUT;
}

/* The PMU and pointer auth are the plan's: the options may not say otherwise. */
static int check_features(const struct vm *vm, const struct cpu_plan *plan, const char *path)
{
	bool pmu = plan->vcpu_features & (1u << KVM_ARM_VCPU_PMU_V3);
	bool ptrauth = (plan->vcpu_features & PTRAUTH_BITS) == PTRAUTH_BITS;

	if (pmu != vm->cfg->arch.pmu) {
		pr_err("--cpu-plan %s: the plan %s a PMU: %s --pmu", path,
		       pmu ? "gives" : "has no", pmu ? "add" : "leave out");
		return -VMM_ERR_INPUT;
	}
	if (!ptrauth && (plan->vcpu_features & PTRAUTH_BITS)) {
		pr_err("--cpu-plan %s: the plan has only one half of pointer authentication", path);
		return -VMM_ERR_INPUT;
	}
	if (ptrauth && vm->cfg->arch.no_ptrauth) {
		pr_err("--cpu-plan %s: the plan gives pointer authentication: leave out --no-ptrauth",
		       path);
		return -VMM_ERR_INPUT;
	}
	return 0;
}

/* Can this host give the plan? Read as `vmm caps` reads it (a scratch vcpu). */
static int check_host(const struct cpu_plan *plan, const char *path)
{
	struct host_caps *caps = malloc(sizeof(*caps));
	char err[512];
	int ret;

	if (!caps)
		return -VMM_ERR_INTERNAL;
	ret = caps__probe(caps);	/* says why itself */
	if (!ret) {
		ret = cpuplan__check_host(plan, &caps->cpu, caps->sve, err, sizeof(err));
		if (ret)
			pr_err("--cpu-plan %s: %s", path, err);
	}
	free(caps);
	return ret;
}

int cpuplan__prepare(struct vm *vm)
{
	const char *path = vm->cfg->arch.cpu_plan;
	struct cpu_plan *plan;
	char err[512];
	int ret;

	if (!path || vm->restoring)
		return 0;
	plan = malloc(sizeof(*plan));
	if (!plan)
		return -VMM_ERR_INTERNAL;
	ret = cpuplan__load_text(path, plan, &vm->arch.cpu_plan_text, &vm->arch.cpu_plan_len, err,
				 sizeof(err));
	if (ret)
		pr_err("--cpu-plan %s", err);
	ret = ret ? ret : check_vls(vm, plan, path);
	ret = ret ? ret : check_features(vm, plan, path);
	ret = ret ? ret : check_host(plan, path);
	if (ret) {
		free(plan);
		free(vm->arch.cpu_plan_text);
		vm->arch.cpu_plan_text = NULL;
		return ret;
	}
	vm->arch.cpu_plan = plan;
	return 0;
}

bool cpuplan__gives(const struct vm *vm, unsigned feature)
{
	return vm->arch.cpu_plan->vcpu_features & (1u << feature);
}

/* Writes the plan's bits of one register, keeping the vcpu's others, and reads it back. */
static int apply_reg(struct vcpu *vcpu, const struct cpu_plan *plan, unsigned idx)
{
	uint64_t id = idregs__reg_id(idx), now, want, back;
	char name[48];
	int err = arm64__get_reg(vcpu->fd, id, &now);

	idregs__name(idx, name, sizeof(name));
	if (err) {
		pr_err("vcpu %u: --cpu-plan: cannot read %s: %s", vcpu->id, name, strerror(-err));
		return -VMM_ERR_HOST;
	}
	want = (now & ~plan->mask[idx]) | (plan->value[idx] & plan->mask[idx]);
	if (want == now)
		return 0;
	err = arm64__set_reg(vcpu->fd, id, &want);
	if (!err)
		err = arm64__get_reg(vcpu->fd, id, &back);
	if (err || back != want) {
		pr_err("vcpu %u: --cpu-plan: %s is 0x%llx here, KVM %s 0x%llx%s%s", vcpu->id, name,
		       (unsigned long long)now, err ? "refused" : "did not keep",
		       (unsigned long long)want, err ? ": " : "", err ? strerror(-err) : "");
		return -VMM_ERR_HOST;
	}
	return 0;
}

int cpuplan__apply(struct vcpu *vcpu)
{
	const struct cpu_plan *plan = vcpu->vm->arch.cpu_plan;
	unsigned written = 0;
	int err = 0;

	for (unsigned idx = 0; plan && plan->has_cpu && idx < IDREG_COUNT && !err; idx++) {
		if (!plan->planned[idx] || !plan->mask[idx])
			continue;
		err = apply_reg(vcpu, plan, idx);
		written++;
	}
	if (plan)
		pr_debug("vcpu %u: --cpu-plan: %u ID registers checked", vcpu->id, written);
	return err;
}
