/*
 * Opening the files a snapshot names (include/vmm/saved-open.h): nothing
 * the snapshot alone names is opened unless it is the regular file it
 * claims to be, reached without a symlink.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "vmm/saved-open.h"
#include "vmm/util.h"

#ifndef SYS_openat2
#define SYS_openat2 437		/* the same number on every arch */
#endif

static int openat2_path(const char *path, uint64_t flags)
{
	struct open_how how = {
		/* openat2 refuses O_PATH with any flag but a few (EINVAL) */
		.flags = flags | O_CLOEXEC | (flags & O_PATH ? 0 : O_NOCTTY),
		.resolve = RESOLVE_NO_SYMLINKS,
	};
	long fd = syscall(SYS_openat2, AT_FDCWD, path, &how, sizeof(how));

	return fd < 0 ? -errno : (int)fd;
}

static int refuse(char *why, size_t whylen, const char *fmt, const char *arg)
{
	snprintf(why, whylen, fmt, arg);
	return -VMM_ERR_INPUT;
}

static const char *type_name(mode_t mode)
{
	if (S_ISDIR(mode))
		return "a directory";
	if (S_ISFIFO(mode))
		return "a FIFO";
	if (S_ISBLK(mode))
		return "a block device";
	if (S_ISCHR(mode))
		return "a character device";
	if (S_ISLNK(mode))
		return "a symlink";
	if (S_ISSOCK(mode))
		return "a socket";
	return "not a regular file";
}

/*
 * Opens the inode that pfd (O_PATH) holds with flags: through /proc, so
 * the path is not walked again; where /proc is not mounted, by the path
 * again, refused unless it is still the same inode.
 */
static int reopen(int pfd, const char *path, int flags, const struct stat *pst)
{
	char proc[64];
	struct stat st;
	int fd;

	snprintf(proc, sizeof(proc), "/proc/self/fd/%d", pfd);
	fd = open(proc, flags | O_CLOEXEC | O_NOCTTY);
	if (fd >= 0 || errno != ENOENT)
		return fd < 0 ? -errno : fd;
	fd = openat2_path(path, (uint64_t)flags | O_NONBLOCK);
	if (fd < 0)
		return fd;
	if (fstat(fd, &st) < 0 || st.st_dev != pst->st_dev || st.st_ino != pst->st_ino) {
		close(fd);
		return -ESTALE;
	}
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
	return fd;
}

int saved_open__regular(const char *path, int flags, struct stat *st, char *why, size_t whylen)
{
	int pfd, fd;

	if (path[0] != '/')
		return refuse(why, whylen, "%s", "is not an absolute path");
	/* Not O_NOFOLLOW: with O_PATH it would open a last-component symlink itself. */
	pfd = openat2_path(path, O_PATH);
	if (pfd == -ELOOP)
		return refuse(why, whylen, "%s", "is or goes through a symlink, which a snapshot may not name");
	if (pfd < 0)
		return refuse(why, whylen, "%s", strerror(-pfd));
	if (fstat(pfd, st) < 0 || !S_ISREG(st->st_mode)) {
		close(pfd);
		return refuse(why, whylen, "is %s, not a regular file", type_name(st->st_mode));
	}
	fd = reopen(pfd, path, flags, st);
	close(pfd);
	if (fd == -ESTALE)
		return refuse(why, whylen, "%s", "was replaced while it was opened");
	if (fd < 0)
		return refuse(why, whylen, "cannot open it: %s", strerror(-fd));
	return fd;
}

/* A path the user named: as named, symlinks too, but never blocking on a FIFO. */
static int open_named(const char *path, int flags, struct stat *st, char *why, size_t whylen)
{
	int fd = open(path, flags | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);

	if (fd < 0)
		return refuse(why, whylen, "%s", strerror(errno));
	if (fstat(fd, st) < 0 || (!S_ISREG(st->st_mode) && !S_ISBLK(st->st_mode))) {
		close(fd);
		return refuse(why, whylen, "is %s, not a regular file or a block device",
			      type_name(st->st_mode));
	}
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
	return fd;
}

static int disk_size(int fd, const struct stat *st, uint64_t *size)
{
	if (S_ISREG(st->st_mode)) {
		*size = (uint64_t)st->st_size;
		return 0;
	}
	return ioctl(fd, BLKGETSIZE64, size) < 0 ? -errno : 0;
}

static int check_disk(int fd, const struct disk_expect *e, const struct stat *st, uint64_t *size,
		      char *why, size_t whylen)
{
	if (disk_size(fd, st, size) < 0) {
		snprintf(why, whylen, "cannot read its size: %s", strerror(errno));
		return -VMM_ERR_INPUT;
	}
	if (*size != e->size) {
		snprintf(why, whylen, "has %llu bytes, the snapshot's had %llu",
			 (unsigned long long)*size, (unsigned long long)e->size);
		return -VMM_ERR_INPUT;
	}
	if (!e->named && e->same_file &&
	    ((uint64_t)st->st_dev != e->dev || (uint64_t)st->st_ino != e->ino)) {
		snprintf(why, whylen, "is another file than the snapshot's (device %llx inode %llu, "
			 "the snapshot's %llx %llu); name it with -d if it is right",
			 (unsigned long long)st->st_dev, (unsigned long long)st->st_ino,
			 (unsigned long long)e->dev, (unsigned long long)e->ino);
		return -VMM_ERR_INPUT;
	}
	return 0;
}

int saved_open__disk(const struct disk_config *d, const struct disk_expect *e, struct stat *st,
		     uint64_t *size, char *why, size_t whylen)
{
	int flags = d->ro ? O_RDONLY : O_RDWR;
	int fd = e->named ? open_named(d->path, flags, st, why, whylen) :
			    saved_open__regular(d->path, flags, st, why, whylen);

	if (fd < 0)
		return fd;
	if (check_disk(fd, e, st, size, why, whylen)) {
		close(fd);
		return -VMM_ERR_INPUT;
	}
	return fd;
}

void saved_open__boot_id(char *buf, size_t len)
{
	int fd = open("/proc/sys/kernel/random/boot_id", O_RDONLY | O_CLOEXEC);
	ssize_t n = fd < 0 ? -1 : read(fd, buf, len - 1);

	if (fd >= 0)
		close(fd);
	n = n < 0 ? 0 : n;
	while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\0'))
		n--;
	buf[n] = '\0';
}
