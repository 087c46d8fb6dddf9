/*
 * The console output ring: a stalled output never blocks term__write;
 * what does not fit is dropped and counted, what fits comes out whole and
 * in order once the output drains; a closed output discards.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "unit.h"
#include "vmm/term.h"
#include "vmm/util.h"

static int pipe_fds[2];

static int setup_pipe(void **state)
{
	alarm(30);	/* a term__write that blocks fails the test here */
	if (pipe2(pipe_fds, O_CLOEXEC))
		return -1;
	term__output_to(pipe_fds[1]);
	return 0;
}

static int close_pipe(void **state)
{
	term__output_to(-1);
	close(pipe_fds[0]);
	if (pipe_fds[1] >= 0)
		close(pipe_fds[1]);
	alarm(0);
	return 0;
}

/* Fills the pipe until the writer could not put a byte in; returns how much. */
static size_t fill_pipe(int fd)
{
	static const char junk[4096];
	size_t total = 0;
	int fl = fcntl(fd, F_GETFL);
	ssize_t n;

	fcntl(fd, F_SETFL, fl | O_NONBLOCK);
	while ((n = write(fd, junk, sizeof(junk))) > 0)
		total += (size_t)n;
	while ((n = write(fd, junk, 1)) > 0)
		total += (size_t)n;
	assert_int_equal(errno, EAGAIN);
	fcntl(fd, F_SETFL, fl);
	return total;
}

static void read_exactly(int fd, uint8_t *buf, size_t len)
{
	while (len) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		ssize_t n;

		assert_int_equal(poll(&p, 1, 5000), 1);
		n = read(fd, buf, len);
		assert_true(n > 0);
		buf += n;
		len -= (size_t)n;
	}
}

static uint8_t pattern(size_t i)
{
	return (uint8_t)(i * 7 + i / 251);
}

static void test_stalled_output_drops_and_counts(void **state)
{
	size_t total = 4 * TERM_BUF_SIZE + 123, prefill = fill_pipe(pipe_fds[1]);
	uint8_t *buf = malloc(total), *got = malloc(TERM_BUF_SIZE);
	uint8_t *junk = malloc(prefill);

	for (size_t i = 0; i < total; i++)
		buf[i] = pattern(i);
	/* Byte by byte, as the PL011 writes: every call returns at once. */
	for (size_t i = 0; i < total / 2; i++)
		term__write(buf + i, 1);
	term__write(buf + total / 2, total - total / 2);
	assert_int_equal(term__dropped(), total - TERM_BUF_SIZE);

	read_exactly(pipe_fds[0], junk, prefill);
	read_exactly(pipe_fds[0], got, TERM_BUF_SIZE);
	assert_memory_equal(got, buf, TERM_BUF_SIZE);
	free(buf);
	free(got);
	free(junk);
}

static void test_output_flows_again_after_a_stall(void **state)
{
	size_t prefill = fill_pipe(pipe_fds[1]);
	uint8_t *junk = malloc(prefill);
	char got[6] = { 0 };

	for (int i = 0; i < 2 * TERM_BUF_SIZE; i++)
		term__write("x", 1);
	assert_int_equal(term__dropped(), TERM_BUF_SIZE);
	read_exactly(pipe_fds[0], junk, prefill);
	for (size_t left = TERM_BUF_SIZE; left; left -= left < prefill ? left : prefill)
		read_exactly(pipe_fds[0], junk, left < prefill ? left : prefill);
	term__write("hello", 5);
	read_exactly(pipe_fds[0], (uint8_t *)got, 5);
	assert_string_equal(got, "hello");
	/* The flush reports the count once, then starts again from zero. */
	term__flush(1000);
	assert_int_equal(term__dropped(), 0);
	free(junk);
}

/* A stalled output at exit: the flush gives up after its idle time. */
static void test_flush_gives_up_on_a_stalled_output(void **state)
{
	fill_pipe(pipe_fds[1]);
	term__write("lost", 4);
	term__flush(200);
	assert_int_equal(term__dropped(), 0);	/* reported, with the 4 bytes given up */
	term__write("more", 4);			/* discarded from now on, not counted */
	assert_int_equal(term__dropped(), 0);
}

/* A closed reader (EPIPE) ends the output; nothing blocks or counts. */
static void test_closed_output_discards(void **state)
{
	close(pipe_fds[0]);
	pipe_fds[0] = open("/dev/null", O_RDONLY | O_CLOEXEC);
	for (int i = 0; i < 4 * TERM_BUF_SIZE; i++)
		term__write("y", 1);
	term__flush(1000);
	term__write("after", 5);
	assert_int_equal(term__dropped(), 0);
}

/* The running thread's stack size, as its attributes give it. */
static void *own_stack_size(void *arg)
{
	pthread_attr_t attr;

	assert_int_equal(pthread_getattr_np(pthread_self(), &attr), 0);
	assert_int_equal(pthread_attr_getstacksize(&attr, arg), 0);
	pthread_attr_destroy(&attr);
	return NULL;
}

static size_t stack_of_started_thread(size_t asked)
{
	size_t got = 0;
	pthread_t t;

	assert_int_equal(start_thread(&t, asked, own_stack_size, &got), 0);
	assert_int_equal(pthread_join(t, NULL), 0);
	return got;
}

/*
 * The writer's and the other long-lived threads' stacks are what they ask
 * (never below the minimum), far under the 2 MiB a huge page would take.
 */
static void test_start_thread_small_stack(void **state)
{
	size_t got;

	(void)state;
	got = stack_of_started_thread(256 << 10);
	assert_true(got >= (256 << 10) && got < (2 << 20));
	got = stack_of_started_thread(1);	/* raised to the minimum */
	assert_true(got >= (size_t)PTHREAD_STACK_MIN && got < (2 << 20));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_stalled_output_drops_and_counts, setup_pipe, close_pipe),
		cmocka_unit_test_setup_teardown(test_output_flows_again_after_a_stall, setup_pipe, close_pipe),
		cmocka_unit_test_setup_teardown(test_flush_gives_up_on_a_stalled_output, setup_pipe, close_pipe),
		cmocka_unit_test_setup_teardown(test_closed_output_discards, setup_pipe, close_pipe),
		cmocka_unit_test(test_start_thread_small_stack),
	};

	return cmocka_run_group_tests_name("term", tests, NULL, NULL);
}
