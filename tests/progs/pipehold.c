/*
 * Holds a FIFO open for reading and never reads it, so its writer stalls:
 *
 *   pipehold FIFO
 *
 * Once the writer has opened the FIFO, it shrinks the pipe to one page
 * (F_SETPIPE_SZ) and fills it itself through a second, non-blocking
 * writer, so the pipe is full before the real writer's first byte; prints
 * "full with N bytes" and sleeps until killed. Exits 1 on a failure.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	static const char pad[4096];
	int fd, wfd, size, total = 0;
	ssize_t n;

	if (argc != 2) {
		fprintf(stderr, "usage: pipehold FIFO\n");
		return 2;
	}
	fd = open(argv[1], O_RDONLY);	/* waits for the writer */
	size = fd < 0 ? -1 : fcntl(fd, F_SETPIPE_SZ, 4096);
	wfd = size < 0 ? -1 : open(argv[1], O_WRONLY | O_NONBLOCK);
	if (wfd < 0) {
		perror("pipehold");
		return 1;
	}
	while ((n = write(wfd, pad, sizeof(pad) - (size_t)total % sizeof(pad))) > 0)
		total += (int)n;
	while ((n = write(wfd, pad, 1)) > 0)
		total += (int)n;
	if (errno != EAGAIN) {
		perror("pipehold: write");
		return 1;
	}
	printf("full with %d bytes (a pipe of %d)\n", total, size);
	fflush(stdout);
	for (;;)
		pause();
}
