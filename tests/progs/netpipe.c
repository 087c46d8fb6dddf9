/*
 * Moves one byte stream over TCP between the two hosts of a test-bed pair
 * (busybox nc ends a listener early when its stdin closes):
 *
 *   netpipe recv PORT [SECONDS]        accepts one connection on PORT and
 *                                      copies it to stdout until the sender
 *                                      has closed its side
 *   netpipe send HOST PORT [SECONDS]   connects (retrying while HOST refuses
 *                                      or is not there yet), copies stdin,
 *                                      and waits until the receiver closes
 *
 * Each prints "netpipe: received N bytes" or "netpipe: sent N bytes" on
 * stderr and exits 0; 1 on a failure, or when the whole run takes longer
 * than SECONDS (60 by default).
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static void on_alarm(int sig)
{
	static const char msg[] = "netpipe: timed out\n";

	(void)sig;
	(void)!write(2, msg, sizeof(msg) - 1);
	_exit(1);
}

static int usage(void)
{
	fprintf(stderr, "usage: netpipe recv PORT [SECONDS] | netpipe send HOST PORT [SECONDS]\n");
	return 2;
}

/* Copies in to out until in ends; the byte count, or -1 on an error. */
static long long copy(int in, int out)
{
	static char buf[1 << 16];
	long long total = 0;
	ssize_t n;

	while ((n = read(in, buf, sizeof(buf))) > 0) {
		for (ssize_t done = 0; done < n;) {
			ssize_t w = write(out, buf + done, (size_t)(n - done));

			if (w < 0) {
				if (errno == EINTR)
					continue;
				perror("netpipe: write");
				return -1;
			}
			done += w;
		}
		total += n;
	}
	if (n < 0) {
		perror("netpipe: read");
		return -1;
	}
	return total;
}

static int parse_addr(const char *host, const char *port, struct sockaddr_in *sa)
{
	char *end;
	long p = strtol(port, &end, 10);

	memset(sa, 0, sizeof(*sa));
	sa->sin_family = AF_INET;
	sa->sin_port = htons((unsigned short)p);
	if (*end || p <= 0 || p > 65535) {
		fprintf(stderr, "netpipe: bad port '%s'\n", port);
		return -1;
	}
	if (!host) {
		sa->sin_addr.s_addr = htonl(INADDR_ANY);
		return 0;
	}
	if (inet_pton(AF_INET, host, &sa->sin_addr) != 1) {
		fprintf(stderr, "netpipe: bad IPv4 address '%s'\n", host);
		return -1;
	}
	return 0;
}

static int recv_one(const char *port)
{
	struct sockaddr_in sa;
	int one = 1, ls, fd;
	long long n;

	if (parse_addr(NULL, port, &sa))
		return 2;
	ls = socket(AF_INET, SOCK_STREAM, 0);
	if (ls < 0 || setsockopt(ls, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ||
	    bind(ls, (struct sockaddr *)&sa, sizeof(sa)) || listen(ls, 1)) {
		perror("netpipe: listen");
		return 1;
	}
	fd = accept(ls, NULL, NULL);
	if (fd < 0) {
		perror("netpipe: accept");
		return 1;
	}
	close(ls);
	n = copy(fd, 1);
	if (n < 0)
		return 1;
	close(fd);
	fprintf(stderr, "netpipe: received %lld bytes\n", n);
	return 0;
}

/* A connection to sa, retried while the peer is not listening yet. */
static int connect_retrying(const struct sockaddr_in *sa)
{
	const struct timespec pause = { 0, 200 * 1000 * 1000 };

	for (;;) {
		int fd = socket(AF_INET, SOCK_STREAM, 0);

		if (fd < 0) {
			perror("netpipe: socket");
			return -1;
		}
		if (!connect(fd, (const struct sockaddr *)sa, sizeof(*sa)))
			return fd;
		if (errno != ECONNREFUSED && errno != EHOSTUNREACH && errno != ENETUNREACH &&
		    errno != ETIMEDOUT && errno != EINTR) {
			perror("netpipe: connect");
			close(fd);
			return -1;
		}
		close(fd);
		nanosleep(&pause, NULL);
	}
}

static int send_one(const char *host, const char *port)
{
	struct sockaddr_in sa;
	char byte;
	long long n;
	int fd;

	if (parse_addr(host, port, &sa))
		return 2;
	fd = connect_retrying(&sa);
	if (fd < 0)
		return 1;
	n = copy(0, fd);
	if (n < 0)
		return 1;
	/* The receiver closes once it has read everything we sent. */
	if (shutdown(fd, SHUT_WR) || read(fd, &byte, 1) != 0) {
		fprintf(stderr, "netpipe: the receiver did not close cleanly\n");
		return 1;
	}
	close(fd);
	fprintf(stderr, "netpipe: sent %lld bytes\n", n);
	return 0;
}

int main(int argc, char **argv)
{
	int nargs;

	if (argc < 2)
		return usage();
	nargs = strcmp(argv[1], "send") == 0 ? 4 : 3;
	if ((strcmp(argv[1], "send") && strcmp(argv[1], "recv")) || argc < nargs || argc > nargs + 1)
		return usage();
	signal(SIGPIPE, SIG_IGN);
	signal(SIGALRM, on_alarm);
	alarm(argc > nargs ? (unsigned)atoi(argv[nargs]) : 60);
	if (nargs == 3)
		return recv_one(argv[2]);
	return send_one(argv[2], argv[3]);
}
