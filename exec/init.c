/*
 * The guest's /init for vmm exec (docs/exec-design.md): a static aarch64
 * program, PID 1 of a throwaway VM. It reads its job from the initramfs,
 * mounts /proc, /sys and /dev, raises the default SVE vector length to
 * the VM's largest, runs the program as its child on the job's stdin,
 * stdout and stderr, waits for it, and reports how it ended through the
 * exit doorbell (an MMIO page only it writes, with the job's key), then
 * powers the VM off.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/reboot.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include "vmm/exec-job.h"
#include "vmm/exec-status.h"

#define SVE_DEFAULT_VL	"/proc/sys/abi/sve_default_vector_length"

static struct exec_job job;
static bool have_job;

static void put(int fd, const char *s)
{
	ssize_t n = write(fd, s, strlen(s));

	(void)n;	/* nowhere left to say it */
}

/* One line on the console (the kernel's, ttyAMA0): what vmm --debug shows. */
static void say(const char *what, int err)
{
	int fd = open("/dev/console", O_WRONLY | O_NOCTTY | O_CLOEXEC);

	if (fd < 0)
		fd = 2;
	put(fd, "vmm-exec-init: ");
	put(fd, what);
	if (err) {
		put(fd, ": ");
		put(fd, strerror(err));
	}
	put(fd, "\n");
	if (fd != 2)
		close(fd);
}

static volatile uint64_t *doorbell;

/* Maps the exit doorbell's page (through /dev/mem: no driver claims it). */
static int map_doorbell(void)
{
	uint64_t page = job.exit_addr & ~(uint64_t)(EXEC_DOORBELL_SIZE - 1);
	void *map;
	int fd;

	if (doorbell)
		return 0;
	fd = open("/dev/mem", O_RDWR | O_SYNC | O_CLOEXEC);
	if (fd < 0) {
		say("/dev/mem", errno);
		return -1;
	}
	map = mmap(NULL, EXEC_DOORBELL_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, (off_t)page);
	close(fd);
	if (map == MAP_FAILED) {
		say("mapping the exit doorbell", errno);
		return -1;
	}
	doorbell = (volatile uint64_t *)((char *)map + (job.exit_addr - page));
	return 0;
}

/* Writes the status word to the exit doorbell, then powers off. */
static void __attribute__((noreturn)) finish(uint64_t word)
{
	if (!have_job)
		say("no job: no status to report", 0);
	else if (!map_doorbell()) {
		doorbell[EXEC_DOORBELL_KEY / 8] = job.exit_key;
		doorbell[EXEC_DOORBELL_STATUS / 8] = word;
	}
	sync();
	reboot(RB_POWER_OFF);
	for (;;)
		pause();
}

static void __attribute__((noreturn)) init_failed(enum exec_init_step step, int err, const char *what)
{
	say(what, err);
	finish(exec_status__encode(EXEC_INIT_FAILED, (unsigned)err, step));
}

static int read_all(const char *path, uint8_t **buf, size_t *len)
{
	struct stat st;
	size_t done = 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC), ret = 0;

	if (fd < 0)
		return errno;
	if (fstat(fd, &st) < 0 || (uint64_t)st.st_size > EXEC_JOB_MAX) {
		close(fd);
		return EFBIG;
	}
	*len = (size_t)st.st_size;
	*buf = malloc(*len + 1);
	while (*buf && done < *len) {
		ssize_t n = read(fd, *buf + done, *len - done);

		if (n <= 0) {
			ret = n < 0 ? errno : EIO;
			break;
		}
		done += (size_t)n;
	}
	close(fd);
	return *buf ? ret : ENOMEM;
}

static void load_job(void)
{
	uint8_t *buf = NULL;
	size_t len = 0;
	char err[160];
	int ret = read_all(EXEC_JOB_PATH, &buf, &len);

	if (ret) {
		say(EXEC_JOB_PATH, ret);
		finish(0);
	}
	if (exec_job__decode(buf, len, &job, err, sizeof(err))) {
		say(err, 0);
		finish(0);
	}
	free(buf);
	have_job = true;
	/* The program cannot read the key from the job file. */
	unlink(EXEC_JOB_PATH);
}

static void mount_one(const char *src, const char *dir, const char *type, unsigned long flags)
{
	mkdir(dir, 0755);
	if (mount(src, dir, type, flags, NULL) < 0 && errno != EBUSY)
		init_failed(INIT_STEP_MOUNT, errno, dir);
}

/* Linux starts processes at 512 bits at most; -1 asks for the largest. */
static void raise_sve_default(void)
{
	int fd = open(SVE_DEFAULT_VL, O_WRONLY | O_CLOEXEC);

	if (fd < 0)
		return;		/* no SVE */
	if (write(fd, "-1\n", 3) < 0)
		say(SVE_DEFAULT_VL, errno);
	close(fd);
}

/* A terminal passes bytes unchanged: no \n -> \r\n, no echo, no signals. */
static void make_raw(int fd)
{
	struct termios t;

	if (tcgetattr(fd, &t) < 0)
		return;
	cfmakeraw(&t);
	tcsetattr(fd, TCSANOW, &t);
}

static int open_out(const char *path)
{
	int fd = open(path, O_RDWR | O_NOCTTY | O_CLOEXEC);

	if (fd < 0)
		init_failed(INIT_STEP_STDIO, errno, path);
	make_raw(fd);
	return fd;
}

/* Never-returning child: stdio, working directory, exec. Errors go up the pipe. */
static void __attribute__((noreturn)) run_program(int in, int out, int err, int report)
{
	int fail[2];
	ssize_t n;

	setsid();
	if (dup2(in, 0) < 0 || dup2(out, 1) < 0 || dup2(err, 2) < 0) {
		fail[0] = INIT_STEP_STDIO;
		goto failed;
	}
	if ((mkdir(job.cwd, 0755) < 0 && errno != EEXIST) || chdir(job.cwd) < 0) {
		fail[0] = INIT_STEP_CWD;
		goto failed;
	}
	execve(job.program, job.argv, job.envp ? job.envp : (char *[]){ NULL });
	fail[0] = 0;	/* the exec itself */
failed:
	fail[1] = errno;
	n = write(report, fail, sizeof(fail));
	(void)n;
	_exit(127);
}

int main(void)
{
	int in, out, err, pipefd[2], fail[2], wstatus;
	pid_t pid, w;
	ssize_t n;

	load_job();
	mount_one("proc", "/proc", "proc", MS_NOSUID | MS_NOEXEC | MS_NODEV);
	mount_one("sysfs", "/sys", "sysfs", MS_NOSUID | MS_NOEXEC | MS_NODEV);
	mount_one("devtmpfs", "/dev", "devtmpfs", MS_NOSUID);
	raise_sve_default();
	/* fds 0-2 taken, so that the ones opened below are not among them
	 * (dup2 onto the same number would keep their close-on-exec flag) */
	while ((in = open("/dev/null", O_RDWR)) >= 0 && in < 3)
		;
	if (in > 2)
		close(in);

	in = open(job.stdin_path ? job.stdin_path : "/dev/null", O_RDONLY | O_CLOEXEC);
	if (in < 0)
		init_failed(INIT_STEP_STDIO, errno, job.stdin_path ? job.stdin_path : "/dev/null");
	out = open_out(job.stdout_path ? job.stdout_path : "/dev/console");
	err = job.stderr_path ? open_out(job.stderr_path) : out;
	/* vmm --debug's timing: the program starts now (the key is not needed) */
	if (!map_doorbell())
		doorbell[EXEC_DOORBELL_START / 8] = 1;
	if (pipe2(pipefd, O_CLOEXEC) < 0)
		init_failed(INIT_STEP_FORK, errno, "pipe");
	pid = fork();
	if (pid < 0)
		init_failed(INIT_STEP_FORK, errno, "fork");
	if (pid == 0)
		run_program(in, out, err, pipefd[1]);
	close(pipefd[1]);
	do
		n = read(pipefd[0], fail, sizeof(fail));
	while (n < 0 && errno == EINTR);
	/* As PID 1, reap every orphan until the program itself ends. */
	while ((w = wait(&wstatus)) != pid)
		if (w < 0 && errno != EINTR)
			init_failed(INIT_STEP_WAIT, errno, "wait");
	/* What the program left running stops with it; its output is flushed. */
	kill(-1, SIGKILL);
	tcdrain(out);
	tcdrain(err);
	if (n == (ssize_t)sizeof(fail)) {
		if (fail[0])
			init_failed((enum exec_init_step)fail[0], fail[1], "starting the program");
		say(job.program, fail[1]);
		finish(exec_status__encode(EXEC_EXEC_FAILED, (unsigned)fail[1], 0));
	}
	if (WIFSIGNALED(wstatus))
		finish(exec_status__encode(EXEC_SIGNALED, (unsigned)WTERMSIG(wstatus), 0));
	finish(exec_status__encode(EXEC_EXITED, (unsigned)WEXITSTATUS(wstatus), 0));
}
