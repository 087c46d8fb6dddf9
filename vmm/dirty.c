/*
 * Dirty tracking of guest RAM (see vmm/dirty.h): KVM's log of slot 0 for the
 * guest's writes, and a bitmap of vmm's own writes (dirty__mark, in
 * vmm/guest-mem.c), merged at each collect.
 */
#include <errno.h>
#include <linux/kvm.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "vmm/dirty.h"
#include "vmm/guest-mem.h"
#include "vmm/vm.h"

/* ---- the log ---- */

struct dirty_log *dirty_log__new(uint64_t base, uint64_t size)
{
	struct dirty_log *log = calloc(1, sizeof(*log));
	uint64_t host_page = (uint64_t)sysconf(_SC_PAGESIZE);

	if (!log)
		return NULL;
	log->base = base;
	log->pages = (size + DIRTY_PAGE_SIZE - 1) >> DIRTY_PAGE_SHIFT;
	log->words = dirty__words_for(size);
	/* KVM's bitmap: one bit a host page, in whole longs */
	log->kvm_words = (size_t)(((size + host_page - 1) / host_page + 63) / 64);
	log->bits = calloc(log->words ? log->words : 1, sizeof(uint64_t));
	log->kvm_bits = calloc(log->kvm_words ? log->kvm_words : 1, sizeof(uint64_t));
	if (!log->bits || !log->kvm_bits) {
		dirty_log__free(log);
		return NULL;
	}
	pthread_mutex_init(&log->lock, NULL);
	return log;
}

void dirty_log__free(struct dirty_log *log)
{
	if (!log)
		return;
	free(log->bits);
	free(log->kvm_bits);
	free(log);
}

void dirty_log__set_marking(struct dirty_log *log, bool on)
{
	if (on)
		for (size_t i = 0; i < log->words; i++)
			__atomic_store_n(&log->bits[i], 0, __ATOMIC_RELAXED);
	__atomic_store_n(&log->on, on, __ATOMIC_RELEASE);
}

uint64_t dirty_log__take(struct dirty_log *log, uint64_t *bitmap)
{
	uint64_t n = 0;

	for (size_t i = 0; i < log->words; i++) {
		uint64_t w = __atomic_exchange_n(&log->bits[i], 0, __ATOMIC_ACQ_REL);

		n += (uint64_t)__builtin_popcountll(w);
		bitmap[i] |= w;
	}
	return n;
}

uint64_t dirty__count(const uint64_t *bitmap, size_t words)
{
	uint64_t n = 0;

	for (size_t i = 0; i < words; i++)
		n += (uint64_t)__builtin_popcountll(bitmap[i]);
	return n;
}

uint64_t dirty__next(const uint64_t *bitmap, uint64_t pages, uint64_t from)
{
	uint64_t w = from / 64, bits;

	if (from >= pages)
		return pages;
	/* a word at a time: a bitmap of idle RAM is mostly zero words */
	for (bits = bitmap[w] & (~0ULL << (from % 64)); !bits; bits = bitmap[w])
		if (++w * 64 >= pages)
			return pages;
	from = w * 64 + (uint64_t)__builtin_ctzll(bits);
	return from < pages ? from : pages;
}

/*
 * Host pages (KVM's bits) as 4 KiB pages: each host bit sets ratio bits of
 * out (host pages are 4, 16 or 64 KiB, so ratio divides 64).
 */
void dirty__expand_host_bits(uint64_t *out, size_t out_words, const uint64_t *host,
			     size_t host_words, unsigned ratio)
{
	if (ratio == 1) {
		memcpy(out, host, (host_words < out_words ? host_words : out_words) * 8);
		return;
	}
	memset(out, 0, out_words * 8);
	for (size_t w = 0; w < host_words; w++)
		for (uint64_t bits = host[w]; bits; bits &= bits - 1) {
			uint64_t first = ((uint64_t)w * 64 + (uint64_t)__builtin_ctzll(bits)) * ratio;

			if (first / 64 >= out_words)
				return;
			out[first / 64] |= (ratio == 64 ? ~0ULL : ((1ULL << ratio) - 1)) << (first % 64);
		}
}

/* ---- KVM's side ---- */

static uint64_t host_pages(const struct vm *vm)
{
	return vm->ram_size / (uint64_t)sysconf(_SC_PAGESIZE);
}

/* Slot 0 as vm__register_ram made it, with flags. */
static int set_slot_flags(struct vm *vm, uint32_t flags)
{
	struct kvm_userspace_memory_region region = {
		.slot = 0,
		.flags = flags,
		.guest_phys_addr = vm->ram_base,
		.memory_size = vm->ram_size,
		.userspace_addr = (uintptr_t)vm->ram,
	};

	if (ioctl(vm->vm_fd, KVM_SET_USER_MEMORY_REGION, &region) < 0) {
		int err = -errno;

		pr_err("dirty tracking: KVM_SET_USER_MEMORY_REGION with flags 0x%x: %s",
		       flags, strerror(errno));
		return err;
	}
	return 0;
}

/*
 * Manual protection: KVM_GET_DIRTY_LOG no longer write-protects the pages it
 * reports, KVM_CLEAR_DIRTY_LOG does, for the pages we took. Without it,
 * GET_DIRTY_LOG write-protects the whole slot at each call.
 */
static bool enable_manual_protect(struct vm *vm)
{
	struct kvm_enable_cap cap = {
		.cap = KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2,
		.args[0] = KVM_DIRTY_LOG_MANUAL_PROTECT_ENABLE,
	};

	int have = ioctl(vm->vm_fd, KVM_CHECK_EXTENSION, KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2);

	if (have <= 0 || !(have & KVM_DIRTY_LOG_MANUAL_PROTECT_ENABLE))
		return false;
	if (ioctl(vm->vm_fd, KVM_ENABLE_CAP, &cap) < 0) {
		pr_debug("dirty tracking: KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2: %s", strerror(errno));
		return false;
	}
	return true;
}

int dirty__start(struct vm *vm)
{
	struct dirty_log *log = vm->dirty;
	int err = 0;

	if (!log)
		return -EINVAL;
	pthread_mutex_lock(&log->lock);
	log->generation++;
	if (!log->on) {
		log->manual_protect = enable_manual_protect(vm);
		/* ours first: from here on no write is missed */
		dirty_log__set_marking(log, true);
		err = set_slot_flags(vm, KVM_MEM_LOG_DIRTY_PAGES);
		if (err)
			dirty_log__set_marking(log, false);
		else
			pr_debug("dirty tracking on (%s protection)",
				 log->manual_protect ? "manual" : "automatic");
	}
	pthread_mutex_unlock(&log->lock);
	return err;
}

void dirty__stop(struct vm *vm)
{
	struct dirty_log *log = vm->dirty;

	if (!log)
		return;
	pthread_mutex_lock(&log->lock);
	if (log->on) {
		dirty_log__set_marking(log, false);
		if (set_slot_flags(vm, 0))
			pr_err("dirty tracking: slot 0 keeps logging");
	}
	pthread_mutex_unlock(&log->lock);
}

static int get_kvm_log(struct vm *vm, struct dirty_log *log)
{
	struct kvm_dirty_log get = { .slot = 0, .dirty_bitmap = log->kvm_bits };
	struct kvm_clear_dirty_log clear = {
		.slot = 0,
		.num_pages = (uint32_t)host_pages(vm),
		.first_page = 0,
		.dirty_bitmap = log->kvm_bits,
	};

	memset(log->kvm_bits, 0, log->kvm_words * 8);
	if (ioctl(vm->vm_fd, KVM_GET_DIRTY_LOG, &get) < 0) {
		pr_err("KVM_GET_DIRTY_LOG: %s", strerror(errno));
		return -errno;
	}
	if (log->manual_protect && dirty__count(log->kvm_bits, log->kvm_words) &&
	    ioctl(vm->vm_fd, KVM_CLEAR_DIRTY_LOG, &clear) < 0) {
		pr_err("KVM_CLEAR_DIRTY_LOG: %s", strerror(errno));
		return -errno;
	}
	return 0;
}

long dirty__collect(struct vm *vm, uint64_t *bitmap)
{
	struct dirty_log *log = vm->dirty;
	unsigned ratio = (unsigned)((uint64_t)sysconf(_SC_PAGESIZE) >> DIRTY_PAGE_SHIFT);
	uint64_t *found;
	long n = -EINVAL;

	if (!log)
		return -EINVAL;
	found = calloc(log->words ? log->words : 1, sizeof(uint64_t));
	if (!found)
		return -ENOMEM;
	pthread_mutex_lock(&log->lock);
	if (log->on) {
		n = get_kvm_log(vm, log);
		if (!n) {
			dirty__expand_host_bits(found, log->words, log->kvm_bits, log->kvm_words,
						ratio ? ratio : 1);
			dirty_log__take(log, found);
			n = (long)dirty__count(found, log->words);
			for (size_t i = 0; i < log->words; i++)
				bitmap[i] |= found[i];
		}
	}
	pthread_mutex_unlock(&log->lock);
	free(found);
	return n;
}

size_t dirty__bitmap_words(const struct vm *vm)
{
	return dirty__words_for(vm->ram_size);
}

bool dirty__tracking(const struct vm *vm)
{
	return vm->dirty && __atomic_load_n(&vm->dirty->on, __ATOMIC_ACQUIRE);
}

uint64_t dirty__generation(const struct vm *vm)
{
	uint64_t g;

	if (!vm->dirty)
		return 0;
	pthread_mutex_lock(&vm->dirty->lock);
	g = vm->dirty->generation;
	pthread_mutex_unlock(&vm->dirty->lock);
	return g;
}
