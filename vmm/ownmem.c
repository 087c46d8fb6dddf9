/*
 * vmm's own memory (include/vmm/ownmem.h). Its peak resident set, guest
 * RAM aside, is mostly the static binary's text: the kernel maps file
 * pages 64 KiB around each one touched (fault-around), so option parsing,
 * libseccomp's filter compiler, the loaders, the device tree and every
 * other set-up path leave nearly the whole text resident, though the
 * running VM uses a fraction of it. Unmapping the text once set-up is done
 * costs a few minor faults; the page cache keeps the file, so nothing is
 * read again.
 */
#include <elf.h>
#include <errno.h>
#include <link.h>
#include <malloc.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "vmm/ownmem.h"
#include "vmm/util.h"

#define APART_STACK	(256 << 10)	/* libseccomp's filter compiler recurses */

void ownmem__init(void)
{
	/* vmm's threads allocate rarely and seldom at once: one arena is enough */
	mallopt(M_ARENA_MAX, 1);
}

static void *apart_main(void *p)
{
	struct ownmem_apart *a = p;

	a->ret = a->fn(a->arg);
	return NULL;
}

void ownmem__start_apart(struct ownmem_apart *a, int (*fn)(void *), void *arg)
{
	a->fn = fn;
	a->arg = arg;
	a->ret = 0;
	a->started = !start_thread(&a->thread, APART_STACK, apart_main, a);
	if (!a->started)
		a->ret = fn(arg);	/* no thread to be had: here */
}

int ownmem__join_apart(struct ownmem_apart *a)
{
	if (a->started)
		pthread_join(a->thread, NULL);
	a->started = false;
	return a->ret;
}

int ownmem__run_apart(int (*fn)(void *), void *arg)
{
	struct ownmem_apart a;

	ownmem__start_apart(&a, fn, arg);
	return ownmem__join_apart(&a);
}

bool ownmem__traced(const char *status)
{
	const char *p = strstr(status, "\nTracerPid:");

	return p && strtol(p + strlen("\nTracerPid:"), NULL, 10) != 0;
}

static bool being_traced(void)
{
	char buf[2048];
	FILE *f = fopen("/proc/self/status", "r");
	size_t n;

	if (!f)
		return true;	/* cannot tell: keep the text */
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	return ownmem__traced(buf);
}

struct text_range {
	uintptr_t start, end;
};

/* The program's read-only executable segment (text and read-only data). */
static int find_text(struct dl_phdr_info *info, size_t size, void *arg)
{
	struct text_range *r = arg;

	for (unsigned i = 0; i < info->dlpi_phnum; i++) {
		const ElfW(Phdr) *ph = &info->dlpi_phdr[i];

		if (ph->p_type == PT_LOAD && (ph->p_flags & PF_X) && !(ph->p_flags & PF_W)) {
			r->start = info->dlpi_addr + ph->p_vaddr;
			r->end = r->start + ph->p_memsz;
			break;
		}
	}
	return 1;	/* the first object is the program itself */
}

void ownmem__text_range(uintptr_t *start, uintptr_t *end)
{
	uintptr_t page = (uintptr_t)sysconf(_SC_PAGESIZE);
	struct text_range r = { 0, 0 };

	dl_iterate_phdr(find_text, &r);
	*start = align_down(r.start, page);
	*end = align_up(r.end, page);
}

/*
 * The kernel maps a file's pages 64 KiB around each one a fault touches
 * (fault_around_bytes), but never past the VMA the fault is in. Marking
 * every other TEXT_WINDOW of the text MADV_RANDOM (a readahead hint: the
 * file is in the page cache already) gives each window a VMA of its own,
 * so what the running VM executes comes back a window at a time, wherever
 * the linker put it, instead of 64 KiB at a time.
 */
#ifndef TEXT_WINDOW
#define TEXT_WINDOW	(16 << 10)
#endif

static void narrow_fault_around(uintptr_t start, uintptr_t end)
{
	for (uintptr_t a = start + TEXT_WINDOW; a < end; a += 2 * TEXT_WINDOW)
		if (madvise((void *)a, end - a < TEXT_WINDOW ? end - a : TEXT_WINDOW,
			    MADV_RANDOM) < 0)
			break;	/* out of VMAs (vm.max_map_count): wider windows, no harm */
}

size_t ownmem__release_setup(void)
{
	bool traced = being_traced();	/* its FILE freed before the trim */
	uintptr_t start, end;

	malloc_trim(0);		/* the heap's free pages, not only its top */
	ownmem__text_range(&start, &end);
	/*
	 * Never written (no text relocations), so dropping the pages loses
	 * nothing; but a debugger's breakpoints are private copies of them.
	 */
	if (end <= start || traced)
		return 0;
	if (madvise((void *)start, end - start, MADV_DONTNEED) < 0) {
		pr_debug("set-up text kept: madvise: %s", strerror(errno));
		return 0;
	}
	narrow_fault_around(start, end);
	return end - start;
}
