/*
 * A control-socket client that misbehaves on purpose, for the test bed:
 *
 *   apiprobe [-u UID] SOCKET send REQUEST      one line; prints the reply and "ms=N"
 *   apiprobe [-u UID] SOCKET early REQUEST     sends the line and closes at once
 *   apiprobe [-u UID] SOCKET trickle REQUEST   sends the line a byte a second
 *   apiprobe [-u UID] SOCKET long N            sends N bytes, then a newline
 *
 * -u connects as another uid. It prints the reply line ("closed" when
 * vmm closed without one) and "ms=N", the time from connecting to the
 * reply. Exits 0 after a reply, 1 without one, 3 when it cannot connect.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static int connect_to(const char *path)
{
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);

	snprintf(addr.sun_path, sizeof(addr.sun_path), "%s", path);
	if (fd < 0 || connect(fd, (struct sockaddr *)&addr, sizeof(addr)) < 0) {
		printf("connect: %s\n", strerror(errno));
		exit(3);
	}
	return fd;
}

/* Sends what it can; vmm may have answered and closed already. */
static void send_some(int fd, const char *buf, size_t len)
{
	if (send(fd, buf, len, MSG_NOSIGNAL) < 0)
		fprintf(stderr, "apiprobe: send: %s\n", strerror(errno));
}

static int print_reply(int fd, double start)
{
	char line[8192];
	size_t len = 0;
	ssize_t n;

	while (len + 1 < sizeof(line) && (n = read(fd, line + len, 1)) == 1 && line[len] != '\n')
		len++;
	line[len] = 0;
	printf("%s\nms=%.0f\n", len ? line : "closed", now_ms() - start);
	return len ? 0 : 1;
}

int main(int argc, char **argv)
{
	const char *path, *mode, *arg;
	char *buf;
	double start;
	int fd;

	if (argc > 2 && !strcmp(argv[1], "-u")) {
		if (setgid((gid_t)atoi(argv[2])) || setuid((uid_t)atoi(argv[2]))) {
			perror("apiprobe: setuid");
			return 2;
		}
		argc -= 2;
		argv += 2;
	}
	if (argc != 4) {
		fprintf(stderr, "usage: apiprobe [-u UID] SOCKET send|early|trickle|long ARG\n");
		return 2;
	}
	path = argv[1], mode = argv[2], arg = argv[3];
	start = now_ms();
	fd = connect_to(path);
	if (!strcmp(mode, "long")) {
		size_t n = strtoul(arg, NULL, 0);

		buf = malloc(n + 1);
		memset(buf, 'x', n);
		buf[n] = '\n';
		send_some(fd, buf, n + 1);
		free(buf);
		return print_reply(fd, start);
	}
	if (asprintf(&buf, "%s\n", arg) < 0)
		return 2;
	if (!strcmp(mode, "trickle")) {
		for (const char *p = buf; *p; p++) {
			send_some(fd, p, 1);
			sleep(1);
		}
		return print_reply(fd, start);
	}
	send_some(fd, buf, strlen(buf));
	if (!strcmp(mode, "early")) {
		close(fd);
		printf("closed early\n");
		return 0;
	}
	return print_reply(fd, start);
}
