/*
 * I/O benchmark for the virtio devices (make bench), static for the Linux
 * guest and the test-bed host:
 *
 *   iobench blk DEV MIB SECONDS   in the guest, on a scratch disk: O_DIRECT
 *                                 sequential write and read of MIB MiB in
 *                                 1 MiB requests, then 4 KiB random reads and
 *                                 writes for SECONDS each, one at a time
 *                                 (QD1) and 16 in flight through Linux AIO
 *                                 (QD16)
 *   iobench send HOST PORT MIB [sum]
 *                                 sends MIB MiB over TCP (connecting for up
 *                                 to 300 s: the other end may come later),
 *                                 then waits for the receiver to close
 *   iobench recv PORT [sum]       takes one connection, reads to EOF, closes
 *
 * Each prints "bench: NAME=VALUE" lines (MB/s are 10^6 bytes per second).
 * With sum, the sender sends a pseudo-random stream instead of one
 * repeated buffer, and both print net_send_sum / net_recv_sum, a hash of
 * every byte in order (64-bit FNV-1a), so a transfer can be checked end to
 * end; without it the receiver only counts.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <linux/aio_abi.h>
#include <sys/syscall.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MIB (1024 * 1024)

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void die(const char *what)
{
	perror(what);
	exit(1);
}

static void sequential(int fd, char *buf, long mib, int write)
{
	double t = now();

	for (long i = 0; i < mib; i++) {
		ssize_t n = write ? pwrite(fd, buf, MIB, i * MIB) : pread(fd, buf, MIB, i * MIB);

		if (n != MIB)
			die(write ? "pwrite" : "pread");
	}
	if (write && fdatasync(fd))
		die("fdatasync");
	printf("bench: seq_%s_mbs=%.1f\n", write ? "write" : "read", mib * MIB / (now() - t) / 1e6);
}

static void random_4k(int fd, char *buf, long mib, double seconds, int write)
{
	uint64_t x = 88172645463325252ULL, blocks = (uint64_t)mib * (MIB / 4096), ops = 0;
	double t = now(), end = t + seconds;

	while (now() < end) {
		x ^= x << 13; x ^= x >> 7; x ^= x << 17;	/* xorshift64 */
		off_t off = (off_t)(x % blocks) * 4096;
		ssize_t n = write ? pwrite(fd, buf, 4096, off) : pread(fd, buf, 4096, off);

		if (n != 4096)
			die(write ? "pwrite 4k" : "pread 4k");
		ops++;
	}
	printf("bench: rand4k_%s_iops=%.0f\n", write ? "write" : "read", ops / (now() - t));
}

/* Linux AIO without libaio: the guest's static programs have only libc. */
static long io_setup_(unsigned nr, aio_context_t *ctx)
{
	return syscall(SYS_io_setup, nr, ctx);
}

static long io_submit_(aio_context_t ctx, long nr, struct iocb **iocbs)
{
	return syscall(SYS_io_submit, ctx, nr, iocbs);
}

static long io_getevents_(aio_context_t ctx, long min_nr, long nr, struct io_event *ev)
{
	return syscall(SYS_io_getevents, ctx, min_nr, nr, ev, NULL);
}

#define QD 16

static uint64_t next_block(uint64_t *x, uint64_t blocks)
{
	*x ^= *x << 13; *x ^= *x >> 7; *x ^= *x << 17;	/* xorshift64 */
	return *x % blocks;
}

/* 4 KiB random requests, QD of them in flight, for seconds: IOPS. */
static void random_4k_qd(int fd, char *buf, long mib, double seconds, int write)
{
	uint64_t x = 88172645463325252ULL, blocks = (uint64_t)mib * (MIB / 4096), ops = 0;
	struct iocb cb[QD], *cbp[QD];
	struct io_event ev[QD];
	aio_context_t ctx = 0;
	double t = now(), end = t + seconds;
	long inflight = 0, n;
	char busy[QD] = { 0 };

	if (io_setup_(QD, &ctx))
		die("io_setup");
	memset(cb, 0, sizeof(cb));
	for (int i = 0; i < QD; i++) {
		cb[i].aio_fildes = fd;
		cb[i].aio_lio_opcode = write ? IOCB_CMD_PWRITE : IOCB_CMD_PREAD;
		cb[i].aio_buf = (uint64_t)(uintptr_t)(buf + i * 4096);
		cb[i].aio_nbytes = 4096;
		cb[i].aio_data = i;
	}
	for (;;) {
		/* Refill every free slot, in one submission. */
		int nsub = 0;

		for (int i = 0; i < QD && inflight + nsub < QD && now() < end; i++) {
			if (busy[i])
				continue;
			cb[i].aio_offset = (int64_t)(next_block(&x, blocks) * 4096);
			busy[i] = 1;
			cbp[nsub++] = &cb[i];
		}
		if (nsub && io_submit_(ctx, nsub, cbp) != nsub)
			die("io_submit");
		inflight += nsub;
		if (!inflight)
			break;
		n = io_getevents_(ctx, 1, QD, ev);
		if (n < 1)
			die("io_getevents");
		for (long i = 0; i < n; i++) {
			if ((long)ev[i].res != 4096)
				die(write ? "aio write 4k" : "aio read 4k");
			busy[ev[i].data] = 0;
			ops++;
		}
		inflight -= n;
	}
	printf("bench: rand4k_%s_qd16_iops=%.0f\n", write ? "write" : "read", ops / (now() - t));
}

static int blk(const char *dev, long mib, double seconds)
{
	int fd = open(dev, O_RDWR | O_DIRECT);
	char *buf;

	if (fd < 0)
		die(dev);
	if (posix_memalign((void **)&buf, 4096, MIB))
		die("posix_memalign");
	memset(buf, 0x5a, MIB);
	sequential(fd, buf, mib, 1);
	sequential(fd, buf, mib, 0);
	random_4k(fd, buf, mib, seconds, 0);
	random_4k(fd, buf, mib, seconds, 1);
	random_4k_qd(fd, buf, mib, seconds, 0);
	random_4k_qd(fd, buf, mib, seconds, 1);
	return 0;
}

/* 64-bit FNV-1a over a stream, chunk by chunk. */
static uint64_t fnv(uint64_t h, const unsigned char *p, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		h ^= p[i];
		h *= 0x100000001b3ULL;
	}
	return h;
}

#define FNV_INIT 0xcbf29ce484222325ULL

/* The next chunk of the pseudo-random stream (xorshift64, 8 bytes at a time). */
static void fill_random(unsigned char *buf, size_t len, uint64_t *x)
{
	for (size_t i = 0; i + 8 <= len; i += 8) {
		*x ^= *x << 13; *x ^= *x >> 7; *x ^= *x << 17;
		memcpy(buf + i, x, 8);
	}
}

static int send_mib(const char *host, int port, long mib, int sum)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(port) };
	static unsigned char buf[64 * 1024];
	uint64_t x = 0x9e3779b97f4a7c15ULL, h = FNV_INIT;
	int fd = -1;
	double t;

	inet_pton(AF_INET, host, &a.sin_addr);
	for (int i = 0; i < 300; i++) {	/* the other end may come up later */
		fd = socket(AF_INET, SOCK_STREAM, 0);
		if (connect(fd, (struct sockaddr *)&a, sizeof(a)) == 0)
			break;
		close(fd);
		fd = -1;
		sleep(1);
	}
	if (fd < 0)
		die("connect");
	t = now();
	for (long sent = 0; sent < mib * MIB;) {
		ssize_t n;

		if (sum) {
			fill_random(buf, sizeof(buf), &x);
			h = fnv(h, buf, sizeof(buf));
		}
		/* Whole buffers: MIB MiB is a multiple of them, and the hash covers each once. */
		for (size_t off = 0; off < sizeof(buf); off += (size_t)n) {
			n = write(fd, buf + off, sizeof(buf) - off);
			if (n <= 0)
				die("send");
		}
		sent += sizeof(buf);
	}
	shutdown(fd, SHUT_WR);
	if (read(fd, buf, 1) < 0)	/* the receiver closes when it has everything */
		die("read");
	printf("bench: net_send_mbs=%.1f\n", mib * MIB / (now() - t) / 1e6);
	if (sum)
		printf("bench: net_send_bytes=%ld net_send_sum=%016llx\n", mib * MIB,
		       (unsigned long long)h);
	return 0;
}

static int recv_all(int port, int sum)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(port) };
	static unsigned char buf[256 * 1024];
	int one = 1, s = socket(AF_INET, SOCK_STREAM, 0), fd;
	uint64_t h = FNV_INIT;
	long long got = 0;
	ssize_t n;
	double t;

	setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(s, (struct sockaddr *)&a, sizeof(a)) || listen(s, 1))
		die("bind");
	printf("bench: listening=%d\n", port);
	fd = accept(s, NULL, NULL);
	if (fd < 0)
		die("accept");
	t = now();
	while ((n = read(fd, buf, sizeof(buf))) > 0) {
		if (sum)
			h = fnv(h, buf, (size_t)n);
		got += n;
	}
	printf("bench: net_recv_bytes=%lld net_recv_mbs=%.1f\n", got, got / (now() - t) / 1e6);
	if (sum)
		printf("bench: net_recv_sum=%016llx\n", (unsigned long long)h);
	close(fd);
	return 0;
}

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc == 5 && !strcmp(argv[1], "blk"))
		return blk(argv[2], atol(argv[3]), atof(argv[4]));
	if ((argc == 5 || argc == 6) && !strcmp(argv[1], "send"))
		return send_mib(argv[2], atoi(argv[3]), atol(argv[4]),
				argc == 6 && !strcmp(argv[5], "sum"));
	if ((argc == 3 || argc == 4) && !strcmp(argv[1], "recv"))
		return recv_all(atoi(argv[2]), argc == 4 && !strcmp(argv[3], "sum"));
	fprintf(stderr, "usage: iobench blk DEV MIB SECONDS | send HOST PORT MIB [sum] | recv PORT [sum]\n");
	return 2;
}
