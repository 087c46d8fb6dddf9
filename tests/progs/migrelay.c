/*
 * A relay between `vmm migrate` and `vmm receive` on unix sockets that
 * breaks the link on purpose (tests/bed/migrate-fail.sh):
 *
 *   migrelay LISTEN TARGET pass                  forwards everything
 *   migrelay LISTEN TARGET flip ID NTH OFFSET    inverts byte OFFSET of the
 *                                                payload of the NTH section
 *                                                with id ID (the source's side)
 *   migrelay LISTEN TARGET cut ID NTH OFFSET     closes both links at that
 *                                                byte: the bytes before it pass
 *   migrelay LISTEN TARGET lose-commit           takes the commit section from
 *                                                the source, passes none of it,
 *                                                and closes both links
 *   migrelay LISTEN TARGET lose-reply            passes the commit, then closes
 *                                                both links: the destination's
 *                                                answer never reaches the source
 *   migrelay LISTEN TARGET stall ID NTH OFFSET   stops the link at that byte:
 *                                                passes nothing more either
 *                                                way, and reads nothing more
 *   migrelay LISTEN TARGET stall-reply           passes the commit, then stops
 *                                                the link
 * A stopped link stays open until the source closes its end; the relay
 * then says after how long, and ends.
 *
 * With -r KBPS before LISTEN it passes the source's bytes at no more than
 * KBPS KiB a second: a slow link.
 *
 * It listens on the unix socket LISTEN, accepts one sender (vmm migrate
 * --to unix:LISTEN), then connects to TARGET (where vmm receive listens)
 * and copies both ways. The source's bytes are, in order, its 32-byte
 * proof of the authentication, the 32-byte stream header, then sections of
 * a 32-byte header (u32 id at 0, u64 payload length at 16) and a payload
 * padded to 8 bytes (docs/migration.md). IDs are decimal or 0x hex; NTH
 * counts from 1.
 *
 * It says what it did on stderr, naming the section by its first byte in
 * the stream as vmm receive counts them (from the stream header on):
 *   migrelay: flipped byte OFFSET of section ID #NTH at stream byte POS
 * and ends with "migrelay: N bytes to the destination, M back". Exit 0
 * when it did what it was asked (pass: when both links have ended), 1 when
 * the stream ended before that point or on a failure, 2 on bad usage. It
 * gives up after 120 s.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#define PROOF_LEN	32	/* the source's answer to the destination's challenge */
#define STREAM_HDR_LEN	32
#define SEC_HDR_LEN	32
#define SEC_ALIGN	8
#define SEC_COMMIT	0x43
#define TIME_LIMIT_S	120

enum action { PASS, FLIP, CUT, LOSE_COMMIT, LOSE_REPLY, STALL, STALL_REPLY };

struct relay {
	int src, dst;
	enum action act;
	uint32_t id;			/* the section of a flip or a cut */
	unsigned nth;
	uint64_t off;
	bool done;			/* the fault happened */
	uint64_t pos;			/* bytes taken from the source */
	uint64_t prefix_left;		/* proof and stream header, not parsed */
	uint8_t hdr[SEC_HDR_LEN];
	size_t hdr_have;
	uint32_t cur_id;
	uint64_t cur_start, body_off, body_left;
	unsigned cur_nth;
	bool target, swallow;
	unsigned seen[256];		/* sections of each id (ids above 255 share the last) */
	uint64_t to_dst, to_src;
	uint64_t rate;			/* bytes a second from the source, 0: no limit */
	struct timespec start;
};

static void on_alarm(int sig)
{
	static const char msg[] = "migrelay: timed out\n";

	(void)sig;
	(void)!write(2, msg, sizeof(msg) - 1);
	_exit(1);
}

static int usage(void)
{
	fprintf(stderr, "usage: migrelay [-r KBPS] LISTEN TARGET pass | flip ID NTH OFFSET | "
		"cut ID NTH OFFSET | lose-commit | lose-reply | stall ID NTH OFFSET | stall-reply\n");
	return 2;
}

static uint64_t get_le(const uint8_t *p, int n)
{
	uint64_t v = 0;

	while (n--)
		v = v << 8 | p[n];
	return v;
}

static int write_all(int fd, const uint8_t *p, size_t n)
{
	while (n) {
		ssize_t w = write(fd, p, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

static int to_dst(struct relay *r, const uint8_t *p, size_t n)
{
	if (r->swallow || !n)
		return 0;
	if (write_all(r->dst, p, n))
		return -1;
	r->to_dst += n;
	return 0;
}

/* The position of a section's first byte as vmm receive counts it. */
static uint64_t stream_byte(uint64_t pos)
{
	return pos - PROOF_LEN;
}

static void start_section(struct relay *r)
{
	uint64_t len = get_le(r->hdr + 16, 8);
	unsigned slot = r->cur_id = (uint32_t)get_le(r->hdr, 4);

	if (slot > 255)
		slot = 255;
	r->cur_nth = ++r->seen[slot];
	r->cur_start = r->pos - SEC_HDR_LEN;
	r->body_off = 0;
	r->body_left = len + (SEC_ALIGN - len % SEC_ALIGN) % SEC_ALIGN;
	r->target = (r->act == FLIP || r->act == CUT || r->act == STALL) && r->cur_id == r->id &&
		    r->cur_nth == r->nth;
	r->swallow = r->act == LOSE_COMMIT && r->cur_id == SEC_COMMIT;
}

/* At the end of a section: true when the relay is to close both links now. */
static bool end_section(struct relay *r)
{
	r->hdr_have = 0;
	if (r->cur_id != SEC_COMMIT ||
	    (r->act != LOSE_COMMIT && r->act != LOSE_REPLY && r->act != STALL_REPLY))
		return false;
	fprintf(stderr, "migrelay: %s the commit at stream byte %llu, then %s\n",
		r->act == LOSE_COMMIT ? "took and dropped" : "passed",
		(unsigned long long)stream_byte(r->cur_start),
		r->act == STALL_REPLY ? "stopped the link" : "closed both links");
	r->done = true;
	return true;
}

/* A section's header bytes: passed on once whole (a commit to lose is not). */
static int take_header(struct relay *r, const uint8_t *p, size_t k, bool *close_now)
{
	memcpy(r->hdr + r->hdr_have, p, k);
	r->hdr_have += k;
	r->pos += k;
	if (r->hdr_have < SEC_HDR_LEN)
		return 0;
	start_section(r);
	if (to_dst(r, r->hdr, SEC_HDR_LEN))
		return -1;
	if (!r->body_left)
		*close_now = end_section(r);
	return 0;
}

/* Payload bytes; the flip or the cut happens here. */
static int take_body(struct relay *r, uint8_t *p, size_t k, bool *close_now)
{
	if (r->target && !r->done && r->off >= r->body_off && r->off < r->body_off + k) {
		size_t at = (size_t)(r->off - r->body_off);

		fprintf(stderr, "migrelay: %s byte %llu of section 0x%x #%u at stream byte %llu\n",
			r->act == FLIP ? "flipped" : r->act == CUT ? "cut the link at" :
			"stopped the link at", (unsigned long long)r->off, r->id, r->nth,
			(unsigned long long)stream_byte(r->cur_start));
		r->done = true;
		if (r->act != FLIP) {
			*close_now = true;
			return to_dst(r, p, at);
		}
		p[at] ^= 0xff;
	}
	if (to_dst(r, p, k))
		return -1;
	r->body_off += k;
	r->body_left -= k;
	r->pos += k;
	if (!r->body_left)
		*close_now = end_section(r);
	return 0;
}

/* Bytes from the source, parsed into sections on their way. 1: close now. */
static int from_source(struct relay *r, uint8_t *p, size_t n)
{
	bool close_now = false;

	while (n && !close_now) {
		size_t k;
		int ret;

		if (r->prefix_left) {
			k = n < r->prefix_left ? n : (size_t)r->prefix_left;
			r->prefix_left -= k;
			r->pos += k;
			ret = to_dst(r, p, k);
		} else if (r->hdr_have < SEC_HDR_LEN) {
			k = n < SEC_HDR_LEN - r->hdr_have ? n : SEC_HDR_LEN - r->hdr_have;
			ret = take_header(r, p, k, &close_now);
		} else {
			k = n < r->body_left ? n : (size_t)r->body_left;
			ret = take_body(r, p, k, &close_now);
		}
		if (ret)
			return -1;
		p += k;
		n -= k;
	}
	return close_now;
}

/*
 * The destination closed while the source was sending: what it said last
 * (a refusal's answer) still goes back, as it would on a real link.
 */
static void drain_destination(struct relay *r)
{
	static uint8_t buf[1 << 12];
	ssize_t n;

	while ((n = recv(r->dst, buf, sizeof(buf), MSG_DONTWAIT)) > 0 &&
	       !write_all(r->src, buf, (size_t)n))
		r->to_src += (uint64_t)n;
}

static double seconds_since(const struct timespec *t)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (double)(now.tv_sec - t->tv_sec) + (now.tv_nsec - t->tv_nsec) / 1e9;
}

/* With a rate: how much to read next (20 ms worth), after waiting for its turn. */
static size_t next_read(struct relay *r, size_t max)
{
	size_t chunk = (size_t)(r->rate / 50);
	double ahead;

	if (!r->rate)
		return max;
	ahead = (double)r->pos / (double)r->rate - seconds_since(&r->start);
	if (ahead > 0) {
		struct timespec t = { (time_t)ahead, (long)((ahead - (time_t)ahead) * 1e9) };

		nanosleep(&t, NULL);
	}
	if (chunk < 512)
		chunk = 512;
	return chunk < max ? chunk : max;
}

/* Copies both ways until a link ends or the fault closes them. */
static void relay_run(struct relay *r)
{
	static uint8_t buf[1 << 16];

	for (;;) {
		struct pollfd pfd[2] = { { r->src, POLLIN, 0 }, { r->dst, POLLIN, 0 } };
		ssize_t n;

		if (poll(pfd, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			perror("migrelay: poll");
			return;
		}
		if (pfd[1].revents) {
			n = read(r->dst, buf, sizeof(buf));
			if (n <= 0 || write_all(r->src, buf, (size_t)n))
				return;
			r->to_src += (uint64_t)n;
		}
		if (pfd[0].revents) {
			int ret;

			n = read(r->src, buf, next_read(r, sizeof(buf)));
			if (n <= 0)
				return;
			ret = from_source(r, buf, (size_t)n);
			if (ret < 0)
				drain_destination(r);
			if (ret)
				return;
		}
	}
}

/* A stopped link: waits, reading nothing, until the source closes its end. */
static void wait_source_gone(struct relay *r)
{
	struct pollfd pfd = { r->src, 0, 0 };
	struct timespec since;

	clock_gettime(CLOCK_MONOTONIC, &since);
	while (poll(&pfd, 1, -1) < 0 || !(pfd.revents & (POLLHUP | POLLERR)))
		;
	fprintf(stderr, "migrelay: the source closed the stopped link after %.0f s\n",
		seconds_since(&since));
}

static int unix_addr(const char *path, struct sockaddr_un *sa)
{
	memset(sa, 0, sizeof(*sa));
	sa->sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sa->sun_path)) {
		fprintf(stderr, "migrelay: %s: path too long\n", path);
		return -1;
	}
	strcpy(sa->sun_path, path);
	return 0;
}

/* The one sender that connects to path. */
static int accept_source(const char *path)
{
	struct sockaddr_un sa;
	int ls, fd;

	if (unix_addr(path, &sa))
		return -1;
	unlink(path);
	ls = socket(AF_UNIX, SOCK_STREAM, 0);
	if (ls < 0 || bind(ls, (struct sockaddr *)&sa, sizeof(sa)) || listen(ls, 1)) {
		perror("migrelay: listen");
		return -1;
	}
	fd = accept(ls, NULL, NULL);
	if (fd < 0)
		perror("migrelay: accept");
	close(ls);
	unlink(path);
	return fd;
}

static int connect_target(const char *path)
{
	const struct timespec pause = { 0, 100 * 1000 * 1000 };
	struct sockaddr_un sa;

	if (unix_addr(path, &sa))
		return -1;
	for (int i = 0; i < 50; i++) {
		int fd = socket(AF_UNIX, SOCK_STREAM, 0);

		if (fd < 0)
			break;
		if (!connect(fd, (struct sockaddr *)&sa, sizeof(sa)))
			return fd;
		close(fd);
		if (errno != ENOENT && errno != ECONNREFUSED)
			break;
		nanosleep(&pause, NULL);
	}
	fprintf(stderr, "migrelay: cannot connect to %s: %s\n", path, strerror(errno));
	return -1;
}

static int parse_uint(const char *s, uint64_t *v)
{
	char *end;

	errno = 0;
	*v = strtoull(s, &end, 0);
	return errno || end == s || *end || *s == '-' ? -1 : 0;
}

static int parse_action(int argc, char **argv, struct relay *r)
{
	static const char *const names[] = {
		"pass", "flip", "cut", "lose-commit", "lose-reply", "stall", "stall-reply",
	};
	uint64_t id, nth;

	for (r->act = PASS; r->act <= STALL_REPLY; r->act++)
		if (!strcmp(argv[3], names[r->act]))
			break;
	if (r->act > STALL_REPLY)
		return -1;
	if (r->act != FLIP && r->act != CUT && r->act != STALL)
		return argc == 4 ? 0 : -1;
	if (argc != 7 || parse_uint(argv[4], &id) || parse_uint(argv[5], &nth) ||
	    parse_uint(argv[6], &r->off) || id > UINT32_MAX || !nth || nth > 1000000)
		return -1;
	r->id = (uint32_t)id;
	r->nth = (unsigned)nth;
	return 0;
}

int main(int argc, char **argv)
{
	struct relay r = { .prefix_left = PROOF_LEN + STREAM_HDR_LEN };
	uint64_t kbps;

	if (argc > 2 && !strcmp(argv[1], "-r")) {
		if (parse_uint(argv[2], &kbps) || !kbps || kbps > (1 << 30))
			return usage();
		r.rate = kbps * 1024;
		argc -= 2;
		argv += 2;
	}
	if (argc < 4 || parse_action(argc, argv, &r))
		return usage();
	signal(SIGPIPE, SIG_IGN);
	signal(SIGALRM, on_alarm);
	alarm(TIME_LIMIT_S);
	r.src = accept_source(argv[1]);
	if (r.src < 0)
		return 1;
	r.dst = connect_target(argv[2]);
	if (r.dst < 0)
		return 1;
	clock_gettime(CLOCK_MONOTONIC, &r.start);
	relay_run(&r);
	if (r.done && (r.act == STALL || r.act == STALL_REPLY))
		wait_source_gone(&r);
	close(r.src);
	close(r.dst);
	fprintf(stderr, "migrelay: %llu bytes to the destination, %llu back\n",
		(unsigned long long)r.to_dst, (unsigned long long)r.to_src);
	if (r.act != PASS && !r.done) {
		fprintf(stderr, "migrelay: the stream ended before the fault was due\n");
		return 1;
	}
	return 0;
}
