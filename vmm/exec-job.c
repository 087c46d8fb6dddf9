/*
 * The job file of vmm exec (include/vmm/exec-job.h): written by vmm,
 * read by the guest's init. Both sides link this file; it uses only libc,
 * as the init is a static program of its own.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vmm/exec-job.h"

static int job_err(char *err, size_t errlen, const char *fmt, ...) __printf(3, 4);
static int job_err(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (err && errlen) {
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return -EINVAL;
}

static void put32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static uint64_t get_n(const uint8_t *p, unsigned n)
{
	uint64_t v = 0;

	while (n--)
		v = v << 8 | p[n];
	return v;
}

/* ---- encoding ---- */

struct out {
	uint8_t *buf;
	size_t len, cap;
	int ret;
};

static void put_record(struct out *o, uint32_t tag, const void *data, size_t len)
{
	if (o->ret)
		return;
	if (len > EXEC_JOB_MAX || o->len + 8 + len > EXEC_JOB_MAX) {
		o->ret = -E2BIG;
		return;
	}
	if (o->len + 8 + len > o->cap) {
		size_t cap = (o->len + 8 + len) * 2;
		uint8_t *buf = realloc(o->buf, cap);

		if (!buf) {
			o->ret = -ENOMEM;
			return;
		}
		o->buf = buf;
		o->cap = cap;
	}
	put32(o->buf + o->len, tag);
	put32(o->buf + o->len + 4, (uint32_t)len);
	if (len)
		memcpy(o->buf + o->len + 8, data, len);
	o->len += 8 + len;
}

static void put_string(struct out *o, uint32_t tag, const char *s)
{
	if (s)
		put_record(o, tag, s, strlen(s));
}

static void put_u64(struct out *o, uint32_t tag, uint64_t v)
{
	uint8_t b[8];

	for (int i = 0; i < 8; i++)
		b[i] = (uint8_t)(v >> (8 * i));
	put_record(o, tag, b, 8);
}

static int check_job(const struct exec_job *job, char *err, size_t errlen)
{
	size_t i;

	if (!job->program || job->program[0] != '/')
		return job_err(err, errlen, "job: the program must be an absolute path");
	if (!job->argc || !job->argv || !job->argv[0])
		return job_err(err, errlen, "job: argv[0] is missing");
	if (job->argc > EXEC_JOB_STRINGS_MAX || job->envc > EXEC_JOB_STRINGS_MAX)
		return job_err(err, errlen, "job: more than %d arguments or variables",
			       EXEC_JOB_STRINGS_MAX);
	if (!job->cwd || job->cwd[0] != '/')
		return job_err(err, errlen, "job: the working directory must be an absolute path");
	for (i = 0; i < job->envc; i++)
		if (!strchr(job->envp[i], '=') || job->envp[i][0] == '=')
			return job_err(err, errlen, "job: environment entry '%s' is not NAME=VALUE",
				       job->envp[i]);
	if (!job->exit_addr || !job->exit_key)
		return job_err(err, errlen, "job: no exit doorbell address or key");
	return 0;
}

int exec_job__encode(const struct exec_job *job, uint8_t **out, size_t *len,
		     char *err, size_t errlen)
{
	struct out o = { 0 };
	size_t i;
	int ret = check_job(job, err, errlen);

	if (ret)
		return ret;
	o.buf = malloc(64);
	if (!o.buf)
		return -ENOMEM;
	o.cap = 64;
	memcpy(o.buf, EXEC_JOB_MAGIC, 8);
	o.len = 8;
	put_string(&o, JOB_PROGRAM, job->program);
	for (i = 0; i < job->argc; i++)
		put_string(&o, JOB_ARG, job->argv[i]);
	for (i = 0; i < job->envc; i++)
		put_string(&o, JOB_ENV, job->envp[i]);
	put_string(&o, JOB_CWD, job->cwd);
	put_string(&o, JOB_STDIN, job->stdin_path);
	put_string(&o, JOB_STDOUT, job->stdout_path);
	put_string(&o, JOB_STDERR, job->stderr_path);
	put_u64(&o, JOB_EXIT_ADDR, job->exit_addr);
	put_u64(&o, JOB_EXIT_KEY, job->exit_key);
	if (o.ret) {
		free(o.buf);
		if (o.ret == -E2BIG)
			return job_err(err, errlen, "job: larger than %u bytes", EXEC_JOB_MAX);
		return o.ret;
	}
	*out = o.buf;
	*len = o.len;
	return 0;
}

/* ---- decoding ---- */

static int add_string(char ***list, size_t *n, char *s)
{
	char **l = realloc(*list, (*n + 2) * sizeof(*l));

	if (!l)
		return -ENOMEM;
	l[(*n)++] = s;
	l[*n] = NULL;
	*list = l;
	return 0;
}

static char **string_field(struct exec_job *job, uint32_t tag)
{
	switch (tag) {
	case JOB_PROGRAM: return &job->program;
	case JOB_CWD: return &job->cwd;
	case JOB_STDIN: return &job->stdin_path;
	case JOB_STDOUT: return &job->stdout_path;
	case JOB_STDERR: return &job->stderr_path;
	}
	return NULL;
}

static int decode_record(struct exec_job *job, uint32_t tag, const uint8_t *p, uint32_t n,
			 bool *seen_addr, bool *seen_key, char *err, size_t errlen)
{
	char **field = string_field(job, tag), *s;

	if (tag == JOB_EXIT_ADDR || tag == JOB_EXIT_KEY) {
		bool *seen = tag == JOB_EXIT_ADDR ? seen_addr : seen_key;

		if (n != 8 || *seen)
			return job_err(err, errlen, "job: record %u: a second one, or not 8 bytes", tag);
		*seen = true;
		*(tag == JOB_EXIT_ADDR ? &job->exit_addr : &job->exit_key) = get_n(p, 8);
		return 0;
	}
	if (!field && tag != JOB_ARG && tag != JOB_ENV)
		return job_err(err, errlen, "job: unknown record %u", tag);
	if (memchr(p, 0, n))
		return job_err(err, errlen, "job: record %u holds a NUL byte", tag);
	if (field && *field)
		return job_err(err, errlen, "job: record %u appears twice", tag);
	if ((tag == JOB_ARG ? job->argc : job->envc) >= EXEC_JOB_STRINGS_MAX && !field)
		return job_err(err, errlen, "job: more than %d arguments or variables",
			       EXEC_JOB_STRINGS_MAX);
	s = strndup((const char *)p, n);
	if (!s)
		return -ENOMEM;
	if (field) {
		*field = s;
		return 0;
	}
	if (tag == JOB_ARG ? add_string(&job->argv, &job->argc, s) :
			     add_string(&job->envp, &job->envc, s)) {
		free(s);
		return -ENOMEM;
	}
	return 0;
}

int exec_job__decode(const uint8_t *buf, size_t len, struct exec_job *job,
		     char *err, size_t errlen)
{
	bool seen_addr = false, seen_key = false;
	size_t off = 8;
	int ret = 0;

	memset(job, 0, sizeof(*job));
	if (len > EXEC_JOB_MAX)
		return job_err(err, errlen, "job: larger than %u bytes", EXEC_JOB_MAX);
	if (len < 8 || memcmp(buf, EXEC_JOB_MAGIC, 8))
		return job_err(err, errlen, "job: no " EXEC_JOB_MAGIC " magic");
	while (!ret && off < len) {
		uint32_t tag, n;

		if (len - off < 8) {
			ret = job_err(err, errlen, "job: truncated record header at byte %zu", off);
			break;
		}
		tag = (uint32_t)get_n(buf + off, 4);
		n = (uint32_t)get_n(buf + off + 4, 4);
		if (n > len - off - 8) {
			ret = job_err(err, errlen, "job: record %u at byte %zu runs past the end", tag, off);
			break;
		}
		ret = decode_record(job, tag, buf + off + 8, n, &seen_addr, &seen_key, err, errlen);
		off += 8 + (size_t)n;
	}
	if (!ret)
		ret = check_job(job, err, errlen);
	if (ret)
		exec_job__free(job);
	return ret;
}

void exec_job__free(struct exec_job *job)
{
	size_t i;

	for (i = 0; i < job->argc; i++)
		free(job->argv[i]);
	for (i = 0; i < job->envc; i++)
		free(job->envp[i]);
	free(job->argv);
	free(job->envp);
	free(job->program);
	free(job->cwd);
	free(job->stdin_path);
	free(job->stdout_path);
	free(job->stderr_path);
	memset(job, 0, sizeof(*job));
}
