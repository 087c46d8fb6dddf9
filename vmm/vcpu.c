/* vcpus: one thread each, running KVM_RUN and handling its exits. */
#include <errno.h>
#include <linux/kvm.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "vmm/seccomp.h"
#include "vmm/vm.h"
#include "vmm/vmstate.h"

/*
 * A vcpu thread runs KVM_RUN and the MMIO handlers, a few KiB deep: 256 KiB
 * of stack instead of glibc's 8 MiB keeps the mapping (and what a deep
 * call leaves resident) small.
 */
#define VCPU_STACK_SIZE (256 << 10)

/* SIGUSR1 only interrupts KVM_RUN; the handler has nothing to do. */
#define SIG_VCPU_KICK SIGUSR1

static void kick_handler(int sig)
{
}

static int create_one(struct vm *vm, struct vcpu *vcpu, unsigned id)
{
	vcpu->vm = vm;
	vcpu->id = id;
	vcpu->fd = ioctl(vm->vm_fd, KVM_CREATE_VCPU, id);
	if (vcpu->fd < 0) {
		pr_err("KVM_CREATE_VCPU %u: %s", id, strerror(errno));
		return errno == EINVAL ? -VMM_ERR_HOST : -VMM_ERR_INTERNAL;
	}
	vcpu->run = mmap(NULL, vm->run_size, PROT_READ | PROT_WRITE, MAP_SHARED, vcpu->fd, 0);
	if (vcpu->run == MAP_FAILED) {
		pr_err("mmap of vcpu %u's kvm_run: %s", id, strerror(errno));
		vcpu->run = NULL;
		return -VMM_ERR_INTERNAL;
	}
	return arch__vcpu_init(vcpu);
}

int vcpu__create_all(struct vm *vm, unsigned n)
{
	int max = kvm__check_cap(vm, KVM_CAP_MAX_VCPUS);
	int err;

	if (max > 0 && n > (unsigned)max) {
		pr_err("%u vcpus cannot be given: this host's limit is %d", n, max);
		return -VMM_ERR_HOST;
	}
	vm->vcpus = calloc(n, sizeof(*vm->vcpus));
	if (!vm->vcpus)
		return -VMM_ERR_INTERNAL;
	for (unsigned i = 0; i < n; i++)
		vm->vcpus[i].fd = -1;
	vm->nr_vcpus = n;
	for (unsigned i = 0; i < n; i++) {
		err = create_one(vm, &vm->vcpus[i], i);
		if (err)
			return err;
	}
	return 0;
}

static void handle_mmio(struct vcpu *vcpu)
{
	struct kvm_run *run = vcpu->run;

	mmio__dispatch(&vcpu->vm->mmio, run->mmio.phys_addr, run->mmio.data,
		       run->mmio.len, run->mmio.is_write);
}

/* Returns true while the vcpu should keep running. */
static bool handle_system_event(struct vcpu *vcpu)
{
	switch (vcpu->run->system_event.type) {
	case KVM_SYSTEM_EVENT_SHUTDOWN:
		pr_debug("vcpu %u: the guest powered off", vcpu->id);
		vm__request_stop(vcpu->vm, VM_EXIT_POWEROFF);
		return false;
	case KVM_SYSTEM_EVENT_RESET:
		pr_debug("vcpu %u: the guest asked for a reset", vcpu->id);
		vm__request_stop(vcpu->vm, VM_EXIT_RESET);
		return false;
	default:
		pr_err("vcpu %u: the guest crashed (system event %u)", vcpu->id,
		       vcpu->run->system_event.type);
		vm__request_stop(vcpu->vm, VM_EXIT_CRASH);
		return false;
	}
}

static bool handle_exit(struct vcpu *vcpu)
{
	struct kvm_run *run = vcpu->run;

	switch (run->exit_reason) {
	case KVM_EXIT_MMIO:
		handle_mmio(vcpu);
		return true;
	case KVM_EXIT_SYSTEM_EVENT:
		return handle_system_event(vcpu);
	case KVM_EXIT_INTR:
		return true;
	case KVM_EXIT_FAIL_ENTRY:
		pr_err("vcpu %u: KVM could not enter the guest (reason 0x%llx)", vcpu->id,
		       (unsigned long long)run->fail_entry.hardware_entry_failure_reason);
		break;
	case KVM_EXIT_INTERNAL_ERROR:
		pr_err("vcpu %u: KVM internal error %u", vcpu->id, run->internal.suberror);
		break;
	default:
		pr_err("vcpu %u: unexpected exit reason %u", vcpu->id, run->exit_reason);
		break;
	}
	vm__request_stop(vcpu->vm, VM_EXIT_CRASH);
	return false;
}

/*
 * Called before each KVM_RUN. Waits while the VM is paused. Returns false
 * when the VM is stopping. Clearing immediate_exit under the lock, only
 * when no pause is asked for, keeps a kick from being lost: a kicker sets
 * pause_requested (or stopping) under the lock before it sets
 * immediate_exit and signals.
 */
static bool may_run(struct vcpu *vcpu)
{
	struct vm *vm = vcpu->vm;
	bool run;

	pthread_mutex_lock(&vm->lock);
	if (vm->pause_requested && !vm->stopping) {
		/*
		 * An MMIO read we just handled completes only inside KVM_RUN:
		 * enter once with immediate_exit so the saved state is whole.
		 */
		vcpu->run->immediate_exit = 1;
		if (ioctl(vcpu->fd, KVM_RUN, 0) == 0 || errno != EINTR)
			pr_debug("vcpu %u: KVM_RUN to complete an exit: %s", vcpu->id,
				 strerror(errno));
		vm->nr_paused++;
		pthread_cond_broadcast(&vm->cond);
		while (vm->pause_requested && !vm->stopping)
			pthread_cond_wait(&vm->cond, &vm->lock);
		vm->nr_paused--;
	}
	run = !vm->stopping;
	if (run)
		vcpu->run->immediate_exit = 0;
	pthread_mutex_unlock(&vm->lock);
	return run;
}

static void *vcpu_thread(void *arg)
{
	struct vcpu *vcpu = arg;
	sigset_t kick;

	sigemptyset(&kick);
	sigaddset(&kick, SIG_VCPU_KICK);
	pthread_sigmask(SIG_UNBLOCK, &kick, NULL);
	if (seccomp__enter(SECCOMP_THREAD_VCPU)) {
		vm__request_stop(vcpu->vm, VMM_ERR_INTERNAL);
		return NULL;
	}
	if (vcpu->id == 0) {
		pr_debug("first KVM_RUN %.1f ms after start", vmm_uptime_ms());
		pthread_mutex_lock(&vcpu->vm->lock);
		vcpu->vm->vcpu0_running = true;
		pthread_cond_broadcast(&vcpu->vm->cond);
		pthread_mutex_unlock(&vcpu->vm->lock);
	}
	while (may_run(vcpu)) {
		if (ioctl(vcpu->fd, KVM_RUN, 0) < 0) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			/* A restored VM's memory file truncated under it: status 1 */
			if (errno == EFAULT && vmstate__memory_lost()) {
				vm__request_stop(vcpu->vm, VMM_ERR_INTERNAL);
				break;
			}
			pr_err("vcpu %u: KVM_RUN: %s", vcpu->id, strerror(errno));
			vm__request_stop(vcpu->vm, VM_EXIT_CRASH);
			break;
		}
		if (!handle_exit(vcpu))
			break;
	}
	return NULL;
}

int vcpu__start_all(struct vm *vm)
{
	struct sigaction sa = { .sa_handler = kick_handler };
	pthread_attr_t attr;
	int err = 0;

	/* No SA_RESTART: the kick must make KVM_RUN return EINTR. */
	sigaction(SIG_VCPU_KICK, &sa, NULL);
	pthread_attr_init(&attr);
	pthread_attr_setstacksize(&attr, VCPU_STACK_SIZE);
	for (unsigned i = 0; i < vm->nr_vcpus && !err; i++) {
		struct vcpu *vcpu = &vm->vcpus[i];

		err = pthread_create(&vcpu->thread, &attr, vcpu_thread, vcpu);
		if (err) {
			pr_err("cannot start vcpu %u's thread: %s", i, strerror(err));
			vm__request_stop(vm, VM_EXIT_CRASH);
			break;
		}
		vcpu->started = true;
	}
	pthread_attr_destroy(&attr);
	return err ? -VMM_ERR_INTERNAL : 0;
}

void vcpu__wait_first_run(struct vm *vm)
{
	pthread_mutex_lock(&vm->lock);
	while (!vm->vcpu0_running && !vm->stopping)
		pthread_cond_wait(&vm->cond, &vm->lock);
	pthread_mutex_unlock(&vm->lock);
}

/* Makes every started vcpu leave KVM_RUN (see may_run). */
static void kick_all(struct vm *vm)
{
	for (unsigned i = 0; i < vm->nr_vcpus; i++) {
		struct vcpu *vcpu = &vm->vcpus[i];

		if (!vcpu->started)
			continue;
		vcpu->run->immediate_exit = 1;
		pthread_kill(vcpu->thread, SIG_VCPU_KICK);
	}
}

static unsigned nr_started(struct vm *vm)
{
	unsigned n = 0;

	for (unsigned i = 0; i < vm->nr_vcpus; i++)
		n += vm->vcpus[i].started;
	return n;
}

void vcpu__pause_all(struct vm *vm)
{
	unsigned want = nr_started(vm);

	pthread_mutex_lock(&vm->lock);
	vm->pause_requested = true;
	pthread_mutex_unlock(&vm->lock);
	kick_all(vm);
	pthread_mutex_lock(&vm->lock);
	while (vm->nr_paused < want && !vm->stopping)
		pthread_cond_wait(&vm->cond, &vm->lock);
	pthread_mutex_unlock(&vm->lock);
	if (arch__freeze_time(vm))
		pr_err("guest time runs on while paused");
}

void vcpu__resume_all(struct vm *vm)
{
	if (arch__thaw_time(vm))
		pr_err("guest time jumped over the pause");
	pthread_mutex_lock(&vm->lock);
	vm->pause_requested = false;
	pthread_cond_broadcast(&vm->cond);
	pthread_mutex_unlock(&vm->lock);
}

/* Makes every vcpu leave KVM_RUN and joins its thread. */
void vcpu__stop_all(struct vm *vm)
{
	pthread_mutex_lock(&vm->lock);
	vm->stopping = true;
	pthread_cond_broadcast(&vm->cond);
	pthread_mutex_unlock(&vm->lock);
	kick_all(vm);
	for (unsigned i = 0; i < vm->nr_vcpus; i++) {
		if (vm->vcpus[i].started)
			pthread_join(vm->vcpus[i].thread, NULL);
		vm->vcpus[i].started = false;
	}
}
