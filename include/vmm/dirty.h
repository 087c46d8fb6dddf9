#ifndef VMM_DIRTY_H
#define VMM_DIRTY_H

/*
 * Dirty tracking of guest RAM, for pre-copy migration and incremental
 * snapshots: which 4 KiB pages changed since tracking started or since the
 * last collect. Two writers change guest RAM, and both are seen:
 *  - the guest's vcpus (and KVM itself, e.g. the GIC's tables): KVM's log of
 *    slot 0 (KVM_MEM_LOG_DIRTY_PAGES, KVM_GET_DIRTY_LOG; with
 *    KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2, KVM_CLEAR_DIRTY_LOG);
 *  - vmm's own devices (virtio rings and device-writable buffers), which KVM
 *    does not see: they call dirty__mark() after writing, through their
 *    struct guest_mem.
 *
 * A bitmap has one bit per 4 KiB page of guest RAM whatever the host's page
 * size: bit i (word i / 64, bit i % 64) is the page at ram_base + i * 4096.
 */
#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vmm/compiler.h"

struct vm;
struct guest_mem;

#define DIRTY_PAGE_SHIFT	12
#define DIRTY_PAGE_SIZE		((uint64_t)1 << DIRTY_PAGE_SHIFT)

/*
 * Starts dirty tracking of guest RAM: slot 0 re-registered with
 * KVM_MEM_LOG_DIRTY_PAGES (KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2 enabled where the
 * host has it), and vmm's own writes into guest memory marked from now on.
 * Starting it again while it runs restarts it: the pages dirty so far stay
 * dirty, and dirty__generation() moves on (an earlier user of the log knows
 * it lost pages to another collector). 0 or -errno.
 */
int dirty__start(struct vm *vm) __must_check;

/* Ends it: slot 0 back to no logging, vmm-side marking off. */
void dirty__stop(struct vm *vm);

/*
 * ORs into bitmap (dirty__bitmap_words() words) every page written since
 * dirty__start or the last collect, by the guest (KVM_GET_DIRTY_LOG, then
 * KVM_CLEAR_DIRTY_LOG with manual protect) and by vmm's devices; clears both
 * logs. Returns the number of pages it found dirty, or -errno (-EINVAL when
 * not tracking). Safe while vcpus and devices run: a page written during the
 * collect is in this one or the next. One collect at a time (a lock).
 */
long dirty__collect(struct vm *vm, uint64_t *bitmap) __must_check;

/*
 * Marks guest range [gpa, gpa + len) written by vmm. No-op unless tracking,
 * and for the part outside guest RAM. Thread-safe (atomics). Call it after
 * the write, so that a collect never takes the page before the data is in.
 */
void dirty__mark(const struct guest_mem *m, uint64_t gpa, uint64_t len);

/* Words in a bitmap for this VM's RAM. */
size_t dirty__bitmap_words(const struct vm *vm);

/* Is tracking on? */
bool dirty__tracking(const struct vm *vm);

/* Moves on at each dirty__start. */
uint64_t dirty__generation(const struct vm *vm);

/* ---- the log behind it, one per VM (vm->dirty) ---- */

struct dirty_log {
	uint64_t base;		/* guest address of bit 0 */
	uint64_t pages;		/* 4 KiB pages of RAM */
	size_t words;		/* of bits */
	uint64_t *bits;		/* vmm's own writes since the last collect (atomic words) */
	bool on;		/* marking on (atomic) */
	bool manual_protect;	/* KVM_CLEAR_DIRTY_LOG in use */
	uint64_t generation;
	uint64_t *kvm_bits;	/* KVM_GET_DIRTY_LOG's buffer: one bit per host page */
	size_t kvm_words;
	pthread_mutex_t lock;	/* start, stop, collect */
};

/* A log for RAM [base, base + size), tracking off: NULL when out of memory. */
struct dirty_log *dirty_log__new(uint64_t base, uint64_t size);
void dirty_log__free(struct dirty_log *log);
/* Marking on or off (vmm's side only). */
void dirty_log__set_marking(struct dirty_log *log, bool on);
/* ORs vmm's marks into bitmap and clears them; returns how many bits it took. */
uint64_t dirty_log__take(struct dirty_log *log, uint64_t *bitmap);

/* ---- bitmaps ---- */

static inline bool dirty__test(const uint64_t *bitmap, uint64_t page)
{
	return bitmap[page / 64] >> (page % 64) & 1;
}

static inline void dirty__set(uint64_t *bitmap, uint64_t page)
{
	bitmap[page / 64] |= 1ULL << (page % 64);
}

/* The first page at or after from set in bitmap (pages bits long); pages if none. */
uint64_t dirty__next(const uint64_t *bitmap, uint64_t pages, uint64_t from);

/* Bits set in bitmap[0..words). */
uint64_t dirty__count(const uint64_t *bitmap, size_t words);

/*
 * KVM's bitmap (host_words words, one bit a host page of ratio 4 KiB pages,
 * ratio a power of 2 up to 64) as a 4 KiB-page bitmap of out_words words.
 */
void dirty__expand_host_bits(uint64_t *out, size_t out_words, const uint64_t *host,
			     size_t host_words, unsigned ratio);

/* Words for a bitmap of RAM of size bytes. */
static inline size_t dirty__words_for(uint64_t size)
{
	uint64_t pages = (size + DIRTY_PAGE_SIZE - 1) >> DIRTY_PAGE_SHIFT;

	return (size_t)((pages + 63) / 64);
}

#endif
