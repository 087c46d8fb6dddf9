/* The VM: /dev/kvm, the VM file descriptor, guest RAM, stopping. */
#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "vmm/dirty.h"
#include "vmm/vm.h"

int kvm__open(struct vm *vm)
{
	int version;

	vm->kvm_fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (vm->kvm_fd < 0) {
		pr_err("cannot open /dev/kvm: %s", strerror(errno));
		return -VMM_ERR_HOST;
	}
	version = ioctl(vm->kvm_fd, KVM_GET_API_VERSION, 0);
	if (version != KVM_API_VERSION) {
		pr_err("KVM API version %d, vmm needs %d", version, KVM_API_VERSION);
		return -VMM_ERR_HOST;
	}
	vm->run_size = ioctl(vm->kvm_fd, KVM_GET_VCPU_MMAP_SIZE, 0);
	if (vm->run_size <= 0) {
		pr_err("KVM_GET_VCPU_MMAP_SIZE: %s", strerror(errno));
		return -VMM_ERR_INTERNAL;
	}
	return 0;
}

/* The value of a KVM capability, on the VM when there is one (0 when absent). */
int kvm__check_cap(struct vm *vm, long cap)
{
	int fd = vm->vm_fd >= 0 ? vm->vm_fd : vm->kvm_fd;
	int ret = ioctl(fd, KVM_CHECK_EXTENSION, cap);

	return ret < 0 ? 0 : ret;
}

int vm__create(struct vm *vm, unsigned ipa_bits)
{
	unsigned long type;
	int err = arch__vm_type(vm, ipa_bits, &type);

	if (err)
		return err;
	vm->vm_fd = ioctl(vm->kvm_fd, KVM_CREATE_VM, type);
	if (vm->vm_fd < 0) {
		pr_err("KVM_CREATE_VM with a %u-bit IPA space: %s", ipa_bits, strerror(errno));
		return errno == EINVAL ? -VMM_ERR_HOST : -VMM_ERR_INTERNAL;
	}
	vm->ipa_bits = ipa_bits;
	return 0;
}

/*
 * An anonymous mapping of size bytes at a 2 MiB aligned address: with the
 * guest's RAM base 2 MiB aligned too, transparent huge pages can back it
 * and KVM can map the guest's memory in 2 MiB blocks (far fewer faults).
 */
static void *map_aligned(uint64_t size)
{
	uint8_t *p = mmap(NULL, size + SZ_2M, PROT_READ | PROT_WRITE,
			  MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	uint8_t *start;
	size_t head;

	if (p == MAP_FAILED)
		return NULL;
	start = (uint8_t *)align_up((uintptr_t)p, SZ_2M);
	head = (size_t)(start - p);
	if (head)
		munmap(p, head);
	munmap(start + size, SZ_2M - head);
	return start;
}

void *vm__map_ram(uint64_t size)
{
	void *ram = map_aligned(size);

	if (ram)
		madvise(ram, size, MADV_HUGEPAGE);
	return ram;
}

int vm__setup_ram(struct vm *vm, uint64_t size)
{
	void *ram = map_aligned(size);

	if (!ram) {
		pr_err("cannot map %llu MiB of guest memory: %s",
		       (unsigned long long)(size >> 20), strerror(errno));
		return -VMM_ERR_HOST;
	}
	/* KSM merging lets one VM time another's memory: only when asked (--ksm) */
	if (vm->cfg->ksm)
		madvise(ram, size, MADV_MERGEABLE);
	madvise(ram, size, MADV_HUGEPAGE);
	pr_debug("guest RAM at host 0x%lx-0x%lx", (unsigned long)(uintptr_t)ram,
		 (unsigned long)((uintptr_t)ram + size));
	return vm__register_ram(vm, ram, size);
}

int vm__register_ram(struct vm *vm, void *ram, uint64_t size)
{
	struct kvm_userspace_memory_region region;

	region = (struct kvm_userspace_memory_region){
		.slot = 0,
		.guest_phys_addr = arch__ram_base(),
		.memory_size = size,
		.userspace_addr = (uintptr_t)ram,
	};
	vm->dirty = dirty_log__new(region.guest_phys_addr, size);
	if (!vm->dirty) {
		pr_err("cannot allocate the dirty log of %llu MiB of RAM",
		       (unsigned long long)(size >> 20));
		munmap(ram, size);
		return -VMM_ERR_INTERNAL;
	}
	if (ioctl(vm->vm_fd, KVM_SET_USER_MEMORY_REGION, &region) < 0) {
		pr_err("KVM_SET_USER_MEMORY_REGION: %s", strerror(errno));
		munmap(ram, size);
		return -VMM_ERR_INTERNAL;
	}
	vm->ram = ram;
	vm->ram_base = region.guest_phys_addr;
	vm->ram_size = size;
	return 0;
}

void *vm__gpa_to_host(struct vm *vm, uint64_t gpa, uint64_t len)
{
	if (gpa < vm->ram_base || len > vm->ram_size || gpa - vm->ram_base > vm->ram_size - len)
		return NULL;
	return vm->ram + (gpa - vm->ram_base);
}

void vm__request_stop(struct vm *vm, int status)
{
	uint64_t one = 1;

	pthread_mutex_lock(&vm->lock);
	if (!vm->stopping) {
		vm->stopping = true;
		vm->exit_status = status;
		pthread_cond_broadcast(&vm->cond);
	}
	pthread_mutex_unlock(&vm->lock);
	if (write(vm->stop_fd, &one, sizeof(one)) < 0)
		pr_debug("stop eventfd: %s", strerror(errno));
}

/* Guest RAM pages present in memory, in KiB. */
static unsigned long ram_resident_kib(struct vm *vm)
{
	long page = sysconf(_SC_PAGESIZE);
	size_t pages = vm->ram_size / page, resident = 0;
	unsigned char *vec = malloc(pages);

	if (!vec || mincore(vm->ram, vm->ram_size, vec) < 0) {
		free(vec);
		return 0;
	}
	for (size_t i = 0; i < pages; i++)
		resident += vec[i] & 1;
	free(vec);
	return resident * (page / 1024);
}

/* For make bench: vmm's own memory is its peak RSS less the guest's RAM. */
static void report_memory(struct vm *vm)
{
	char line[128];
	unsigned long hwm = 0;
	FILE *f;

	if (!vmm_debug || !vm->ram || !(f = fopen("/proc/self/status", "r")))
		return;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "VmHWM: %lu kB", &hwm) == 1)
			break;
	fclose(f);
	pr_debug("peak RSS %lu KiB, guest RAM resident %lu KiB", hwm, ram_resident_kib(vm));
}

/*
 * The vcpus, the irqchip and the VM fd closed first, so that KVM frees the
 * guest's stage-2 tables in one go; then unmapping guest RAM is a plain
 * munmap, not a stage-2 unmap and TLB flush per page of it.
 */
static void close_vm(struct vm *vm)
{
	for (unsigned i = 0; vm->vcpus && i < vm->nr_vcpus; i++) {
		struct vcpu *vcpu = &vm->vcpus[i];

		if (vcpu->run)
			munmap(vcpu->run, vm->run_size);
		if (vcpu->fd >= 0)
			close(vcpu->fd);
		vcpu->run = NULL;
		vcpu->fd = -1;
	}
	arch__vm_close(vm);
	if (vm->vm_fd >= 0)
		close(vm->vm_fd);
	vm->vm_fd = -1;
}

void vm__destroy(struct vm *vm)
{
	report_memory(vm);
	close_vm(vm);
	if (vm->ram)
		munmap(vm->ram, vm->ram_size);
	if (vm->kvm_fd >= 0)
		close(vm->kvm_fd);
	dirty_log__free(vm->dirty);
	vm->dirty = NULL;
	vm->ram = NULL;
	vm->kvm_fd = -1;
}
