#ifndef VMM_OWNMEM_H
#define VMM_OWNMEM_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * vmm's own memory, outside guest RAM (docs/benchmarks.md, "vmm's own
 * memory"): keep it to what a running VM needs.
 */

/* One malloc arena for every thread: no 64 MiB-reserved per-thread heaps. */
void ownmem__init(void);

/*
 * Hands back what set-up used, once the VM's threads are started: the free pages of
 * the malloc heap, and this program's text and read-only data (file pages:
 * what the running VM executes is mapped again as it runs). Returns the
 * bytes of text unmapped, 0 when it was kept (a debugger's breakpoints
 * live in it).
 */
size_t ownmem__release_setup(void);

/*
 * Runs fn(arg) on a thread of its own and returns what it returns: what fn
 * frees goes back to the heap when that thread ends, where on the caller's
 * thread glibc would keep up to 7 chunks of each size in the thread's
 * cache, scattered over heap pages nothing can then hand back.
 */
int ownmem__run_apart(int (*fn)(void *), void *arg);

/*
 * The same in two steps, so that the caller goes on beside fn: start it,
 * then join it for fn's return value (once).
 */
struct ownmem_apart {
	int (*fn)(void *);
	void *arg;
	int ret;
	pthread_t thread;
	bool started;
};
void ownmem__start_apart(struct ownmem_apart *a, int (*fn)(void *), void *arg);
int ownmem__join_apart(struct ownmem_apart *a);

/* The program's text segment, page-aligned: [*start, *end). */
void ownmem__text_range(uintptr_t *start, uintptr_t *end);

/* Does /proc/self/status's text (status) name a tracer? */
bool ownmem__traced(const char *status);

#endif
