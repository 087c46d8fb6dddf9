/*
 * A program for vmm exec's guest init tests (tests/bed/exec-init.sh):
 *   status exit N     prints a forged status line, then exits with N
 *   status signal N   kills itself with signal N
 *   status stdin      reads stdin to its end: "stdin: bytes=N sum=S"
 *   status info       "vl=BITS default=BITS" (its SVE vector length and the
 *                     kernel's default for new processes), "cwd=DIR", then
 *                     "env: NAME=VALUE" for each variable
 *   status bytes      writes every byte value 0..255, 16 times
 * Static aarch64; built with the guest init (Makefile: exec).
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

extern char **environ;

static int sum_stdin(void)
{
	unsigned long bytes = 0, sum = 0;
	unsigned char buf[4096];
	ssize_t n;

	while ((n = read(0, buf, sizeof(buf))) > 0)
		for (ssize_t i = 0; i < n; i++, bytes++)
			sum = (sum * 31 + buf[i]) % 1000000007UL;
	printf("stdin: bytes=%lu sum=%lu\n", bytes, sum);
	return n < 0;
}

static int show_vl(void)
{
	int vl = prctl(PR_SVE_GET_VL);
	int def = -1;
	FILE *f = fopen("/proc/sys/abi/sve_default_vector_length", "r");

	if (f) {
		if (fscanf(f, "%d", &def) != 1)
			def = -1;
		fclose(f);
	}
	printf("vl=%d default=%d\n", vl < 0 ? -1 : (vl & PR_SVE_VL_LEN_MASK) * 8, def < 0 ? -1 : def * 8);
	return 0;
}

int main(int argc, char **argv)
{
	char cwd[256];

	if (argc >= 3 && !strcmp(argv[1], "exit")) {
		/* the line a console-parsing VMM would be fooled by */
		printf("testdev: vmmexit=%llu\n", 0x564d4d5800010000ULL);
		fflush(stdout);
		return atoi(argv[2]);
	}
	if (argc >= 3 && !strcmp(argv[1], "signal")) {
		fflush(stdout);
		signal(atoi(argv[2]), SIG_DFL);
		raise(atoi(argv[2]));
		return 1;
	}
	if (argc >= 2 && !strcmp(argv[1], "stdin"))
		return sum_stdin();
	if (argc >= 2 && !strcmp(argv[1], "bytes")) {
		for (int i = 0; i < 4096; i++)
			putchar(i & 0xff);
		return 0;
	}
	if (argc >= 2 && !strcmp(argv[1], "info")) {
		show_vl();
		printf("cwd=%s\n", getcwd(cwd, sizeof(cwd)) ? cwd : "?");
		for (char **e = environ; *e; e++)
			printf("env: %s\n", *e);
		return 0;
	}
	fprintf(stderr, "usage: status exit N | signal N | stdin | info | bytes\n");
	return 2;
}
