#ifndef VMM_EXEC_H
#define VMM_EXEC_H

/*
 * `vmm exec`: runs one program in a throwaway VM (docs/usage.md, the
 * design in docs/exec-design.md). vmm/exec-plan.c parses the command line,
 * builds the initramfs and maps how a run ended to vmm's exit status (no
 * KVM: unit-tested natively); vmm/exec.c runs the VMs.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vmm/compiler.h"
#include "vmm/config.h"

#define EXEC_MAX_FILES		64	/* -f */
#define EXEC_MAX_ENV		256	/* -e */
#define EXEC_MAX_JOBS		64	/* --jobs */
#define EXEC_CWD		"/job"
#define EXEC_STDIN_PATH		"/vmm-exec/stdin"
#define EXEC_STDOUT_DEV		"/dev/ttyAMA1"
#define EXEC_STDERR_DEV		"/dev/ttyAMA2"
#define EXEC_CMDLINE		"console=ttyAMA0 quiet panic=-1"

/* What the command line asked for. */
struct exec_request {
	struct vm_config vm;		/* -k, -c, -m, the arch's options, --debug */
	char **argv;			/* PROGRAM ARGS..., NULL-terminated */
	const char *files[EXEC_MAX_FILES];	/* -f PATH[:GUESTPATH] as given */
	unsigned nr_files;
	char *env[EXEC_MAX_ENV];	/* -e, each NAME=VALUE */
	unsigned nr_env;
	unsigned timeout_s;		/* 0: none */
	bool each_vl;
	unsigned jobs;
};

/* exec__parse()'s result besides errors. */
enum { EXEC_PARSE_RUN = 0, EXEC_PARSE_HELP = 1 };

/*
 * Parses `vmm exec` (argv[0] is "exec"): options up to PROGRAM, then
 * PROGRAM's own arguments. Returns EXEC_PARSE_RUN, EXEC_PARSE_HELP, or
 * -VMM_ERR_INPUT with a one-line reason in err.
 */
int exec__parse(int argc, char **argv, struct exec_request *req, char *err,
		size_t errlen) __must_check;

/*
 * The kernel to boot: -k, else $VMM_KERNEL, else /boot/vmlinuz-RELEASE of
 * the running kernel (release given). Returns 0, or -1 with the reason
 * (none given, or unreadable) in err.
 */
int exec__choose_kernel(const struct exec_request *req, const char *vmm_kernel_env,
			const char *release, char *path, size_t pathlen, char *err,
			size_t errlen) __must_check;

/* The inputs of the initramfs besides the request. */
struct exec_pack {
	const uint8_t *init;		/* the guest init (build/exec-init) */
	size_t init_len;
	const char *sysroot;		/* "" for the host */
	const char *path_env;		/* where PROGRAM is looked up (NULL: a default PATH) */
	const uint8_t *stdin_data;	/* packed as the program's stdin, or NULL */
	size_t stdin_len;
	uint64_t doorbell, key;		/* the exit doorbell's address and the job's key */
};

struct cpio;
/*
 * Builds the initramfs into c (initialised by the caller): /init, PROGRAM
 * with its interpreter and libraries, the -f files, stdin, the job. Returns
 * 0, or vmm exec's exit status (127 not found, 126 cannot execute, 125
 * anything else) with a one-line reason in err.
 */
int exec__build_initramfs(const struct exec_request *req, const struct exec_pack *in,
			  struct cpio *c, char *err, size_t errlen) __must_check;

/* How a run ended, as vmm exec sees it. */
struct exec_result {
	int run_status;			/* the VM run's (vmm run's exit statuses) */
	bool timed_out;
	bool have_word;			/* the init reported through the doorbell */
	uint64_t word;
	const char *last_console_line;	/* for a panic, or NULL */
};

/*
 * vmm exec's exit status for a run, with a one-line reason in msg (empty
 * when the program exited by itself): the program's status or 128 + its
 * signal, 124 timeout, 125 no status (panic, power-off, vmm failure),
 * 126/127 the init could not execute it; a signal that stopped vmm gives
 * 128 + that signal.
 */
int exec__outcome(const struct exec_request *req, const struct exec_result *r, char *msg,
		  size_t msglen);

#endif
