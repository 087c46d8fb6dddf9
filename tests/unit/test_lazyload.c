/*
 * Unit tests of loading the boot files as the guest runs (vmm/lazyload.c),
 * on this host's own userfaultfd: a file and a memory segment land in
 * "guest RAM" byte for byte with zeros around them in their blocks; an
 * access to a block no loader has reached waits for it and then sees the
 * file's bytes; a read error is reported and stops the VM; lazy_load__wait
 * returns with every block resident (what a snapshot's pagemap scan needs),
 * and returns a read error instead of waiting forever; where the host
 * gives no userfaultfd the start fails and leaves RAM untouched. The
 * guest's own faults through KVM are the test bed's (tests/bed/linux-boot.sh).
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "unit.h"
#include "vmm/lazyload.h"
#include "vmm/seccomp.h"
#include "vmm/util.h"
#include "vmm/vm.h"

#define RAM_SIZE	(16 * SZ_2M)
#define KERNEL_OFF	SZ_2M			/* 2 MiB aligned, as arm64's */
#define KERNEL_LEN	(5 * SZ_2M + 12345)	/* ends inside a block */
#define INITRD_OFF	(12 * SZ_2M + 4096 * 3)	/* page aligned, as arm64's */
#define INITRD_LEN	(SZ_2M + 777)

static int stop_status = -1;

/*
 * ASan's own alternate signal stack is set and removed by each thread
 * (sigaltstack), a call no filter lists: wait_under_filter's loader
 * threads run under theirs.
 */
const char *__asan_default_options(void);
const char *__asan_default_options(void)
{
	return "use_sigaltstack=0";
}

/* vmm/kvm.c's, which the loader calls on a read error */
void vm__request_stop(struct vm *vm, int status)
{
	stop_status = status;
}

struct fx {
	uint8_t *ram, *initrd;
	char path[64];
	int fd;
	struct vm vm;
	struct lazy_seg segs[2];
};

static uint8_t file_byte(size_t i) { return (uint8_t)(i * 7 + (i >> 12)); }

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	uint8_t *buf = malloc(KERNEL_LEN);

	assert_non_null(f);
	assert_non_null(buf);
	f->ram = mmap(NULL, RAM_SIZE + SZ_2M, PROT_READ | PROT_WRITE,
		      MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	assert_true(f->ram != MAP_FAILED);
	f->ram = (uint8_t *)align_up((uintptr_t)f->ram, SZ_2M);
	for (size_t i = 0; i < KERNEL_LEN; i++)
		buf[i] = file_byte(i);
	snprintf(f->path, sizeof(f->path), "/tmp/test_lazyload.XXXXXX");
	f->fd = mkstemp(f->path);
	assert_true(f->fd >= 0);
	assert_int_equal(write(f->fd, buf, KERNEL_LEN), KERNEL_LEN);
	free(buf);
	f->initrd = malloc(INITRD_LEN);
	assert_non_null(f->initrd);
	memset(f->initrd, 0xa5, INITRD_LEN);
	f->segs[0] = (struct lazy_seg){ .dst = f->ram + KERNEL_OFF, .len = KERNEL_LEN,
					.fd = f->fd, .name = "kernel test" };
	f->segs[1] = (struct lazy_seg){ .dst = f->ram + INITRD_OFF, .len = INITRD_LEN,
					.fd = -1, .mem = f->initrd, .name = "initrd test" };
	stop_status = -1;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	close(f->fd);
	unlink(f->path);
	free(f->initrd);
	free(f);
	return 0;
}

/* 0, or skips the test where this host gives no userfaultfd for it. */
static struct lazy_load *start_or_skip(struct fx *f)
{
	struct lazy_load *ll;
	char why[256];
	int err = lazy_load__start(&f->vm, f->segs, 2, false, &ll, why, sizeof(why));

	if (err == -EPERM || err == -ENOSYS) {
		fprintf(stderr, "no userfaultfd here (%s): skipped\n", why);
		skip();
	}
	assert_int_equal(err, 0);
	assert_non_null(ll);
	return ll;
}

/* Started, and its threads going, as once the vcpus run. */
static struct lazy_load *start_going(struct fx *f)
{
	struct lazy_load *ll = start_or_skip(f);

	lazy_load__go(ll);
	return ll;
}

static void check_ram(const struct fx *f)
{
	for (size_t i = SZ_2M; i < KERNEL_OFF + KERNEL_LEN; i++)
		if (f->ram[i] != file_byte(i - KERNEL_OFF))
			fail_msg("kernel byte %zu is %u", i - KERNEL_OFF, f->ram[i]);
	for (size_t i = KERNEL_OFF + KERNEL_LEN; i < align_up(KERNEL_OFF + KERNEL_LEN, SZ_2M); i++)
		assert_int_equal(f->ram[i], 0);
	for (size_t i = align_down(INITRD_OFF, SZ_2M); i < INITRD_OFF; i++)
		assert_int_equal(f->ram[i], 0);
	for (size_t i = INITRD_OFF; i < INITRD_OFF + INITRD_LEN; i++)
		assert_int_equal(f->ram[i], 0xa5);
}

/*
 * Every block touched (each read waits for its block), then new mappings,
 * which the kernel may place where the moved staging slots were: finishing
 * must leave them mapped.
 */
static void loads_every_segment(void **state)
{
	struct fx *f = *state;
	struct lazy_load *ll = start_going(f);
	uint8_t *maps[16];

	for (size_t at = KERNEL_OFF; at < RAM_SIZE; at += SZ_2M)
		(void)*(volatile uint8_t *)(f->ram + at);
	for (int i = 0; i < 16; i++) {
		maps[i] = mmap(NULL, SZ_2M, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		assert_true(maps[i] != MAP_FAILED);
		maps[i][0] = (uint8_t)(i + 1);
	}
	lazy_load__finish(ll);
	for (int i = 0; i < 16; i++) {
		assert_int_equal(maps[i][0], i + 1);
		munmap(maps[i], SZ_2M);
	}
	check_ram(f);
	assert_int_equal(stop_status, -1);
}

struct toucher {
	const uint8_t *p;
	uint8_t got;
};

static void *touch(void *arg)
{
	struct toucher *t = arg;

	t->got = *(volatile const uint8_t *)t->p;
	return NULL;
}

/* Reads from another thread as the loaders start: each read waits for its block. */
static void an_access_waits_for_its_block(void **state)
{
	struct fx *f = *state;
	size_t at[3] = { KERNEL_OFF + 4 * SZ_2M + 99, INITRD_OFF + 5, KERNEL_OFF };
	struct toucher t[3];
	pthread_t th[3];
	struct lazy_load *ll = start_going(f);

	for (int i = 0; i < 3; i++) {
		t[i].p = f->ram + at[i];
		assert_int_equal(pthread_create(&th[i], NULL, touch, &t[i]), 0);
	}
	for (int i = 0; i < 3; i++)
		assert_int_equal(pthread_join(th[i], NULL), 0);
	assert_int_equal(t[0].got, file_byte(at[0] - KERNEL_OFF));
	assert_int_equal(t[1].got, 0xa5);
	assert_int_equal(t[2].got, file_byte(0));
	lazy_load__finish(ll);
	check_ram(f);
}

/* A kernel file shorter than its segment: reported, the VM stopped, RAM still filled. */
static void a_read_error_stops_the_vm(void **state)
{
	struct fx *f = *state;
	struct lazy_load *ll;

	assert_int_equal(ftruncate(f->fd, SZ_2M), 0);
	ll = start_going(f);
	lazy_load__finish(ll);
	assert_int_equal(stop_status, VMM_ERR_INPUT);
	assert_int_equal(f->ram[INITRD_OFF], 0xa5);
	assert_int_equal(f->ram[KERNEL_OFF + 3 * SZ_2M], 0);
}

/* How many pages of [p, p + len) are resident (what /proc/self/pagemap calls present)? */
static size_t resident_pages(const uint8_t *p, size_t len)
{
	size_t pages = len / 4096, n = 0;
	unsigned char *vec = malloc(pages);

	assert_non_null(vec);
	assert_int_equal(mincore((void *)p, len, vec), 0);
	for (size_t i = 0; i < pages; i++)
		n += vec[i] & 1;
	free(vec);
	return n;
}

static bool all_resident(const uint8_t *p, size_t len)
{
	return resident_pages(p, len) == len / 4096;
}

/*
 * Right after the start, no guest access: the wait returns with every page
 * the files cover in RAM (no access of the check may be what loads a
 * block), and the wait after it returns at once.
 */
static void wait_leaves_every_block_resident(void **state)
{
	struct fx *f = *state;
	struct lazy_load *ll = start_going(f);

	assert_int_equal(lazy_load__wait(ll), 0);
	assert_true(all_resident(f->ram + KERNEL_OFF, align_up(KERNEL_LEN, 4096)));
	assert_true(all_resident(f->ram + INITRD_OFF, align_up(INITRD_LEN, 4096)));
	assert_int_equal(lazy_load__wait(ll), 0);
	check_ram(f);
	lazy_load__finish(ll);
	check_ram(f);
	assert_int_equal(stop_status, -1);
}

/*
 * Nothing loads before lazy_load__go (vmm's set-up keeps the CPUs); a
 * snapshot's wait then loads every block on its own thread.
 */
static void nothing_loads_before_go(void **state)
{
	struct fx *f = *state;
	struct lazy_load *ll = start_or_skip(f);

	usleep(100 * 1000);
	assert_int_equal(resident_pages(f->ram + KERNEL_OFF, align_up(KERNEL_LEN, 4096)), 0);
	assert_int_equal(resident_pages(f->ram + INITRD_OFF, align_up(INITRD_LEN, 4096)), 0);
	assert_int_equal(lazy_load__wait(ll), 0);
	assert_true(all_resident(f->ram + KERNEL_OFF, align_up(KERNEL_LEN, 4096)));
	check_ram(f);
	lazy_load__finish(ll);
	check_ram(f);
	assert_int_equal(stop_status, -1);
}

/*
 * A read error: the wait returns it instead of waiting forever, with what
 * was read in RAM (the unread rest reads as zeros), and the VM is stopped.
 */
static void wait_returns_a_read_error(void **state)
{
	struct fx *f = *state;
	struct lazy_load *ll;

	assert_int_equal(ftruncate(f->fd, SZ_2M), 0);
	ll = start_going(f);
	assert_true(lazy_load__wait(ll) < 0);
	assert_int_equal(stop_status, VMM_ERR_INPUT);
	assert_true(all_resident(f->ram + KERNEL_OFF, SZ_2M));
	assert_true(all_resident(f->ram + INITRD_OFF, align_up(INITRD_LEN, 4096)));
	assert_int_equal(f->ram[KERNEL_OFF + 3 * SZ_2M], 0);
	assert_int_equal(f->ram[INITRD_OFF], 0xa5);
	lazy_load__finish(ll);
}

/*
 * The threads that wait (a snapshot's, a migration's) load blocks
 * themselves: in a child, under kind's filter in kill mode, the wait must
 * get through (a call the filter lacks kills the child with SIGSYS).
 */
static void wait_under_filter(struct fx *f, enum seccomp_thread kind)
{
	pid_t pid = fork();
	int status = 0;

	assert_true(pid >= 0);
	if (pid == 0) {
		struct lazy_load *ll;
		char why[256];
		int err = 0;

		if (seccomp__prepare(SECCOMP_KILL))
			_exit(90);
		if (lazy_load__start(&f->vm, f->segs, 2, false, &ll, why, sizeof(why)))
			_exit(92);	/* no userfaultfd: the parent's start skipped already */
		if (seccomp__enter(kind))
			_exit(93);
		err = lazy_load__wait(ll);
		for (size_t i = 0; !err && i < KERNEL_LEN; i += 4096)
			err = f->ram[KERNEL_OFF + i] != file_byte(i);
		syscall(SYS_exit_group, err ? 91 : 0);	/* ASan's _exit makes calls of its own */
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	if (WIFSIGNALED(status))
		fail_msg("the %s filter killed the wait (signal %d)", seccomp__thread_name(kind),
			 WTERMSIG(status));
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
}

static void wait_passes_the_api_and_migrate_filters(void **state)
{
	struct fx *f = *state;

	lazy_load__finish(start_going(f));	/* skips where there is no userfaultfd */
	wait_under_filter(f, SECCOMP_THREAD_API);
	wait_under_filter(f, SECCOMP_THREAD_MIGRATE);
}

/* NULL: no boot files load as the guest runs (a restored VM), nothing to wait for. */
static void wait_on_nothing(void **state)
{
	(void)state;
	assert_int_equal(lazy_load__wait(NULL), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(loads_every_segment, setup, teardown),
		cmocka_unit_test_setup_teardown(an_access_waits_for_its_block, setup, teardown),
		cmocka_unit_test_setup_teardown(a_read_error_stops_the_vm, setup, teardown),
		cmocka_unit_test_setup_teardown(wait_leaves_every_block_resident, setup, teardown),
		cmocka_unit_test_setup_teardown(wait_returns_a_read_error, setup, teardown),
		cmocka_unit_test_setup_teardown(nothing_loads_before_go, setup, teardown),
		cmocka_unit_test(wait_on_nothing),
		cmocka_unit_test_setup_teardown(wait_passes_the_api_and_migrate_filters, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
