/*
 * Boot benchmark, run in the test bed host by scripts/bench-boot-inside:
 *
 *   vmmbench RUNS RAM_MIB -- NAME COMMAND... [-- NAME COMMAND...]
 *
 * Runs each command RUNS times, alternating between them (A B A B ...),
 * each booting a Linux guest with vmm.test=bench-boot (its init prints
 * "vmm-guest: init reached", then "bench: uptime=SECONDS", then powers
 * off). Measures, the same way for every VMM:
 *   first_run   ms from fork+exec to the first KVM_RUN: vmm's --debug line, which
 *               counts from vmm's main(), plus the time from the fork to
 *               that time zero (its CLOCK_MONOTONIC in --debug's first line);
 *               -1 without them
 *   init        ms from exec to the guest's "vmm-guest: init reached"
 *   pre_clock   ms from exec to the guest kernel's clock starting: the
 *               time the uptime line came less the uptime it reports
 *   exit        ms from the guest's last line before poweroff to the VMM's exit
 *   own_rss     the VMM's own memory: its peak RSS (wait4's ru_maxrss, exact
 *               where /proc's VmHWM lags by up to 64 page-table changes per
 *               thread) less the resident KiB of its guest RAM, read from
 *               /proc/PID/smaps (a page-table walk) from the uptime line on.
 *               Guest RAM is the host range vmm's --debug line gives,
 *               else every mapping of at least RAM_MIB (lkvm's is one).
 *               It is read again at each later line up to the VMM's exit
 *               (the guest's shutdown can fault in one more 2 MiB huge
 *               page after the uptime line), and the largest reading kept.
 *   peak_rss    the peak RSS, KiB
 * and prints each run, then per command min/median/max of each, and the
 * ratio of each other command's median to the second's (the reference).
 * The command's stdin is a pipe nobody writes to: a console with no input.
 */
#define _GNU_SOURCE
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

enum { FIRST_RUN, INIT, PRE_CLOCK, EXIT, OWN_RSS, PEAK_RSS, NR_METRICS };
static const char *const names[NR_METRICS] = {
	"first_run_ms", "init_ms", "pre_clock_ms", "exit_ms", "own_rss_kib", "peak_rss_kib",
};

#define MAX_CMDS 4

struct cmd {
	const char *name;
	char **argv;
};

static double now_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec * 1e3 + (double)t.tv_nsec / 1e6;
}

/* Where guest RAM is in the VMM's address space, when it says so. */
struct ram_range {
	unsigned long start, end;	/* end 0: unknown */
};

/*
 * Resident KiB of pid's guest RAM: its mappings inside r, or without r
 * every mapping of at least min_kib.
 */
static unsigned long guest_ram_kib(pid_t pid, const struct ram_range *r, unsigned long min_kib)
{
	unsigned long start = 0, end = 0, size = 0, rss, total = 0;
	char path[64], line[512];
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/smaps", (int)pid);
	if (!(f = fopen(path, "r")))
		return 0;
	while (fgets(line, sizeof(line), f)) {
		bool in;

		if (sscanf(line, "%lx-%lx ", &start, &end) == 2)
			continue;
		if (sscanf(line, "Size: %lu kB", &size) == 1)
			continue;
		if (sscanf(line, "Rss: %lu kB", &rss) != 1)
			continue;
		in = r->end ? start >= r->start && end <= r->end : size >= min_kib;
		if (in)
			total += rss;
	}
	fclose(f);
	return total;
}

static pid_t start(char **argv, int *out_fd, int *in_fd)
{
	int out[2], in[2];
	pid_t pid;

	if (pipe(out) < 0 || pipe(in) < 0)
		return -1;
	pid = fork();
	if (pid == 0) {
		dup2(in[0], 0);
		dup2(out[1], 1);
		dup2(out[1], 2);
		close(out[0]);
		close(in[1]);
		execvp(argv[0], argv);
		_exit(127);
	}
	close(out[1]);
	close(in[0]);
	*out_fd = out[0];
	*in_fd = in[1];
	return pid;
}

/* One run; fills m[] (negative when a marker never came). Returns the exit status. */
static int one_run(char **argv, unsigned long ram_kib, double m[NR_METRICS])
{
	double t0 = now_ms(), last_line = 0, zero = -1;
	struct ram_range ram = { 0, 0 };
	unsigned long guest = 0;
	int out_fd, in_fd, status;
	struct rusage ru;
	char line[4096];
	FILE *out;
	pid_t pid;

	for (int i = 0; i < NR_METRICS; i++)
		m[i] = -1;
	pid = start(argv, &out_fd, &in_fd);
	if (pid < 0)
		return -1;
	out = fdopen(out_fd, "r");
	while (fgets(line, sizeof(line), out)) {
		double t = now_ms();
		char *p;

		if ((p = strstr(line, "guest RAM at host ")))
			sscanf(p, "guest RAM at host %lx-%lx", &ram.start, &ram.end);
		/* vmm's --debug times count from its main(): add the exec before it */
		if ((p = strstr(line, "time zero: CLOCK_MONOTONIC ")))
			zero = atof(p + strlen("time zero: CLOCK_MONOTONIC "));
		if ((p = strstr(line, "first KVM_RUN ")) && zero >= 0)
			m[FIRST_RUN] = zero - t0 + atof(p + strlen("first KVM_RUN "));
		if (strstr(line, "vmm-guest: init reached"))
			m[INIT] = t - t0;
		if ((p = strstr(line, "bench: uptime="))) {
			guest = guest_ram_kib(pid, &ram, ram_kib);
			m[PRE_CLOCK] = t - t0 - atof(p + strlen("bench: uptime=")) * 1e3;
		} else if (guest) {
			/* the guest still faults in RAM on its way to power off */
			unsigned long later = guest_ram_kib(pid, &ram, ram_kib);

			guest = later > guest ? later : guest;
		}
		if (strstr(line, "vmm-guest: test "))
			last_line = t;
	}
	fclose(out);
	if (wait4(pid, &status, 0, &ru) < 0)
		return -1;
	close(in_fd);
	if (last_line)
		m[EXIT] = now_ms() - last_line;
	m[PEAK_RSS] = (double)ru.ru_maxrss;
	if (guest)
		m[OWN_RSS] = (double)ru.ru_maxrss - (double)guest;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128;
}

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* Sorts v (n values) and returns the median. */
static double median(double *v, int n)
{
	qsort(v, n, sizeof(double), cmp);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* Splits argv at each "--" into NAME COMMAND...; returns how many. */
static int parse_cmds(int argc, char **argv, struct cmd cmds[MAX_CMDS])
{
	int n = 0;

	for (int i = 0; i < argc; i++) {
		if (strcmp(argv[i], "--"))
			continue;
		argv[i] = NULL;	/* ends the previous command */
		if (n == MAX_CMDS || i + 2 >= argc)
			return -1;
		cmds[n].name = argv[i + 1];
		cmds[n].argv = argv + i + 2;
		n++;
	}
	return n;
}

static void report(const struct cmd *cmds, int nr_cmds, int runs, double (*m)[NR_METRICS])
{
	for (int i = 0; i < NR_METRICS; i++) {
		double med[MAX_CMDS];

		for (int c = 0; c < nr_cmds; c++) {
			double v[runs];

			for (int r = 0; r < runs; r++)
				v[r] = m[r * nr_cmds + c][i];
			med[c] = median(v, runs);
			printf("%-5s %-13s min %8.1f  median %8.1f  max %8.1f\n", cmds[c].name,
			       names[i], v[0], med[c], v[runs - 1]);
		}
		for (int c = 0; c < nr_cmds; c++)
			if (c != 1 && med[c] > 0 && med[1] > 0)
				printf("%s/%s %-13s %.2f\n", cmds[c].name, cmds[1].name, names[i],
				       med[c] / med[1]);
	}
}

int main(int argc, char **argv)
{
	int runs = argc > 4 ? atoi(argv[1]) : 0;
	unsigned long ram_mib = argc > 4 ? strtoul(argv[2], NULL, 10) : 0;
	struct cmd cmds[MAX_CMDS];
	double (*m)[NR_METRICS];
	int nr_cmds, failed = 0;

	nr_cmds = runs > 0 && ram_mib ? parse_cmds(argc - 3, argv + 3, cmds) : -1;
	if (nr_cmds < 1 || argv[3]) {	/* argv[3] was the first "--" */
		fprintf(stderr, "usage: vmmbench RUNS RAM_MIB -- NAME COMMAND... [-- NAME COMMAND...]\n");
		return 2;
	}
	m = calloc((size_t)runs * nr_cmds, sizeof(*m));
	for (int r = 0; r < runs; r++) {
		for (int c = 0; c < nr_cmds; c++) {
			double *mr = m[r * nr_cmds + c];
			int st = one_run(cmds[c].argv, ram_mib << 10, mr);

			printf("%s run %d: status %d", cmds[c].name, r + 1, st);
			for (int i = 0; i < NR_METRICS; i++)
				printf(" %s=%.1f", names[i], mr[i]);
			printf("\n");
			fflush(stdout);
			failed |= st != 0;
		}
	}
	report(cmds, nr_cmds, runs, m);
	free(m);
	return failed;
}
