/*
 * Holds a FIFO open for reading and stops reading it, so its writer stalls:
 *
 *   pipehold FIFO [MARKER]
 *
 * With MARKER, it first copies what comes to its stdout until MARKER
 * has come. Then it shrinks the pipe to one page (F_SETPIPE_SZ; kept as
 * it is when it holds more) and fills it itself through a second,
 * non-blocking writer, so the pipe is full before the real writer's next
 * byte; prints "full with N bytes" and sleeps, never reading again, until
 * killed. Exits 1 on a failure.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* Copies the FIFO to stdout until marker has passed; 0 when it did. */
static int copy_until(int fd, const char *marker)
{
	static char seen[1 << 20];
	size_t len = 0;
	ssize_t n;

	while ((n = read(fd, seen + len, sizeof(seen) - 1 - len)) > 0) {
		fwrite(seen + len, 1, (size_t)n, stdout);
		len += (size_t)n;
		seen[len] = 0;
		if (strstr(seen, marker))
			return 0;
		if (len > sizeof(seen) / 2) {	/* keep the tail, where a marker may begin */
			memmove(seen, seen + len - 4096, 4096);
			len = 4096;
		}
	}
	fprintf(stderr, "pipehold: '%s' never came\n", marker);
	return 1;
}

int main(int argc, char **argv)
{
	static const char pad[4096];
	int fd, wfd, size, total = 0;
	ssize_t n;

	if (argc != 2 && argc != 3) {
		fprintf(stderr, "usage: pipehold FIFO [MARKER]\n");
		return 2;
	}
	fd = open(argv[1], O_RDONLY);	/* waits for the writer */
	if (fd < 0 || (argc == 3 && copy_until(fd, argv[2]))) {
		perror("pipehold");
		return 1;
	}
	size = fcntl(fd, F_SETPIPE_SZ, 4096);
	if (size < 0 && errno == EBUSY)
		size = fcntl(fd, F_GETPIPE_SZ);
	wfd = size < 0 ? -1 : open(argv[1], O_WRONLY | O_NONBLOCK);
	if (wfd < 0) {
		perror("pipehold");
		return 1;
	}
	while ((n = write(wfd, pad, sizeof(pad))) > 0)
		total += (int)n;
	while ((n = write(wfd, pad, 1)) > 0)
		total += (int)n;
	if (errno != EAGAIN) {
		perror("pipehold: write");
		return 1;
	}
	printf("\nfull with %d more bytes (a pipe of %d)\n", total, size);
	fflush(stdout);
	for (;;)
		pause();
}
