/*
 * The control socket's server, on a real UNIX socket with the VM's
 * requests stubbed: request framing and its size limit, the socket's
 * mode, a deadline per request that a trickling client cannot stretch
 * for others, clients that leave early, and the peer uid check.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "unit.h"
#include "vmm/api.h"
#include "vmm/migrate.h"
#include "vmm/vm.h"
#include "vmm/vmstate.h"

/* ---- the VM side, stubbed ---- */

static int nr_pause, nr_stop, nr_snapshot;

int vmstate__pause(struct vm *vm, char *out, size_t outlen)
{
	pthread_mutex_lock(&vm->lock);
	vm->pause_requested = true;
	pthread_mutex_unlock(&vm->lock);
	nr_pause++;
	snprintf(out, outlen, "paused");
	return 0;
}

int vmstate__resume(struct vm *vm, char *out, size_t outlen)
{
	pthread_mutex_lock(&vm->lock);
	vm->pause_requested = false;
	pthread_mutex_unlock(&vm->lock);
	snprintf(out, outlen, "running");
	return 0;
}

int vmstate__snapshot(struct vm *vm, const char *dir, bool stop, char *out, size_t outlen)
{
	nr_snapshot++;
	snprintf(out, outlen, "saved %s", dir);
	return 0;
}

static char last_base[256], last_dir[256];
static bool last_stop;

int vmstate__snapshot_on(struct vm *vm, const char *dir, const char *base, bool stop,
			 char *out, size_t outlen)
{
	nr_snapshot++;
	snprintf(last_base, sizeof(last_base), "%s", base);
	snprintf(last_dir, sizeof(last_dir), "%s", dir);
	last_stop = stop;
	snprintf(out, outlen, "saved %s", dir);
	return 0;
}

void vm__request_stop(struct vm *vm, int status)
{
	nr_stop++;
}

/* The migration thread (vmm/migrate.c) is not linked: no migration runs. */
int migrate__thread_start(struct vm *vm) { return 0; }
void migrate__thread_stop(void) { }
bool migrate__busy(void) { return false; }
int migrate__request(struct vm *vm, int fd, const char *args, char *out, size_t outlen)
{
	snprintf(out, outlen, "no migration here");
	return 1;
}

/* ---- helpers ---- */

static struct vm vm;
static char sock_path[64];
static int listen_fd = -1;

static int start_server(void **state)
{
	alarm(60);
	memset(&vm, 0, sizeof(vm));
	pthread_mutex_init(&vm.lock, NULL);
	nr_pause = nr_stop = nr_snapshot = 0;
	api_request_deadline_ms = 2000;
	snprintf(sock_path, sizeof(sock_path), "/tmp/vmm-test-api-%d.sock", (int)getpid());
	listen_fd = api__listen(sock_path);
	if (listen_fd < 0 || api__start(&vm, listen_fd))
		return -1;
	return 0;
}

static int stop_server(void **state)
{
	api__close(listen_fd, sock_path);
	listen_fd = -1;
	alarm(0);
	return 0;
}

static int connect_client(void)
{
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	assert_true(fd >= 0);
	strcpy(addr.sun_path, sock_path);
	assert_int_equal(connect(fd, (struct sockaddr *)&addr, sizeof(addr)), 0);
	return fd;
}

static void send_bytes(int fd, const void *buf, size_t len)
{
	assert_int_equal(send(fd, buf, len, MSG_NOSIGNAL), (ssize_t)len);
}

/* The reply line (without its newline), or "" when the server closed without one. */
static void read_reply(int fd, char *line, size_t size, int timeout_ms)
{
	size_t len = 0;

	while (len + 1 < size) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		ssize_t n;

		assert_int_equal(poll(&p, 1, timeout_ms), 1);
		n = read(fd, line + len, 1);
		if (n <= 0 || line[len] == '\n')
			break;
		len++;
	}
	line[len] = 0;
}

static void ask(const char *req, char *line, size_t size)
{
	int fd = connect_client();

	send_bytes(fd, req, strlen(req));
	read_reply(fd, line, size, 5000);
	close(fd);
}

/* ---- snapshot-base: BASE's length first, so both paths may hold spaces ---- */

static int split(const char *req, const char **base, const char **dir, bool *stop)
{
	static char buf[256];

	snprintf(buf, sizeof(buf), "%s", req);
	return api__parse_snapshot_base(buf, base, dir, stop);
}

static void test_parse_snapshot_base(void **state)
{
	const char *base, *dir;
	bool stop;

	assert_int_equal(split("snapshot-base 6 /s/a b /s/c d", &base, &dir, &stop), 0);
	assert_string_equal(base, "/s/a b");
	assert_string_equal(dir, "/s/c d");
	assert_false(stop);
	assert_int_equal(split("snapshot-base-stop 2 /a /b", &base, &dir, &stop), 0);
	assert_string_equal(base, "/a");
	assert_string_equal(dir, "/b");
	assert_true(stop);
	assert_int_equal(split("snapshot-base 3 /a  /b", &base, &dir, &stop), 0);
	assert_string_equal(base, "/a ");	/* the length decides, not the spaces */
	assert_string_equal(dir, "/b");
	/* malformed: no length, a zero or leading-zero length, too long, no DIR, no space */
	assert_int_equal(split("snapshot-base /a /b", &base, &dir, &stop), -1);
	assert_int_equal(split("snapshot-base 0 /a /b", &base, &dir, &stop), -1);
	assert_int_equal(split("snapshot-base 02 /a /b", &base, &dir, &stop), -1);
	assert_int_equal(split("snapshot-base 9 /a /b", &base, &dir, &stop), -1);
	assert_int_equal(split("snapshot-base 5 /a /b", &base, &dir, &stop), -1);
	assert_int_equal(split("snapshot-base 2 /a ", &base, &dir, &stop), -1);
	assert_int_equal(split("snapshot-base 2 /a/b", &base, &dir, &stop), -1);
	assert_int_equal(split("snapshot-base 2x /a /b", &base, &dir, &stop), -1);
	assert_int_equal(split("snapshot-base 99999999999999999999 /a /b", &base, &dir, &stop),
			 -1);
}

static void test_snapshot_base_request(void **state)
{
	char line[256];

	ask("snapshot-base 6 /s/a b /s/c\n", line, sizeof(line));
	assert_string_equal(line, "ok saved /s/c");
	assert_string_equal(last_base, "/s/a b");
	assert_string_equal(last_dir, "/s/c");
	assert_false(last_stop);
	ask("snapshot-base 6 /s/a\n", line, sizeof(line));
	assert_int_equal(strncmp(line, "error 2 bad request", 19), 0);
	assert_int_equal(nr_snapshot, 1);
}

/* ---- framing ---- */

static void test_frame(void **state)
{
	char buf[16];

	memcpy(buf, "paus", 4);
	assert_int_equal(api__frame(buf, 4, sizeof(buf)), API_FRAME_MORE);
	memcpy(buf, "pause\nrest", 10);
	assert_int_equal(api__frame(buf, 10, sizeof(buf)), API_FRAME_LINE);
	assert_string_equal(buf, "pause");
	memset(buf, 'x', sizeof(buf));
	assert_int_equal(api__frame(buf, sizeof(buf), sizeof(buf)), API_FRAME_TOO_LONG);
	/* The limit counts the newline: size - 1 bytes and a newline fit. */
	buf[sizeof(buf) - 1] = '\n';
	assert_int_equal(api__frame(buf, sizeof(buf), sizeof(buf)), API_FRAME_LINE);
	assert_int_equal(strlen(buf), sizeof(buf) - 1);
	memcpy(buf, "stop\0x\n", 7);
	assert_int_equal(api__frame(buf, 7, sizeof(buf)), API_FRAME_BAD);
}

/* ---- the server ---- */

static void test_socket_mode_0600(void **state)
{
	struct stat st;

	assert_int_equal(stat(sock_path, &st), 0);
	assert_true(S_ISSOCK(st.st_mode));
	assert_int_equal(st.st_mode & 07777, 0600);
}

static void test_requests(void **state)
{
	char line[256];

	ask("status\n", line, sizeof(line));
	assert_string_equal(line, "ok running");
	ask("pause\n", line, sizeof(line));
	assert_string_equal(line, "ok paused");
	ask("status\n", line, sizeof(line));
	assert_string_equal(line, "ok paused");
	ask("snapshot /tmp/x\n", line, sizeof(line));
	assert_string_equal(line, "ok saved /tmp/x");
	ask("reboot\n", line, sizeof(line));
	assert_string_equal(line, "error 2 unknown request 'reboot'");
	ask("stop\n", line, sizeof(line));
	assert_string_equal(line, "ok");
	assert_int_equal(nr_stop, 1);
}

static void test_overlong_line_refused_not_run(void **state)
{
	size_t len = API_LINE_MAX + 100;
	char *req = calloc(1, len + 1), line[256];

	memset(req, ' ', len);
	memcpy(req, "stop", 4);
	req[len - 1] = '\n';
	ask(req, line, sizeof(line));
	assert_string_equal(line, "error 2 request longer than 4095 bytes");
	/* One byte less than the limit with its newline is still a request. */
	memset(req, 'x', API_LINE_MAX - 1);
	req[API_LINE_MAX - 1] = '\n';
	req[API_LINE_MAX] = 0;
	ask(req, line, sizeof(line));
	assert_true(!strncmp(line, "error 2 unknown request 'xxx", 28));
	assert_int_equal(nr_stop, 0);
	free(req);
}

static void test_nul_refused(void **state)
{
	char line[256];
	int fd = connect_client();

	send_bytes(fd, "stop\0now\n", 9);
	read_reply(fd, line, sizeof(line), 5000);
	close(fd);
	assert_string_equal(line, "error 2 request with a NUL byte");
	assert_int_equal(nr_stop, 0);
}

/*
 * A client sending a byte at a time holds its own request only: a stop
 * from another client is answered at once, and the trickler is dropped
 * at its deadline, its request never run.
 */
static void test_trickle_does_not_delay_others(void **state)
{
	int slow = connect_client(), fd;
	char line[256];
	double start;

	send_bytes(slow, "s", 1);
	usleep(100 * 1000);
	send_bytes(slow, "t", 1);
	start = vmm_uptime_ms();
	fd = connect_client();
	send_bytes(fd, "stop\n", 5);
	read_reply(fd, line, sizeof(line), 5000);
	close(fd);
	assert_string_equal(line, "ok");
	assert_true(vmm_uptime_ms() - start < api_request_deadline_ms);
	send_bytes(slow, "o", 1);
	read_reply(slow, line, sizeof(line), 3 * api_request_deadline_ms);
	assert_string_equal(line, "error 2 no whole request line within 2000 ms");
	close(slow);
	assert_int_equal(nr_stop, 1);
}

/* Every slot taken by tricklers: the next client waits for one, at most a deadline. */
static void test_full_slots_wait_in_backlog(void **state)
{
	int slow[8], fd;
	char line[256];

	for (int i = 0; i < 8; i++) {
		slow[i] = connect_client();
		send_bytes(slow[i], "p", 1);
	}
	fd = connect_client();
	send_bytes(fd, "status\n", 7);
	read_reply(fd, line, sizeof(line), 3 * api_request_deadline_ms);
	assert_string_equal(line, "ok running");
	close(fd);
	for (int i = 0; i < 8; i++)
		close(slow[i]);
}

/* A client that leaves before its reply (EPIPE), or before its newline. */
static void test_clients_that_leave_early(void **state)
{
	char line[256];
	int fd = connect_client();

	send_bytes(fd, "pause\n", 6);
	close(fd);
	fd = connect_client();
	send_bytes(fd, "stop", 4);		/* no newline: never run */
	close(fd);
	ask("status\n", line, sizeof(line));	/* served after both */
	assert_string_equal(line, "ok paused");
	assert_int_equal(nr_pause, 1);
	assert_int_equal(nr_stop, 0);
}

/* Another uid gets one line and its request is not run (needs root to be another uid). */
static void test_other_uid_refused(void **state)
{
	char line[256];
	pid_t pid;
	int status;

	if (geteuid() != 0)
		skip();
	chmod(sock_path, 0666);		/* past the mode, to the peer check */
	pid = fork();
	if (pid == 0) {
		struct sockaddr_un addr = { .sun_family = AF_UNIX };
		int fd = socket(AF_UNIX, SOCK_STREAM, 0);
		ssize_t n;

		strcpy(addr.sun_path, sock_path);
		if (setgid(65534) || setuid(65534) ||
		    connect(fd, (struct sockaddr *)&addr, sizeof(addr)))
			_exit(3);
		/* Refused at once: the request may meet a closed socket. */
		n = send(fd, "stop\n", 5, MSG_NOSIGNAL);
		(void)n;
		n = read(fd, line, sizeof(line) - 1);
		line[n > 0 ? n : 0] = 0;
		_exit(strcmp(line, "error 2 uid 65534 may not use this socket\n") ? 1 : 0);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	assert_int_equal(nr_stop, 0);
	ask("status\n", line, sizeof(line));
	assert_string_equal(line, "ok running");
}

/* ---- the snapshot client's progress ---- */

static void test_snapshot_progress(void **state)
{
	char base[] = "/tmp/vmm-test-progress-XXXXXX", path[256], dir[128];
	static char page[1 << 20];
	int fd;

	assert_non_null(mkdtemp(base));
	snprintf(dir, sizeof(dir), "%s/snap1", base);
	assert_int_equal(api__snapshot_progress(dir), -1);
	snprintf(path, sizeof(path), "%s/.snap1.tmp-abcdef", base);
	assert_int_equal(mkdir(path, 0700), 0);
	strcat(path, "/memory");
	fd = open(path, O_WRONLY | O_CREAT, 0600);
	assert_true(fd >= 0);
	memset(page, 1, sizeof(page));
	assert_int_equal(pwrite(fd, page, sizeof(page), 0), (ssize_t)sizeof(page));
	assert_int_equal(fsync(fd), 0);
	close(fd);
	assert_true(api__snapshot_progress(dir) >= (long long)sizeof(page));
	snprintf(dir, sizeof(dir), "%s/snap", base);	/* another name's file is not ours */
	assert_int_equal(api__snapshot_progress(dir), -1);
	unlink(path);
	*strrchr(path, '/') = 0;
	rmdir(path);
	rmdir(base);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_frame),
		cmocka_unit_test(test_parse_snapshot_base),
		cmocka_unit_test_setup_teardown(test_snapshot_base_request, start_server, stop_server),
		cmocka_unit_test_setup_teardown(test_socket_mode_0600, start_server, stop_server),
		cmocka_unit_test_setup_teardown(test_requests, start_server, stop_server),
		cmocka_unit_test_setup_teardown(test_overlong_line_refused_not_run, start_server, stop_server),
		cmocka_unit_test_setup_teardown(test_nul_refused, start_server, stop_server),
		cmocka_unit_test_setup_teardown(test_trickle_does_not_delay_others, start_server, stop_server),
		cmocka_unit_test_setup_teardown(test_full_slots_wait_in_backlog, start_server, stop_server),
		cmocka_unit_test_setup_teardown(test_clients_that_leave_early, start_server, stop_server),
		cmocka_unit_test_setup_teardown(test_other_uid_refused, start_server, stop_server),
		cmocka_unit_test(test_snapshot_progress),
	};

	umask(0);	/* the socket's mode must not come from the umask */
	return cmocka_run_group_tests_name("api", tests, NULL, NULL);
}
