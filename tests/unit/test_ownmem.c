/*
 * Handing back set-up memory: the program's text segment is unmapped (and
 * the program runs on), except under a debugger, whose breakpoints live in
 * private copies of the text pages; work run apart runs on its own thread.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "unit.h"
#include "vmm/ownmem.h"

/* Resident KiB of the mapping of this program that holds addr. */
static unsigned long rss_of_mapping(const void *addr)
{
	unsigned long start, end, kib = 0;
	bool in = false;
	char line[512];
	FILE *f = fopen("/proc/self/smaps", "r");

	assert_non_null(f);
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%lx-%lx ", &start, &end) == 2) {
			in = (uintptr_t)addr >= start && (uintptr_t)addr < end;
			continue;
		}
		if (in && sscanf(line, "Rss: %lu kB", &kib) == 1)
			break;
	}
	fclose(f);
	return kib;
}

/* Reads every page of the mapping holding addr: all of it resident. */
static unsigned long touch_mapping(const void *addr)
{
	unsigned long start, end, sum = 0;
	char line[512];
	FILE *f = fopen("/proc/self/maps", "r");

	assert_non_null(f);
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%lx-%lx ", &start, &end) != 2 ||
		    (uintptr_t)addr < start || (uintptr_t)addr >= end)
			continue;
		for (unsigned long p = start; p < end; p += 4096)
			sum += *(volatile const unsigned char *)p;
		break;
	}
	fclose(f);
	return sum;
}

static const void *text_addr(void)
{
	return (const void *)(uintptr_t)&rss_of_mapping;
}

static int some_data = 1;

/* The bounds of the mapping of this program holding addr, from /proc/self/maps. */
static void mapping_of(const void *addr, unsigned long *start, unsigned long *end)
{
	char line[512];
	FILE *f = fopen("/proc/self/maps", "r");

	assert_non_null(f);
	*start = *end = 0;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "%lx-%lx ", start, end) == 2 &&
		    (uintptr_t)addr >= *start && (uintptr_t)addr < *end)
			break;
	fclose(f);
}

/* The text segment is the read-only executable mapping: code, never data. */
static void test_text_range_is_the_code_mapping(void **state)
{
	unsigned long start, end;
	uintptr_t s, e;

	(void)state;
	ownmem__text_range(&s, &e);
	mapping_of(text_addr(), &start, &end);
	assert_int_equal(s, start);
	assert_int_equal(e, end);
	assert_true((uintptr_t)&some_data < s || (uintptr_t)&some_data >= e);
}

/* How many mappings of /proc/self/maps lie inside [s, e). */
static unsigned mappings_inside(uintptr_t s, uintptr_t e)
{
	unsigned long start, end;
	unsigned n = 0;
	char line[512];
	FILE *f = fopen("/proc/self/maps", "r");

	assert_non_null(f);
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "%lx-%lx ", &start, &end) == 2 && start >= s && end <= e)
			n++;
	fclose(f);
	return n;
}

/*
 * Released: the whole text segment (the program runs on). How much of it
 * comes back at once depends on the kernel: 6.1 maps 64 KiB around each
 * page the program runs again, kernels with large page-cache folios map
 * a whole folio.
 */
static void test_text_released_and_program_runs_on(void **state)
{
	uintptr_t s, e;
	unsigned long before, after;
	size_t released;

	(void)state;
	touch_mapping(text_addr());
	before = rss_of_mapping(text_addr());
	ownmem__text_range(&s, &e);
	released = ownmem__release_setup();
	after = rss_of_mapping(text_addr());
	print_message("text: %lu KiB resident, %zu KiB released, %lu KiB resident after\n",
		      before, released >> 10, after);
	assert_int_equal(released, e - s);
	assert_true(after <= before);
}

/*
 * Once released, the text is cut into 16 KiB mappings (every other one
 * MADV_RANDOM), so that the kernel's fault-around, which stops at a
 * mapping's end, brings back 16 KiB around a page run again, not 64.
 */
static void test_text_comes_back_in_small_windows(void **state)
{
	unsigned long start, end;
	uintptr_t s, e;

	(void)state;
	ownmem__text_range(&s, &e);
	assert_int_equal(mappings_inside(s, e), 1);
	assert_int_equal(ownmem__release_setup(), e - s);
	mapping_of(text_addr(), &start, &end);
	assert_true(end - start <= 16 << 10);
	assert_true(mappings_inside(s, e) >= (e - s) / (16 << 10));
}

static pid_t thread_id(void)
{
	return (pid_t)syscall(SYS_gettid);
}

static int report_tid(void *arg)
{
	*(pid_t *)arg = thread_id();
	return 42;
}

static int slow_tid(void *arg)
{
	usleep(20 * 1000);
	return report_tid(arg);
}

/* Started apart, fn runs beside the caller; the join gives its value once done. */
static void test_start_apart_runs_beside_the_caller(void **state)
{
	struct ownmem_apart a;
	pid_t tid = 0;

	(void)state;
	ownmem__start_apart(&a, slow_tid, &tid);
	assert_int_equal(ownmem__join_apart(&a), 42);
	assert_true(tid > 0);
	assert_int_not_equal(tid, thread_id());
	assert_int_equal(ownmem__join_apart(&a), 42);	/* a second join: the same value */
}

static void test_run_apart_runs_on_another_thread(void **state)
{
	pid_t tid = 0;

	(void)state;
	assert_int_equal(ownmem__run_apart(report_tid, &tid), 42);
	assert_true(tid > 0);
	assert_int_not_equal(tid, thread_id());
}

/* Under a tracer (PTRACE_TRACEME: the parent), the text stays. */
static void test_text_kept_under_a_debugger(void **state)
{
	pid_t pid;
	int status;

	(void)state;
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		unsigned long before, after;

		if (ptrace(PTRACE_TRACEME, 0, NULL, NULL) < 0)
			_exit(77);	/* not allowed here */
		touch_mapping(text_addr());
		before = rss_of_mapping(text_addr());
		if (ownmem__release_setup())
			_exit(1);
		after = rss_of_mapping(text_addr());
		_exit(after >= before ? 0 : 2);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	if (WEXITSTATUS(status) == 77)
		skip();
	assert_int_equal(WEXITSTATUS(status), 0);
}

static void test_traced_reads_tracer_pid(void **state)
{
	(void)state;
	assert_false(ownmem__traced("Name:\tvmm\nState:\tR\nTracerPid:\t0\nUid:\t0\n"));
	assert_true(ownmem__traced("Name:\tvmm\nTracerPid:\t4242\nUid:\t0\n"));
	assert_false(ownmem__traced("Name:\tvmm\n"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_traced_reads_tracer_pid),
		cmocka_unit_test(test_text_kept_under_a_debugger),
		cmocka_unit_test(test_text_range_is_the_code_mapping),
		cmocka_unit_test(test_run_apart_runs_on_another_thread),
		cmocka_unit_test(test_start_apart_runs_beside_the_caller),
		cmocka_unit_test(test_text_comes_back_in_small_windows),
		cmocka_unit_test(test_text_released_and_program_runs_on),
	};

	ownmem__init();
	return cmocka_run_group_tests_name("ownmem", tests, NULL, NULL);
}
