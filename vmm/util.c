#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "vmm/util.h"

bool vmm_debug;

static void vprint(const char *prefix, const char *fmt, va_list ap)
{
	char line[1024];

	vsnprintf(line, sizeof(line), fmt, ap);
	fprintf(stderr, "%s%s\n", prefix, line);
}

void pr_err(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vprint("vmm: ", fmt, ap);
	va_end(ap);
}

void pr_debug(const char *fmt, ...)
{
	va_list ap;

	char prefix[40];

	if (!vmm_debug)
		return;
	snprintf(prefix, sizeof(prefix), "vmm debug [%8.1f ms]: ", vmm_uptime_ms());
	va_start(ap, fmt);
	vprint(prefix, fmt, ap);
	va_end(ap);
}

void vset_err(char *err, size_t errlen, const char *fmt, va_list ap)
{
	if (err && errlen)
		vsnprintf(err, errlen, fmt, ap);
}

void set_err(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vset_err(err, errlen, fmt, ap);
	va_end(ap);
}

int read_exact(int fd, void *dst, size_t len, uint64_t offset)
{
	uint8_t *p = dst;

	while (len) {
		ssize_t n = pread(fd, p, len, (off_t)offset);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return n < 0 ? -errno : -EIO;
		p += n;
		len -= (size_t)n;
		offset += (uint64_t)n;
	}
	return 0;
}

int read_file(const char *path, size_t max, uint8_t **buf, size_t *len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);

	return fd < 0 ? -errno : read_fd(fd, max, buf, len);
}

int read_fd(int fd, size_t max, uint8_t **buf, size_t *len)
{
	struct stat st;
	uint8_t *data;
	size_t done = 0;
	int err = 0;

	if (fstat(fd, &st) < 0) {
		err = -errno;
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		err = S_ISDIR(st.st_mode) ? -EISDIR : -EINVAL;
		goto out;
	}
	if ((uint64_t)st.st_size > max) {
		err = -EFBIG;
		goto out;
	}
	data = malloc(st.st_size ? st.st_size : 1);
	if (!data) {
		err = -ENOMEM;
		goto out;
	}
	while (done < (size_t)st.st_size) {
		ssize_t n = read(fd, data + done, st.st_size - done);

		if (n <= 0) {
			err = n < 0 ? -errno : -EIO;
			free(data);
			goto out;
		}
		done += n;
	}
	*buf = data;
	*len = done;
out:
	close(fd);
	return err;
}

bool parse_uint(const char *s, uint64_t min, uint64_t max, uint64_t *out)
{
	unsigned long long v;
	char *end;

	if (!s || *s < '0' || *s > '9')
		return false;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || *end || v < min || v > max)
		return false;
	*out = v;
	return true;
}

static struct timespec clock_zero;	/* vmm_uptime_ms()'s first call */

static double ms_of(const struct timespec *t)
{
	return (double)t->tv_sec * 1e3 + (double)t->tv_nsec / 1e6;
}

double vmm_uptime_ms(void)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	if (!clock_zero.tv_sec && !clock_zero.tv_nsec)
		clock_zero = now;
	return ms_of(&now) - ms_of(&clock_zero);
}

double vmm_clock_zero_ms(void)
{
	vmm_uptime_ms();
	return ms_of(&clock_zero);
}

void fput_printable(const char *s, FILE *f)
{
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '\\')
			fputs("\\\\", f);
		else if (c < 0x20 || c >= 0x7f)
			fprintf(f, "\\x%02x", c);
		else
			fputc(c, f);
	}
}

int start_thread(pthread_t *t, size_t stack_bytes, void *(*fn)(void *), void *arg)
{
	pthread_attr_t attr;
	int err = pthread_attr_init(&attr);

	if (err)
		return err;
	if (stack_bytes < (size_t)PTHREAD_STACK_MIN)
		stack_bytes = (size_t)PTHREAD_STACK_MIN;	/* 128 KiB on arm64 */
	err = pthread_attr_setstacksize(&attr, stack_bytes);
	if (!err)
		err = pthread_create(t, &attr, fn, arg);
	pthread_attr_destroy(&attr);
	return err;
}
