/*
 * I/O benchmark for the virtio devices (make bench), static for the Linux
 * guest and the test-bed host:
 *
 *   iobench blk DEV MIB SECONDS   in the guest, on a scratch disk: O_DIRECT
 *                                 sequential write and read of MIB MiB in
 *                                 1 MiB requests, then 4 KiB random reads and
 *                                 writes (one at a time) for SECONDS each
 *   iobench send HOST PORT MIB    in the guest: sends MIB MiB over TCP
 *   iobench recv PORT             on the host: takes one connection, reads
 *                                 to EOF
 *
 * Each prints "bench: NAME=VALUE" lines (MB/s are 10^6 bytes per second).
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
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
	return 0;
}

static int send_mib(const char *host, int port, long mib)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(port) };
	static char buf[64 * 1024];
	int fd = -1;
	double t;

	inet_pton(AF_INET, host, &a.sin_addr);
	for (int i = 0; i < 30; i++) {	/* the host's end may come up later */
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
		ssize_t n = write(fd, buf, sizeof(buf));

		if (n <= 0)
			die("send");
		sent += n;
	}
	shutdown(fd, SHUT_WR);
	read(fd, buf, 1);	/* the receiver closes when it has everything */
	printf("bench: net_send_mbs=%.1f\n", mib * MIB / (now() - t) / 1e6);
	return 0;
}

static int recv_all(int port)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(port) };
	static char buf[256 * 1024];
	int one = 1, s = socket(AF_INET, SOCK_STREAM, 0), fd;
	long long got = 0;
	ssize_t n;
	double t;

	setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(s, (struct sockaddr *)&a, sizeof(a)) || listen(s, 1))
		die("bind");
	fd = accept(s, NULL, NULL);
	if (fd < 0)
		die("accept");
	t = now();
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		got += n;
	printf("bench: net_recv_bytes=%lld net_recv_mbs=%.1f\n", got, got / (now() - t) / 1e6);
	close(fd);
	return 0;
}

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc == 5 && !strcmp(argv[1], "blk"))
		return blk(argv[2], atol(argv[3]), atof(argv[4]));
	if (argc == 5 && !strcmp(argv[1], "send"))
		return send_mib(argv[2], atoi(argv[3]), atol(argv[4]));
	if (argc == 3 && !strcmp(argv[1], "recv"))
		return recv_all(atoi(argv[2]));
	fprintf(stderr, "usage: iobench blk DEV MIB SECONDS | send HOST PORT MIB | recv PORT\n");
	return 2;
}
