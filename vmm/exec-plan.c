/*
 * vmm exec without KVM: its command line, the initramfs it boots and what
 * its exit status says (include/vmm/exec.h). Unit-tested natively.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "vmm/commands.h"
#include "vmm/cpio.h"
#include "vmm/elfdeps.h"
#include "vmm/exec-job.h"
#include "vmm/exec-status.h"
#include "vmm/exec.h"
#include "vmm/util.h"

/* ---- the command line ---- */

static int number(const char *name, const char *arg, uint64_t min, uint64_t max, uint64_t *out,
		  char *err, size_t errlen)
{
	if (parse_uint(arg, min, max, out))
		return 0;
	set_err(err, errlen, "exec: %s %s: expected a number from %llu to %llu", name, arg,
		(unsigned long long)min, (unsigned long long)max);
	return -VMM_ERR_INPUT;
}

/* -e NAME=VALUE, or -e NAME: the value vmm itself has (skipped when unset). */
static int env_option(struct exec_request *req, char *arg, char *err, size_t errlen)
{
	char *eq = strchr(arg, '='), *value;

	if (eq == arg || !arg[0]) {
		set_err(err, errlen, "exec: -e '%s': expected VAR=VALUE", arg);
		return -VMM_ERR_INPUT;
	}
	if (req->nr_env == EXEC_MAX_ENV) {
		set_err(err, errlen, "exec: -e %s: at most %d variables", arg, EXEC_MAX_ENV);
		return -VMM_ERR_INPUT;
	}
	if (!eq) {
		value = getenv(arg);
		if (!value)
			return 0;
		if (asprintf(&arg, "%s=%s", arg, value) < 0)
			return -VMM_ERR_INTERNAL;
	}
	req->env[req->nr_env++] = arg;
	return 0;
}

static int file_option(struct exec_request *req, const char *arg, char *err, size_t errlen)
{
	if (!arg[0] || arg[0] == ':') {
		set_err(err, errlen, "exec: -f '%s': expected PATH[:GUESTPATH]", arg);
		return -VMM_ERR_INPUT;
	}
	if (req->nr_files == EXEC_MAX_FILES) {
		set_err(err, errlen, "exec: -f %s: at most %d", arg, EXEC_MAX_FILES);
		return -VMM_ERR_INPUT;
	}
	req->files[req->nr_files++] = arg;
	return 0;
}

static int exec_option(void *ctx, int id, char *arg, char *err, size_t errlen)
{
	struct exec_request *req = ctx;
	uint64_t v;
	int ret = 0;

	if (id >= CMD_OPT_ARCH)
		return arch__run_option(&req->vm.arch, id, arg, err, errlen);
	switch (id) {
	case 'k': req->vm.kernel = arg; break;
	case 'c':
		ret = number("--cpus", arg, 1, ARCH_MAX_VCPUS, &v, err, errlen);
		req->vm.nr_cpus = (unsigned)v;
		break;
	case 'm': ret = number("--mem", arg, 16, ARCH_RAM_MIB_MAX, &req->vm.ram_mib, err, errlen); break;
	case 'f': return file_option(req, arg, err, errlen);
	case 'e': return env_option(req, arg, err, errlen);
	case EXEC_OPT_TIMEOUT:
		ret = number("--timeout", arg, 1, 1000000, &v, err, errlen);
		req->timeout_s = (unsigned)v;
		break;
	case EXEC_OPT_EACH_VL: req->each_vl = true; break;
	case 'j':
		ret = number("--jobs", arg, 1, EXEC_MAX_JOBS, &v, err, errlen);
		req->jobs = (unsigned)v;
		break;
	case EXEC_OPT_DEBUG: req->vm.debug = true; break;
	default:
		set_err(err, errlen, "exec: option id %#x has no parser", id);
		return -VMM_ERR_INTERNAL;
	}
	return ret;
}

static void set_defaults(struct exec_request *req)
{
	memset(req, 0, sizeof(*req));
	req->vm.nr_cpus = VMM_DEFAULT_CPUS;
	req->vm.ram_mib = VMM_DEFAULT_RAM_MIB;
	req->vm.cmdline = EXEC_CMDLINE;
	req->vm.name = "vmm exec";
	arch__config_defaults(&req->vm.arch);
	req->jobs = 1;
}

int exec__parse(int argc, char **argv, struct exec_request *req, char *err, size_t errlen)
{
	struct arch_config probe;
	int first, ret;

	set_defaults(req);
	ret = cmdline__parse(&commands__exec, argc, argv, exec_option, req, &first, err, errlen);
	if (ret == CMDLINE_HELP)
		return EXEC_PARSE_HELP;
	if (ret)
		return ret;
	req->argv = argv + first;
	if (!req->argv[0][0]) {
		set_err(err, errlen, "exec: an empty PROGRAM");
		return -VMM_ERR_INPUT;
	}
	if (req->jobs > 1 && !req->each_vl) {
		set_err(err, errlen, "exec: --jobs runs several lengths at a time: give it with --each-vl");
		return -VMM_ERR_INPUT;
	}
	probe = req->vm.arch;
	if (req->each_vl && arch__config_vl_upto(&probe, 128, err, errlen))
		return -VMM_ERR_INPUT;
	return EXEC_PARSE_RUN;
}

int exec__choose_kernel(const struct exec_request *req, const char *vmm_kernel_env,
			const char *release, char *path, size_t pathlen, char *err, size_t errlen)
{
	const char *how = "-k";

	if (req->vm.kernel) {
		snprintf(path, pathlen, "%s", req->vm.kernel);
	} else if (vmm_kernel_env && vmm_kernel_env[0]) {
		snprintf(path, pathlen, "%s", vmm_kernel_env);
		how = "$VMM_KERNEL";
	} else {
		snprintf(path, pathlen, "/boot/vmlinuz-%s", release ? release : "");
		how = "the host's";
	}
	if (access(path, R_OK) < 0) {
		set_err(err, errlen, "exec: kernel %s (%s): %s; give one with -k or $VMM_KERNEL",
			path, how, strerror(errno));
		return -1;
	}
	return 0;
}

/* ---- the initramfs ---- */

/* -f's guest path: GUESTPATH (relative ones under /job), or /job/NAME. false: too long. */
static bool guest_path(const char *spec, char *host, size_t hostlen, char *guest, size_t guestlen)
{
	const char *colon = strchr(spec, ':'), *name;
	size_t hlen = colon ? (size_t)(colon - spec) : strlen(spec);
	int n;

	if (hlen >= hostlen)
		return false;
	memcpy(host, spec, hlen);
	host[hlen] = 0;
	while (hlen > 1 && host[hlen - 1] == '/')
		host[--hlen] = 0;
	name = strrchr(host, '/');
	if (colon && colon[1] == '/')
		n = snprintf(guest, guestlen, "%s", colon + 1);
	else if (colon && colon[1])
		n = snprintf(guest, guestlen, "%s/%s", EXEC_CWD, colon + 1);
	else
		n = snprintf(guest, guestlen, "%s/%s", EXEC_CWD, name ? name + 1 : host);
	return n >= 0 && (size_t)n < guestlen;
}

static int add_tree(struct cpio *c, const char *host, const char *guest, int depth,
		    char *err, size_t errlen);

static int add_dir_entries(struct cpio *c, const char *host, const char *guest, int depth,
			   char *err, size_t errlen)
{
	DIR *d = opendir(host);
	struct dirent *e;
	int ret;

	if (!d) {
		set_err(err, errlen, "-f %s: %s", host, strerror(errno));
		return -errno;
	}
	ret = cpio__add_dir(c, guest, 0755, err, errlen);
	while (!ret && (e = readdir(d))) {
		char h[CPIO_NAME_MAX + 1], g[CPIO_NAME_MAX + 1];

		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		if (snprintf(h, sizeof(h), "%s/%s", host, e->d_name) >= (int)sizeof(h) ||
		    snprintf(g, sizeof(g), "%s/%s", guest, e->d_name) >= (int)sizeof(g)) {
			set_err(err, errlen, "-f %s/%s: name too long", host, e->d_name);
			ret = -ENAMETOOLONG;
			break;
		}
		ret = add_tree(c, h, g, depth + 1, err, errlen);
	}
	closedir(d);
	return ret;
}

/* A file, or a directory with everything under it (links inside kept as links). */
static int add_tree(struct cpio *c, const char *host, const char *guest, int depth,
		    char *err, size_t errlen)
{
	char target[CPIO_NAME_MAX + 1];
	struct stat st;
	ssize_t n;

	if ((depth ? lstat(host, &st) : stat(host, &st)) < 0) {
		set_err(err, errlen, "-f %s: %s", host, strerror(errno));
		return -errno;
	}
	if (depth > 64) {
		set_err(err, errlen, "-f %s: nested too deep", host);
		return -ELOOP;
	}
	if (S_ISDIR(st.st_mode))
		return add_dir_entries(c, host, guest, depth, err, errlen);
	if (S_ISLNK(st.st_mode)) {
		n = readlink(host, target, sizeof(target) - 1);
		if (n < 0) {
			set_err(err, errlen, "-f %s: %s", host, strerror(errno));
			return -errno;
		}
		target[n] = 0;
		return cpio__add_symlink(c, guest, target, err, errlen);
	}
	if (!S_ISREG(st.st_mode))
		return 0;	/* sockets, fifos, devices: not packed */
	return cpio__add_host_file(c, guest, host, err, errlen);
}

static int add_files(const struct exec_request *req, struct cpio *c, char *err, size_t errlen)
{
	char host[CPIO_NAME_MAX + 1], guest[CPIO_NAME_MAX + 1], why[512];
	int ret = 0;

	for (unsigned i = 0; i < req->nr_files && !ret; i++) {
		if (!guest_path(req->files[i], host, sizeof(host), guest, sizeof(guest))) {
			set_err(err, errlen, "exec: -f %s: name too long", req->files[i]);
			return -ENAMETOOLONG;
		}
		ret = add_tree(c, host, guest, 0, why, sizeof(why));
		if (ret)
			set_err(err, errlen, "exec: %s", why);
	}
	return ret;
}

static int add_program(const struct exec_request *req, const struct exec_pack *in,
		       struct cpio *c, char **program, char *err, size_t errlen)
{
	struct elfdeps d;
	char why[512];
	int ret = elfdeps__resolve(&d, in->sysroot, req->argv[0], in->path_env, why, sizeof(why));

	if (!ret)
		ret = elfdeps__pack(&d, c, why, sizeof(why));
	if (ret) {
		set_err(err, errlen, "exec: %s", why);
		elfdeps__free(&d);
		return elfdeps__exit_status(ret);
	}
	*program = strdup(d.program);
	elfdeps__free(&d);
	return *program ? 0 : EXEC_RC_VMM;
}

static int add_job(const struct exec_request *req, const struct exec_pack *in, char *program,
		   struct cpio *c, char *err, size_t errlen)
{
	struct exec_job job = {
		.program = program, .argv = req->argv, .envp = (char **)req->env,
		.envc = req->nr_env, .cwd = EXEC_CWD,
		.stdin_path = in->stdin_data ? EXEC_STDIN_PATH : NULL,
		.stdout_path = EXEC_STDOUT_DEV, .stderr_path = EXEC_STDERR_DEV,
		.exit_addr = in->doorbell, .exit_key = in->key,
	};
	char why[256];
	uint8_t *buf;
	size_t len;
	int ret;

	while (req->argv[job.argc])
		job.argc++;
	ret = exec_job__encode(&job, &buf, &len, why, sizeof(why));
	if (!ret) {
		ret = cpio__add_file(c, EXEC_JOB_PATH, 0600, buf, len, why, sizeof(why));
		free(buf);
	}
	if (ret)
		set_err(err, errlen, "exec: the job: %s", why);
	return ret;
}

int exec__build_initramfs(const struct exec_request *req, const struct exec_pack *in,
			  struct cpio *c, char *err, size_t errlen)
{
	char *program = NULL, why[512];
	int ret;

	ret = add_program(req, in, c, &program, err, errlen);
	if (ret)
		return ret;
	ret = cpio__add_file(c, "/init", 0755, in->init, in->init_len, why, sizeof(why));
	ret = ret ?: cpio__add_dir(c, EXEC_CWD, 0755, why, sizeof(why));
	if (!ret && in->stdin_data)
		ret = cpio__add_file(c, EXEC_STDIN_PATH, 0400, in->stdin_data, in->stdin_len,
				     why, sizeof(why));
	if (ret)
		set_err(err, errlen, "exec: %s", why);
	ret = ret ?: add_files(req, c, err, errlen);
	ret = ret ?: add_job(req, in, program, c, err, errlen);
	if (!ret && cpio__finish(c, why, sizeof(why))) {
		set_err(err, errlen, "exec: %s", why);
		ret = -1;
	}
	free(program);
	return ret ? EXEC_RC_VMM : 0;
}

/* ---- the outcome ---- */

int exec__outcome(const struct exec_request *req, const struct exec_result *r, char *msg,
		  size_t msglen)
{
	const char *line = r->last_console_line;

	msg[0] = 0;
	if (r->have_word)
		return exec_status__decode(r->word, msg, msglen);
	if (r->timed_out) {
		set_err(msg, msglen, "the timeout of %u s passed", req->timeout_s);
		return EXEC_RC_TIMEOUT;
	}
	switch (r->run_status) {
	case 0:
		set_err(msg, msglen, "the guest powered off without an exit status%s%s%s",
			line ? " (last console line: '" : "", line ? line : "", line ? "')" : "");
		return EXEC_RC_VMM;
	case 4:
		set_err(msg, msglen, "the guest kernel panicked or rebooted before the program ended%s%s%s",
			line ? " (last console line: '" : "", line ? line : "", line ? "')" : "");
		return EXEC_RC_VMM;
	case 5:
		set_err(msg, msglen, "the guest crashed (a vcpu could not go on)");
		return EXEC_RC_VMM;
	}
	if (r->run_status > 128)	/* vmm itself was stopped by a signal */
		return r->run_status;
	return EXEC_RC_VMM;		/* vmm said why already */
}
