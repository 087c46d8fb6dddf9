/*
 * The source side of live migration (docs/migration.md), on a thread of
 * its own in the running vmm: the control socket hands it a `migrate`
 * request and the client's connection, and it
 *   1. connects to `vmm receive` and proves the shared secret;
 *   2. sends the check batch (the state sections of a brief pause, no
 *      memory) and reads the destination's yes or no;
 *   3. sends guest RAM, then (pre-copy) the pages dirtied since, round by
 *      round, until what is left fits the downtime target;
 *   4. pauses, sends the last pages and the state, commits, and ends this
 *      vmm once the destination says the VM is built.
 * Before the commit any failure resumes the VM here; after it, the VM
 * never runs here again (the destination may be running it).
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "vmm/api.h"
#include "vmm/dirty.h"
#include "vmm/memsave.h"
#include "vmm/migrate-net.h"
#include "vmm/migrate.h"
#include "vmm/migstream.h"
#include "vmm/persist.h"
#include "vmm/seccomp.h"
#include "vmm/snapshot.h"
#include "vmm/util.h"
#include "vmm/vm.h"
#include "vmm/vmstate.h"

#define PAGE		MIG_PAGE
#define ROUNDS_MAX	30	/* rounds of pre-copy before the final one, at most */
#define RUN_HEAD	(SNAP_SEC_HEADER_SIZE + 8)	/* a pages section's header and gpa */
/*
 * Pages sections are sent in batches of about this many bytes: scattered
 * dirty pages make one-page sections, and a write each cost a wake-up of
 * the destination each.
 */
#define SEND_BATCH	(1024 * 1024)
/*
 * A link on which no byte moves for this long has failed: a send stuck
 * behind a stalled link, or the wait for an answer that does not come
 * (SO_RCVTIMEO; the destination checks and builds the VM in well under a
 * second).
 * Without it, a link that goes silent without closing would keep the VM
 * paused here for ever after the commit.
 */
#define LINK_TIMEOUT_S	15

struct job {
	struct mig_addr addr;
	struct mig_secret secret;
	unsigned max_downtime_ms, abort_above_ms;
	bool advance_clock;
	int client_fd;
};

/* One migration's state on the source. */
struct source {
	struct vm *vm;
	struct job *job;
	int fd;				/* the link */
	bool was_paused;		/* paused by the user before the migration */
	bool paused;			/* paused by the migration */
	uint8_t *buf;			/* pages sections not sent yet, then one being built */
	size_t buf_len;			/* bytes of whole sections in buf */
	uint64_t run_first, run_pages;
	uint64_t bytes, pages;		/* sent */
	unsigned rounds;
	uint64_t *dirty;		/* pages to send again (pre-copy) */
	size_t dirty_words;
	bool tracking;			/* dirty__start was called */
	double bw;			/* bytes a ms, as the last round went */
	double fixed_ms;		/* the paused phase's cost besides pages (check_first) */
	double missed_ms;		/* the downtime target was not reached: the estimate */
	double start_ms, pause_ms;
	double send_ms;			/* of the time, the time in send() (--debug) */
	char *out;
	size_t outlen;
};

static struct migrator {
	struct vm *vm;
	pthread_t thread;
	bool started, quit, busy;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	struct job *job;
	int link_fd;
} mig = {
	.lock = PTHREAD_MUTEX_INITIALIZER, .cond = PTHREAD_COND_INITIALIZER, .link_fd = -1,
};

bool migrate__busy(void)
{
	bool busy;

	pthread_mutex_lock(&mig.lock);
	busy = mig.busy;
	pthread_mutex_unlock(&mig.lock);
	return busy;
}

/* ---- lines to the client: progress, then the final reply ---- */

static void client_line(int fd, const char *line)
{
	size_t len = strlen(line);

	/* Never held up by a slow client: a progress line that does not fit is dropped. */
	if (send(fd, line, len, MSG_NOSIGNAL | MSG_DONTWAIT) != (ssize_t)len)
		pr_debug("migrate: a line to the client was lost (%s)", strerror(errno));
}

static void __printf(2, 3) progress(struct source *s, const char *fmt, ...)
{
	char line[256];
	va_list ap;
	int n = snprintf(line, sizeof(line), "progress ");

	va_start(ap, fmt);
	vsnprintf(line + n, sizeof(line) - n - 1, fmt, ap);
	va_end(ap);
	pr_debug("migrate: %s", line + n);
	strcat(line, "\n");
	client_line(s->job->client_fd, line);
}

static void final_reply(int fd, int status, const char *text)
{
	char line[API_LINE_MAX];

	if (status)
		snprintf(line, sizeof(line), "error %d %s\n", status, text);
	else
		snprintf(line, sizeof(line), "ok %s\n", text);
	/* the final line waits for the client (a blocking send) */
	if (mignet__send(fd, line, strlen(line)))
		pr_debug("migrate: the client left before the final reply");
}

static int __printf(3, 4) fail(struct source *s, int status, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(s->out, s->outlen, fmt, ap);
	va_end(ap);
	return status;
}

/* ---- the link ---- */

/*
 * Sends all of buf; -EAGAIN when the link takes no byte for LINK_TIMEOUT_S.
 * (SO_SNDTIMEO alone would not do: a send that times out having queued
 * part of its bytes returns that part, and the next one waits again.)
 */
static int send_link(int fd, const uint8_t *p, size_t len)
{
	while (len) {
		struct pollfd pfd = { .fd = fd, .events = POLLOUT };
		int ready = poll(&pfd, 1, LINK_TIMEOUT_S * 1000);
		ssize_t n;

		if (ready < 0 && errno == EINTR)
			continue;
		if (ready <= 0)
			return ready ? -errno : -EAGAIN;
		n = send(fd, p, len, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (n <= 0)
			return n ? -errno : -EPIPE;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

static int send_raw(struct source *s, const void *buf, size_t len)
{
	double start = vmm_uptime_ms();
	int err = send_link(s->fd, buf, len);

	s->send_ms += vmm_uptime_ms() - start;
	if (err == -EAGAIN)
		return fail(s, VMM_ERR_INTERNAL, "%s: the link failed: no byte moved for %d s",
			    s->job->addr.text, LINK_TIMEOUT_S);
	if (err)
		return fail(s, VMM_ERR_INTERNAL, "%s: the link failed: %s", s->job->addr.text,
			    strerror(-err));
	s->bytes += len;
	return 0;
}

static int send_section(struct source *s, uint32_t id, const void *data, size_t len)
{
	struct pbuf b;
	int ret;

	pbuf__init(&b);
	mig__put_section(&b, id, 0, 1, data, len);
	ret = b.failed ? fail(s, VMM_ERR_INTERNAL, "out of memory") : send_raw(s, b.data, b.len);
	pbuf__free(&b);
	return ret;
}

/* The state sections of the paused VM, as a snapshot has them. */
static int send_state(struct source *s)
{
	struct snap_writer *w;
	const uint8_t *data;
	unsigned nr;
	size_t len;
	int ret = snap__begin_memory(&w);

	if (ret)
		return fail(s, VMM_ERR_INTERNAL, "out of memory");
	if (vmstate__save_state(s->vm, w)) {
		snap__abort(w);
		return fail(s, VMM_ERR_INTERNAL, "cannot save the VM's state (vmm's log says why)");
	}
	data = snap__sections(w, &len, &nr);
	ret = send_raw(s, data, len);
	snap__abort(w);
	return ret;
}

static int read_link(void *ctx, void *buf, size_t n)
{
	return mignet__recv(*(int *)ctx, buf, n) ? -1 : 0;
}

/*
 * The destination's answer: its status (0 yes) with its text in out, or
 * -1 when the link failed before a whole answer.
 */
static int read_reply(struct source *s, char *text, size_t len)
{
	struct mig_reader r;
	struct mig_section sec;
	char err[256];
	int status = -1;

	mig_reader__init(&r, read_link, &s->fd);
	if (!mig__read_section(&r, &sec, err, sizeof(err)) &&
	    !mig__parse_reply(&sec, &status, text, len))
		status = -1;
	mig_reader__free(&r);
	return status;
}

/* ---- pages ---- */

static bool page_is_zero(const uint8_t *p)
{
	const uint64_t *w = (const uint64_t *)p;

	for (size_t i = 0; i < PAGE / sizeof(*w); i += 4)
		if (w[i] | w[i + 1] | w[i + 2] | w[i + 3])
			return false;
	return true;
}

/* Sends the whole sections in buf. */
static int send_batch(struct source *s)
{
	size_t len = s->buf_len;

	s->buf_len = 0;
	return len ? send_raw(s, s->buf, len) : 0;
}

/* Ends the run being built as a section; sends the batch once it is big enough. */
static int end_run(struct source *s)
{
	uint8_t *sec = s->buf + s->buf_len;
	size_t len = 8 + s->run_pages * PAGE;

	if (!s->run_pages)
		return 0;
	put_le(sec + SNAP_SEC_HEADER_SIZE, s->vm->ram_base + s->run_first * PAGE, 8);
	snap__section_header(sec, MIG_SEC_PAGES, 0, 1, sec + SNAP_SEC_HEADER_SIZE, len);
	s->pages += s->run_pages;
	s->run_pages = 0;
	s->buf_len += SNAP_SEC_HEADER_SIZE + len;	/* len % 8 == 0: no padding */
	return s->buf_len >= SEND_BATCH ? send_batch(s) : 0;
}

/*
 * Adds page idx to the section being built. The page is copied first and
 * the CRC taken over the copy: the guest may be writing it meanwhile (the
 * dirty log then sends it again). A zero page is left out of the first
 * pass only: the destination's RAM starts zero.
 */
static int add_page(struct source *s, uint64_t idx, bool skip_zero)
{
	uint8_t *dst;
	int ret = 0;

	if (s->run_pages && (s->run_first + s->run_pages != idx || s->run_pages == MIG_PAGES_MAX))
		ret = end_run(s);
	if (ret)
		return ret;
	dst = s->buf + s->buf_len + RUN_HEAD + s->run_pages * PAGE;
	memcpy(dst, s->vm->ram + idx * PAGE, PAGE);
	if (skip_zero && page_is_zero(dst))
		return 0;
	if (!s->run_pages)
		s->run_first = idx;
	s->run_pages++;
	return 0;
}

/* The pages set in s->dirty (the zero ones left out when skip_zero), which is then cleared. */
static int send_marked(struct source *s, bool skip_zero)
{
	uint64_t n = s->vm->ram_size / PAGE;
	int ret = 0;

	for (uint64_t i = dirty__next(s->dirty, n, 0); !ret && i < n;
	     i = dirty__next(s->dirty, n, i + 1))
		ret = add_page(s, i, skip_zero);
	ret = ret ? ret : end_run(s);
	ret = ret ? ret : send_batch(s);
	memset(s->dirty, 0, s->dirty_words * sizeof(*s->dirty));
	return ret;
}

/*
 * Every page of RAM but the zero ones. The pages the host never populated
 * are zero and not read (memsave__populated, as a snapshot does): reading
 * them would take time and make all of RAM resident here.
 */
static int send_all_pages(struct source *s)
{
	bool pagemap = false;
	int64_t marked = memsave__populated(s->vm->ram, s->vm->ram_size, s->dirty, &pagemap);

	if (marked < 0)
		return fail(s, VMM_ERR_INTERNAL, "cannot tell the populated pages of RAM: %s",
			    strerror((int)-marked));
	pr_debug("migrate: %" PRId64 " of %" PRIu64 " pages may hold data (%s)", marked,
		 s->vm->ram_size / PAGE, pagemap ? "pagemap" : "no pagemap: every page");
	return send_marked(s, true);
}

static int end_round(struct source *s)
{
	uint8_t round[4];

	put_le(round, ++s->rounds, 4);
	return send_section(s, MIG_SEC_ROUND, round, sizeof(round));
}

/* ---- the steps ---- */

static bool is_paused(struct vm *vm)
{
	bool paused;

	pthread_mutex_lock(&vm->lock);
	paused = vm->pause_requested;
	pthread_mutex_unlock(&vm->lock);
	return paused;
}

static void pause_here(struct source *s)
{
	char out[64];

	if (!s->was_paused && !s->paused)
		vmstate__pause(s->vm, out, sizeof(out));
	s->paused = true;
}

static void resume_here(struct source *s)
{
	char out[64];

	if (!s->was_paused && s->paused)
		vmstate__resume(s->vm, out, sizeof(out));
	s->paused = false;
}

/* The check batch, from a brief pause, then the destination's verdict. */
static int check_first(struct source *s)
{
	uint8_t header[SNAP_HEADER_SIZE];
	char text[1024];
	int ret, status;

	double state_start = 0;

	mig__stream_header(header);
	ret = send_raw(s, header, sizeof(header));
	if (!ret) {
		pause_here(s);
		state_start = vmm_uptime_ms();
		ret = send_state(s);
		resume_here(s);
	}
	ret = ret ? ret : send_section(s, MIG_SEC_CHECK, NULL, 0);
	if (ret)
		return ret;
	status = read_reply(s, text, sizeof(text));
	/*
	 * The final pause costs more than its pages: the state, as just saved,
	 * and the destination's build and answer, which the check's round
	 * trip (the same sections read, the same checks) stands for.
	 */
	s->fixed_ms = vmm_uptime_ms() - state_start;
	if (status < 0)
		return fail(s, VMM_ERR_INTERNAL, "%s: the destination closed the link before its "
			    "check's answer", s->job->addr.text);
	if (status)
		return fail(s, VMM_ERR_HOST, "the destination cannot take this VM: %s", text);
	progress(s, "the destination can take the VM (%.0f ms; the state and the check took %.0f ms)",
		 vmm_uptime_ms() - s->start_ms, s->fixed_ms);
	return 0;
}

/* The pages of the dirty bitmap, then it is cleared. */
static int send_dirty(struct source *s)
{
	return send_marked(s, false);
}

/* One round while the VM runs (all of RAM the first time); measures the link. */
static int round_running(struct source *s)
{
	double start = vmm_uptime_ms(), ms;
	uint64_t bytes = s->bytes;
	int ret = s->rounds ? send_dirty(s) : send_all_pages(s);

	ret = ret ? ret : end_round(s);
	ms = vmm_uptime_ms() - start;
	if (!ret && s->bytes - bytes > 64 * PAGE)	/* too little to measure */
		s->bw = (double)(s->bytes - bytes) / (ms > 0.1 ? ms : 0.1);
	return ret;
}

/*
 * Pre-copy: RAM while the VM runs, then the pages dirtied meanwhile, round
 * after round, until what is left could be sent within the downtime target
 * (at the speed the last round went), or ROUNDS_MAX rounds.
 */
static int precopy(struct source *s)
{
	const struct job *j = s->job;
	double left_mb, pages_ms, last_pages_ms = -1, est;
	long found;
	int ret;

	s->dirty_words = dirty__bitmap_words(s->vm);
	s->dirty = calloc(s->dirty_words ? s->dirty_words : 1, sizeof(*s->dirty));
	if (!s->dirty)
		return fail(s, VMM_ERR_INTERNAL, "out of memory");
	ret = dirty__start(s->vm);
	if (ret)
		return fail(s, VMM_ERR_INTERNAL, "cannot log dirty pages: %s", strerror(-ret));
	s->tracking = true;
	for (;;) {
		ret = round_running(s);
		if (ret)
			return ret;
		found = dirty__collect(s->vm, s->dirty);
		if (found < 0)
			return fail(s, VMM_ERR_INTERNAL, "cannot read the dirty log: %s",
				    strerror((int)-found));
		left_mb = (double)dirty__count(s->dirty, s->dirty_words) * PAGE / 1e6;
		pages_ms = s->bw > 0 ? left_mb * 1e6 / s->bw : 0;
		est = pages_ms + s->fixed_ms;
		progress(s, "round %u: %.1f MB sent, %.1f MB dirty left (%.0f ms at %.0f MB/s, "
			 "%.0f ms with the state and the destination's build)", s->rounds,
			 s->bytes / 1e6, left_mb, pages_ms, s->bw / 1e3, est);
		if (est <= j->max_downtime_ms)
			return 0;
		/* another round would not leave less: the guest dirties as fast as it goes */
		if (s->rounds >= ROUNDS_MAX || (last_pages_ms >= 0 && pages_ms >= last_pages_ms))
			break;
		last_pages_ms = pages_ms;
	}
	if (j->abort_above_ms && est > j->abort_above_ms)
		return fail(s, VMM_ERR_INTERNAL, "after %u rounds the downtime would still be about "
			    "%.0f ms, above --abort-above %u (the guest dirties memory faster "
			    "than the link sends it)", s->rounds, est,
			    j->abort_above_ms);
	s->missed_ms = est;
	return 0;
}

/* Pause, the last pages, the state, the commit. */
static int final_batch(struct source *s)
{
	uint8_t commit[12];
	uint64_t bytes = s->bytes;
	double asked = vmm_uptime_ms(), send_ms = s->send_ms;
	int ret;

	pause_here(s);
	s->pause_ms = vmm_uptime_ms();
	pr_debug("migrate: the VM paused in %.1f ms", s->pause_ms - asked);
	if (s->tracking) {
		long found = dirty__collect(s->vm, s->dirty);

		pr_debug("migrate (paused +%.1f ms): dirty log fetched, %ld pages",
			 vmm_uptime_ms() - s->pause_ms, found);
		ret = found < 0 ? fail(s, VMM_ERR_INTERNAL, "cannot read the dirty log: %s",
				       strerror((int)-found)) : send_dirty(s);
	} else {
		ret = send_all_pages(s);
	}
	ret = ret ? ret : end_round(s);
	if (!ret) {
		pr_debug("migrate (paused +%.1f ms): last pages sent, %.1f MB (%.1f ms in send)",
			 vmm_uptime_ms() - s->pause_ms, (s->bytes - bytes) / 1e6, s->send_ms - send_ms);
		progress(s, "round %u (paused): %.1f MB sent", s->rounds, s->bytes / 1e6);
	}
	bytes = s->bytes;
	ret = ret ? ret : send_state(s);
	if (ret)
		return ret;
	pr_debug("migrate (paused +%.1f ms): state sent (vcpus, GIC, devices), %.1f KB",
		 vmm_uptime_ms() - s->pause_ms, (s->bytes - bytes) / 1e3);
	put_le(commit, (uint64_t)((vmm_uptime_ms() - s->pause_ms) * 1e6), 8);
	put_le(commit + 8, (s->job->advance_clock ? MIG_COMMIT_ADVANCE_CLOCK : 0) |
	       (s->was_paused ? MIG_COMMIT_PAUSED : 0), 4);
	ret = send_section(s, MIG_SEC_COMMIT, commit, sizeof(commit));
	if (!ret)
		pr_debug("migrate (paused +%.1f ms): commit sent", vmm_uptime_ms() - s->pause_ms);
	return ret;
}

/*
 * After the commit: the VM never runs here again, unless the destination
 * says it refused (then it runs nothing). Without an answer, this vmm
 * stays paused, its disks flushed, and ends with status 1.
 */
static int after_commit(struct source *s)
{
	char text[1024], missed[160] = "";
	int status = read_reply(s, text, sizeof(text));
	double now = vmm_uptime_ms();

	pr_debug("migrate (paused +%.1f ms): the destination's answer", now - s->pause_ms);

	if (status < 0) {
		vm__request_stop(s->vm, VMM_ERR_INTERNAL);
		return fail(s, VMM_ERR_INTERNAL, "%s: the link failed after the commit: the VM may "
			    "be running on the destination; it stays stopped here",
			    s->job->addr.text);
	}
	if (status) {
		dirty__stop(s->vm);
		resume_here(s);
		return fail(s, VMM_ERR_INTERNAL, "the destination refused the VM after the commit; "
			    "it runs on here: %s", text);
	}
	vm__request_stop(s->vm, VM_EXIT_POWEROFF);
	if (s->missed_ms > 0)
		snprintf(missed, sizeof(missed), "; the target of %u ms was not reachable in %u "
			 "rounds (about %.0f ms estimated)", s->job->max_downtime_ms, s->rounds,
			 s->missed_ms);
	return fail(s, 0, "migrated to %s: total %.0f ms, downtime %.0f ms, %.1f MB sent, "
		    "%u rounds%s", s->job->addr.text, now - s->start_ms, now - s->pause_ms,
		    s->bytes / 1e6, s->rounds, missed);
}

static int migrate(struct source *s)
{
	int ret;

	/*
	 * Before the first round's scan of populated pages and the dirty log:
	 * a boot-file block the host moves into RAM later is no guest write,
	 * so no round would send it (before the link: it may take seconds).
	 */
	if (arch__boot_settle(s->vm->boot))
		return fail(s, VMM_ERR_INPUT, "the boot files could not be read into guest RAM; "
			    "the VM is stopping");
	s->fd = mignet__connect(&s->job->addr, &s->job->secret, s->out, s->outlen);
	if (s->fd < 0)
		return -s->fd;
	mignet__set_timeout(s->fd, LINK_TIMEOUT_S);
	pthread_mutex_lock(&mig.lock);
	mig.link_fd = s->fd;
	pthread_mutex_unlock(&mig.lock);
	ret = check_first(s);
	ret = ret ? ret : precopy(s);
	ret = ret ? ret : final_batch(s);
	if (!ret) {
		ret = after_commit(s);
	} else {
		if (s->tracking)
			dirty__stop(s->vm);	/* the VM runs on here, unlogged */
		resume_here(s);
		if (ret != VMM_ERR_HOST && strlen(s->out) + 40 < s->outlen)
			strcat(s->out, "; the VM runs on here");
	}
	pthread_mutex_lock(&mig.lock);
	mig.link_fd = -1;
	pthread_mutex_unlock(&mig.lock);
	close(s->fd);
	return ret;
}

static void run_job(struct vm *vm, struct job *j)
{
	char out[1024] = "";
	struct source s = {
		.vm = vm, .job = j, .fd = -1, .out = out, .outlen = sizeof(out),
		.start_ms = vmm_uptime_ms(), .was_paused = is_paused(vm),
	};
	int status;

	/* a batch that reached SEND_BATCH is sent before the next run starts */
	s.buf = malloc(SEND_BATCH + RUN_HEAD + MIG_PAGES_MAX * PAGE);
	status = s.buf ? migrate(&s) : fail(&s, VMM_ERR_INTERNAL, "out of memory");
	if (status)
		pr_err("migrate: %s", out);
	else
		pr_debug("migrate: %s", out);
	final_reply(j->client_fd, status, out);
	close(j->client_fd);
	free(s.buf);
	free(s.dirty);
	memset(j, 0, sizeof(*j));	/* the secret */
	free(j);
}

static void *migrate_thread(void *arg)
{
	struct migrator *m = arg;
	sigset_t all;

	sigfillset(&all);
	sigdelset(&all, SIGBUS);	/* a fault reading guest RAM reaches its handler */
	sigdelset(&all, SIGSEGV);
	pthread_sigmask(SIG_BLOCK, &all, NULL);
	if (seccomp__enter(SECCOMP_THREAD_MIGRATE)) {
		vm__request_stop(m->vm, VMM_ERR_INTERNAL);
		return NULL;
	}
	pthread_mutex_lock(&m->lock);
	for (;;) {
		struct job *j;

		while (!m->job && !m->quit)
			pthread_cond_wait(&m->cond, &m->lock);
		if (m->quit)
			break;
		j = m->job;
		m->job = NULL;
		pthread_mutex_unlock(&m->lock);
		run_job(m->vm, j);
		pthread_mutex_lock(&m->lock);
		m->busy = false;
	}
	pthread_mutex_unlock(&m->lock);
	return NULL;
}

int migrate__thread_start(struct vm *vm)
{
	int err;

	mig.vm = vm;
	mig.quit = false;
	err = pthread_create(&mig.thread, NULL, migrate_thread, &mig);
	if (err) {
		pr_err("cannot start the migration thread: %s", strerror(err));
		return -VMM_ERR_INTERNAL;
	}
	mig.started = true;
	return 0;
}

void migrate__thread_stop(void)
{
	if (!mig.started)
		return;
	pthread_mutex_lock(&mig.lock);
	mig.quit = true;
	if (mig.link_fd >= 0)
		shutdown(mig.link_fd, SHUT_RDWR);	/* a migration in flight fails now */
	pthread_cond_broadcast(&mig.cond);
	pthread_mutex_unlock(&mig.lock);
	pthread_join(mig.thread, NULL);
	mig.started = false;
	if (mig.job) {
		close(mig.job->client_fd);
		free(mig.job);
		mig.job = NULL;
	}
}

/* "MAX ABORT ADVANCE ADDR [AUTH]" into j; a status and why in out if bad. */
static int parse_job(const char *args, struct job *j, char *out, size_t outlen)
{
	char addr[256] = "", auth[API_LINE_MAX] = "";
	unsigned maxd, abort_above, advance;
	int n = 0;

	if (sscanf(args, "%u %u %u %255s %n", &maxd, &abort_above, &advance, addr, &n) < 4 ||
	    advance > 1) {
		snprintf(out, outlen, "migrate: expected MAX_DOWNTIME ABORT_ABOVE ADVANCE ADDR [AUTH_FILE]");
		return VMM_ERR_INPUT;
	}
	snprintf(auth, sizeof(auth), "%s", args + n);
	j->max_downtime_ms = maxd;
	j->abort_above_ms = abort_above;
	j->advance_clock = advance;
	if (mignet__parse_addr(addr, &j->addr, out, outlen))
		return VMM_ERR_INPUT;
	if (auth[0] && mignet__read_secret(auth, &j->secret, out, outlen))
		return VMM_ERR_INPUT;
	if (j->addr.tcp && !j->secret.len) {
		snprintf(out, outlen, "%s: tcp needs --auth-file (a shared secret)", addr);
		return VMM_ERR_INPUT;
	}
	return 0;
}

int migrate__request(struct vm *vm, int fd, const char *args, char *out, size_t outlen)
{
	struct job *j = calloc(1, sizeof(*j));
	int status;

	if (!j) {
		snprintf(out, outlen, "out of memory");
		return VMM_ERR_INTERNAL;
	}
	status = parse_job(args, j, out, outlen);
	if (!status && !mig.started) {
		snprintf(out, outlen, "migrate: no migration thread");
		status = VMM_ERR_INTERNAL;
	}
	pthread_mutex_lock(&mig.lock);
	if (!status && mig.busy) {
		snprintf(out, outlen, "a migration is already running");
		status = VMM_ERR_INPUT;
	}
	if (!status) {
		fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);	/* the final reply waits */
		j->client_fd = fd;
		mig.job = j;
		mig.busy = true;
		pthread_cond_broadcast(&mig.cond);
	}
	pthread_mutex_unlock(&mig.lock);
	if (status) {
		memset(j, 0, sizeof(*j));
		free(j);
	}
	return status;
}
