/*
 * Boot benchmark, run in the test bed host by scripts/bench:
 *
 *   vmmbench RUNS -- VMM run --debug ... -p "... vmm.test=noop"
 *
 * Runs the command RUNS times and measures, from its output:
 *   first_run  ms from vmm's start to the first KVM_RUN (vmm's own --debug line)
 *   init       ms from exec to the guest's "vmm-guest: init reached"
 *   exit       ms from the guest's last line before poweroff to vmm's exit
 *   rss        vmm's peak RSS less the guest RAM resident at exit, KiB
 * and prints each run, then min/median/max of each.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

enum { FIRST_RUN, INIT, EXIT, RSS, NR_METRICS };
static const char *const names[NR_METRICS] = { "first_run_ms", "init_ms", "exit_ms", "rss_kib" };

static double now_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec * 1e3 + (double)t.tv_nsec / 1e6;
}

/* One run; fills m[] (negative when a marker never came). Returns the exit status. */
static int one_run(char **cmd, double m[NR_METRICS])
{
	double start = now_ms(), last_line = 0;
	unsigned long hwm = 0, guest = 0;
	char line[4096];
	int fds[2], status;
	FILE *out;
	pid_t pid;

	for (int i = 0; i < NR_METRICS; i++)
		m[i] = -1;
	if (pipe(fds) < 0)
		return -1;
	pid = fork();
	if (pid == 0) {
		dup2(fds[1], 1);
		dup2(fds[1], 2);
		close(fds[0]);
		execvp(cmd[0], cmd);
		_exit(127);
	}
	close(fds[1]);
	out = fdopen(fds[0], "r");
	while (fgets(line, sizeof(line), out)) {
		double t = now_ms();
		char *p;

		if ((p = strstr(line, "first KVM_RUN ")))
			m[FIRST_RUN] = atof(p + strlen("first KVM_RUN "));
		if (strstr(line, "vmm-guest: init reached"))
			m[INIT] = t - start;
		if (strstr(line, "vmm-guest: test "))
			last_line = t;
		if ((p = strstr(line, "peak RSS ")))
			sscanf(p, "peak RSS %lu KiB, guest RAM resident %lu KiB", &hwm, &guest);
	}
	fclose(out);
	waitpid(pid, &status, 0);
	if (last_line)
		m[EXIT] = now_ms() - last_line;
	if (hwm)
		m[RSS] = (double)hwm - (double)guest;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128;
}

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

int main(int argc, char **argv)
{
	int runs = argc > 3 ? atoi(argv[1]) : 0;
	double (*m)[NR_METRICS];
	int failed = 0;

	if (runs < 1 || strcmp(argv[2], "--")) {
		fprintf(stderr, "usage: vmmbench RUNS -- COMMAND...\n");
		return 2;
	}
	m = calloc(runs, sizeof(*m));
	for (int r = 0; r < runs; r++) {
		int st = one_run(argv + 3, m[r]);

		printf("run %d: status %d", r + 1, st);
		for (int i = 0; i < NR_METRICS; i++)
			printf(" %s=%.1f", names[i], m[r][i]);
		printf("\n");
		failed |= st != 0;
	}
	for (int i = 0; i < NR_METRICS; i++) {
		double v[runs];

		for (int r = 0; r < runs; r++)
			v[r] = m[r][i];
		qsort(v, runs, sizeof(double), cmp);
		printf("%-13s min %8.1f  median %8.1f  max %8.1f\n", names[i], v[0],
		       runs % 2 ? v[runs / 2] : (v[runs / 2 - 1] + v[runs / 2]) / 2, v[runs - 1]);
	}
	free(m);
	return failed;
}
