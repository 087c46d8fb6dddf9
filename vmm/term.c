/*
 * The console on vmm's stdin and stdout. Guest output goes into a bounded
 * ring that one writer thread drains to stdout, so no device (and no
 * device lock) ever waits on stdout: when stdout stalls and the ring is
 * full, output is dropped and counted, as on a serial line without flow
 * control.
 */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "vmm/seccomp.h"
#include "vmm/term.h"
#include "vmm/util.h"

#define ESCAPE_KEY	0x01	/* Ctrl-A */
#define WRITER_POLL_MS	1000	/* the writer looks at the drop count this often */
#define WRITER_STACK	(128 << 10)	/* see start_thread() */

static struct termios saved;
static bool raw_mode;
static bool escape_pending;

/* The output ring and its writer. */
static struct {
	pthread_mutex_t lock;
	pthread_cond_t cond;		/* data arrived, or the ring drained */
	uint8_t buf[TERM_BUF_SIZE];
	size_t head, len;		/* bytes waiting, from head */
	uint64_t written;		/* bytes that reached the output */
	uint64_t dropped;		/* bytes dropped because the ring was full */
	bool drop_reported;
	bool gone;			/* the output failed (EPIPE...): discard everything */
	int writer_state;		/* 0 starting, 1 running, -1 could not start */
	int fd;
	unsigned generation;		/* bumped by term__output_to */
} out = {
	.lock = PTHREAD_MUTEX_INITIALIZER,
	.cond = PTHREAD_COND_INITIALIZER,
	.fd = STDOUT_FILENO,
};
static pthread_once_t writer_once = PTHREAD_ONCE_INIT;

void term__restore(void)
{
	term__flush(1000);
	if (raw_mode) {
		tcsetattr(STDIN_FILENO, TCSANOW, &saved);
		raw_mode = false;
	}
}

void term__setup(void)
{
	struct termios raw;

	if (!isatty(STDIN_FILENO) || tcgetattr(STDIN_FILENO, &saved) < 0)
		return;
	raw = saved;
	cfmakeraw(&raw);
	/* Keep output post-processing so our own messages end lines properly. */
	raw.c_oflag |= OPOST;
	if (tcsetattr(STDIN_FILENO, TCSANOW, &raw) == 0) {
		raw_mode = true;
		atexit(term__restore);
	}
}

/* Waits (lock dropped) until the output can take bytes; false after a timeout. */
static bool wait_writable(int fd, int timeout_ms)
{
	struct pollfd p = { .fd = fd, .events = POLLOUT };
	int n;

	pthread_mutex_unlock(&out.lock);
	n = poll(&p, 1, timeout_ms);
	pthread_mutex_lock(&out.lock);
	return n != 0;
}

/* Writes the oldest contiguous run of the ring; the caller holds the lock. */
static void write_some(void)
{
	size_t n = out.len, end = TERM_BUF_SIZE - out.head;
	const uint8_t *p = out.buf + out.head;
	int fd = out.fd;
	unsigned generation = out.generation;
	ssize_t done;

	if (n > end)
		n = end;
	if (n > 4096)
		n = 4096;	/* after POLLOUT, a pipe takes a page without blocking */
	/* Producers only append after head + len, so p stays ours unlocked. */
	pthread_mutex_unlock(&out.lock);
	done = write(fd, p, n);
	pthread_mutex_lock(&out.lock);
	if (generation != out.generation)
		return;		/* the ring was emptied for another output meanwhile */
	if (done > 0) {
		out.head = (out.head + (size_t)done) % TERM_BUF_SIZE;
		out.len -= (size_t)done;
		out.written += (uint64_t)done;
	} else if (done == 0 || (errno != EINTR && errno != EAGAIN)) {
		out.gone = true;	/* stdout is closed: nobody will read the rest */
		out.len = 0;
	}
	pthread_cond_broadcast(&out.cond);
}

/* Says once, from the writer (which alone may block on it), that output is being dropped. */
static void report_drops(void)
{
	if (out.drop_reported || !out.dropped)
		return;
	out.drop_reported = true;
	pthread_mutex_unlock(&out.lock);
	pr_err("console: stdout is not keeping up; guest output is being dropped");
	pthread_mutex_lock(&out.lock);
}

static void *writer_thread(void *arg)
{
	sigset_t all;
	int err;

	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, NULL);
	err = seccomp__enter(SECCOMP_THREAD_CONSOLE);
	pthread_mutex_lock(&out.lock);
	out.writer_state = err ? -1 : 1;
	out.gone = out.gone || err;
	pthread_cond_broadcast(&out.cond);	/* start_writer waits for this */
	if (err) {
		pthread_mutex_unlock(&out.lock);
		return NULL;
	}
	for (;;) {
		while (!out.len)
			pthread_cond_wait(&out.cond, &out.lock);
		report_drops();
		if (wait_writable(out.fd, WRITER_POLL_MS) && out.len)
			write_some();
	}
	return NULL;
}

static void start_writer(void)
{
	pthread_t t;
	int err = start_thread(&t, WRITER_STACK, writer_thread, NULL);

	if (err) {
		pr_err("console: cannot start the output thread: %s", strerror(err));
		out.gone = true;
		out.writer_state = -1;
		return;
	}
	pthread_detach(t);
	/* Until its seccomp filter is on: a thread it started later would inherit it. */
	pthread_mutex_lock(&out.lock);
	while (!out.writer_state)
		pthread_cond_wait(&out.cond, &out.lock);
	pthread_mutex_unlock(&out.lock);
}

int term__start(void)
{
	pthread_once(&writer_once, start_writer);
	return out.writer_state < 0 ? -VMM_ERR_INTERNAL : 0;
}

void term__write(const void *buf, size_t len)
{
	size_t room, tail;

	pthread_once(&writer_once, start_writer);
	pthread_mutex_lock(&out.lock);
	if (out.gone) {
		pthread_mutex_unlock(&out.lock);
		return;
	}
	room = TERM_BUF_SIZE - out.len;
	if (len > room) {
		out.dropped += len - room;
		len = room;
	}
	tail = (out.head + out.len) % TERM_BUF_SIZE;
	for (size_t done = 0; done < len;) {
		size_t n = len - done;

		if (n > TERM_BUF_SIZE - tail)
			n = TERM_BUF_SIZE - tail;
		memcpy(out.buf + tail, (const uint8_t *)buf + done, n);
		done += n;
		tail = (tail + n) % TERM_BUF_SIZE;
	}
	out.len += len;
	if (len)
		pthread_cond_broadcast(&out.cond);
	pthread_mutex_unlock(&out.lock);
}

void term__flush(int idle_ms)
{
	struct timespec ts;
	uint64_t seen;

	pthread_mutex_lock(&out.lock);
	while (out.len && !out.gone) {
		seen = out.written;
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_sec += idle_ms / 1000;
		ts.tv_nsec += (long)(idle_ms % 1000) * 1000000;
		if (ts.tv_nsec >= 1000000000) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000;
		}
		while (out.len && !out.gone && out.written == seen)
			if (pthread_cond_timedwait(&out.cond, &out.lock, &ts) == ETIMEDOUT)
				break;
		if (out.len && out.written == seen) {
			/* No progress for idle_ms: stdout is stalled, give the rest up. */
			out.dropped += out.len;
			out.len = 0;
			out.gone = true;
		}
	}
	if (out.dropped) {
		uint64_t dropped = out.dropped;

		out.dropped = 0;	/* reported once */
		pthread_mutex_unlock(&out.lock);
		pr_err("console: %llu bytes of guest output dropped: stdout did not keep up",
		       (unsigned long long)dropped);
		pthread_mutex_lock(&out.lock);
	}
	pthread_mutex_unlock(&out.lock);
}

uint64_t term__dropped(void)
{
	uint64_t n;

	pthread_mutex_lock(&out.lock);
	n = out.dropped;
	pthread_mutex_unlock(&out.lock);
	return n;
}

void term__output_to(int fd)
{
	pthread_mutex_lock(&out.lock);
	out.fd = fd;
	out.generation++;
	out.head = out.len = 0;
	out.dropped = 0;
	out.drop_reported = out.gone = false;
	pthread_mutex_unlock(&out.lock);
}

size_t term__filter(uint8_t *buf, size_t len, bool *quit)
{
	size_t out_len = 0;

	*quit = false;
	if (!raw_mode)
		return len;
	for (size_t i = 0; i < len; i++) {
		uint8_t c = buf[i];

		if (escape_pending) {
			escape_pending = false;
			if (c == 'x' || c == 'X') {
				*quit = true;
				return out_len;
			}
			if (c != ESCAPE_KEY)
				buf[out_len++] = ESCAPE_KEY;	/* not an escape: pass both */
			buf[out_len++] = c;
		} else if (c == ESCAPE_KEY) {
			escape_pending = true;
		} else {
			buf[out_len++] = c;
		}
	}
	return out_len;
}
