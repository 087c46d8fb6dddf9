/*
 * libFuzzer target: the GIC section's payload (gic__restore,
 * arm64/gic-state.c) against a VM of as many vcpus as the payload's header
 * says (1 to 8), each with MPIDR Aff0 = its index. KVM is not there: the
 * build wraps ioctl() (-Wl,--wrap=ioctl), and every device attribute write
 * succeeds, except that values ending in 0xbad are refused with EINVAL as
 * KVM refuses a value it cannot take. The restore either succeeds, having
 * consumed the whole payload, or fails with -2 (or -1 only for KVM's
 * refusal other than EINVAL, which this fake never gives) and one line
 * starting "gic"; anything else aborts.
 *
 * Built with -DFUZZ_SEED_MAIN: writes the real snapshot's GIC payload
 * (tests/fixtures/snapshot-1.0: one vcpu) into the corpus directory given.
 */
#include <errno.h>
#include <linux/kvm.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "arm64/arm64.h"
#include "vmm/persist.h"
#include "vmm/util.h"
#include "vmm/vm.h"

#define MAX_VCPUS 8

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int __wrap_ioctl(int fd, unsigned long req, ...);

int arm64__read_mpidr(struct vcpu *vcpu, uint64_t *mpidr)
{
	*mpidr = 0x80000000u | vcpu->id;	/* RES1 bit 31, Aff0 = index */
	return 0;
}

int __wrap_ioctl(int fd, unsigned long req, ...)
{
	struct kvm_device_attr *a;
	va_list ap;
	uint64_t v;

	va_start(ap, req);
	a = va_arg(ap, struct kvm_device_attr *);
	va_end(ap);
	if (req != KVM_SET_DEVICE_ATTR || !a->addr)
		return 0;
	/* the CPU interface's registers are 64 bits, the others 32 */
	v = a->group == KVM_DEV_ARM_VGIC_GRP_CPU_SYSREGS ? *(uint64_t *)(uintptr_t)a->addr :
							   *(uint32_t *)(uintptr_t)a->addr;
	if ((v & 0xfff) == 0xbad) {
		errno = EINVAL;
		return -1;
	}
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct vcpu vcpus[MAX_VCPUS] = { 0 };
	struct vm vm = { 0 };
	struct preader r;
	char err[256];
	uint32_t n = size >= 12 ? (uint32_t)get_le(data + 8, 4) : 1;
	int ret;

	vm.nr_vcpus = n >= 1 && n <= MAX_VCPUS ? n : 1;
	vm.vcpus = vcpus;
	vm.arch.gic_fd = 100;
	for (unsigned i = 0; i < MAX_VCPUS; i++) {
		vcpus[i].vm = &vm;
		vcpus[i].id = i;
		vcpus[i].fd = 200 + (int)i;
	}
	err[0] = '\0';
	preader__init(&r, data, size);
	ret = gic__restore(&vm, &r, err, sizeof(err));
	if (!ret && !preader__done(&r))
		abort();
	if (ret && (ret != -VMM_ERR_INPUT || strncmp(err, "gic", 3) || strchr(err, '\n')))
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
	return seed_sections(argv[1], SNAP_SEC_GIC, "", 0) ? 1 : 0;
}
#endif
