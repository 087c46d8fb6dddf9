/*
 * virtio-blk (virtio 1.x): one device per -d PATH[,ro], a raw image that is
 * a regular file or a block device.
 *
 * Reads and writes go through Linux AIO (libaio) and complete on the
 * device's I/O thread. Every request the queue holds is taken at once and
 * submitted with one io_submit; completions are taken in batches straight
 * from the AIO context's ring in our memory (no io_getevents), right after
 * the submission (the kernel completes buffered I/O, and page cache hits,
 * inside io_submit) and whenever the eventfd every iocb signals wakes the
 * I/O thread. One notification covers all that a pass returned. Flush,
 * get-id and discard are short and done at once. At most BLK_INFLIGHT
 * requests are in flight; when all slots are taken the queue is left alone
 * until some complete.
 *
 * The image is opened twice: an O_DIRECT fd for requests whose buffers,
 * lengths and offset suit direct I/O, and a buffered fd for the rest (and
 * for everything on file systems without O_DIRECT, e.g. tmpfs before Linux
 * 6.6). Linux keeps the two coherent: a direct read writes back dirty
 * cached pages of its range first, a direct write drops them.
 *
 * The guest is untrusted: the request header is copied out of guest memory
 * before it is looked at, only the host pointers of the popped chain are
 * used, and a bad request gets an error status, never a broken queue.
 */
#include <errno.h>
#include <fcntl.h>
#include <libaio.h>
#include <linux/fs.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include "vmm/config.h"
#include "vmm/saved-open.h"
#include "vmm/util.h"
#include "vmm/virtio.h"
#include "vmm/vm.h"

/* Feature bits */
#define VIRTIO_BLK_F_SEG_MAX	2
#define VIRTIO_BLK_F_RO		5
#define VIRTIO_BLK_F_BLK_SIZE	6
#define VIRTIO_BLK_F_FLUSH	9
#define VIRTIO_BLK_F_DISCARD	13

/* Request types and status values */
#define VIRTIO_BLK_T_IN		0
#define VIRTIO_BLK_T_OUT	1
#define VIRTIO_BLK_T_FLUSH	4
#define VIRTIO_BLK_T_GET_ID	8
#define VIRTIO_BLK_T_DISCARD	11
#define VIRTIO_BLK_S_OK		0
#define VIRTIO_BLK_S_IOERR	1
#define VIRTIO_BLK_S_UNSUPP	2

/* virtio_blk_config offsets (all little-endian) */
#define CFG_CAPACITY		0	/* u64, in 512-byte sectors */
#define CFG_SEG_MAX		12	/* u32 */
#define CFG_BLK_SIZE		20	/* u32 */
#define CFG_MAX_DISCARD_SECTORS	36	/* u32 */
#define CFG_MAX_DISCARD_SEG	40	/* u32 */
#define CFG_DISCARD_ALIGN	44	/* u32, in sectors */
/* Up to the write-zeroes fields, which stay 0 (the feature is not offered). */
#define BLK_CONFIG_SIZE		60

#define SECTOR_SHIFT		9
#define SECTOR_SIZE		(1u << SECTOR_SHIFT)
#define BLK_HDR_SIZE		16	/* le32 type, le32 reserved, le64 sector */
#define BLK_ID_BYTES		20
#define BLK_DISCARD_SEG_SIZE	16	/* le64 sector, le32 num_sectors, le32 flags */

#define BLK_QUEUE_MAX		256
/* Header and status take one descriptor each. */
#define BLK_SEG_MAX		(BLK_QUEUE_MAX - 2)
/*
 * Requests in AIO at once. Below the queue size, so that a guest with many
 * requests waits in its ring rather than in the host's AIO context.
 */
#define BLK_INFLIGHT		128
#define BLK_DISCARD_SEG_MAX	32
#define BLK_DISCARD_SECTORS_MAX	(1u << 22)	/* 2 GiB per segment */

/*
 * The head of fs/aio.c's struct aio_ring, which the kernel maps at the
 * address io_setup() returns as the context: completions are nr io_events
 * after it, written by the kernel at tail, taken by user space at head.
 */
struct aio_ring {
	unsigned id, nr, head, tail, magic, compat_features, incompat_features, header_length;
};
#define AIO_RING_MAGIC		0xa10a10a1

struct blk_req {
	struct iocb iocb;
	struct iovec iov[BLK_QUEUE_MAX];	/* the data part of the chain */
	uint8_t *status;			/* the status byte, in guest memory */
	uint32_t len;				/* data bytes */
	uint16_t head;
	bool write;
	bool direct;				/* submitted on the O_DIRECT fd */
};

struct blk {
	struct virtio_dev *dev;
	const char *path;
	bool ro;
	int fd;				/* buffered */
	int dfd;			/* O_DIRECT, or -1 when the file does not allow it */
	uint32_t dio_align;		/* what O_DIRECT needs of offsets, lengths, buffers */
	uint32_t discard_align;		/* in sectors */
	uint64_t sectors;
	uint8_t serial[BLK_ID_BYTES];
	io_context_t ctx;
	struct aio_ring *ring;		/* ctx's ring, or NULL: io_getevents only */
	int efd;			/* the iocbs' eventfd */
	bool ctx_ready;
	bool io_error_logged;
	bool pushed;			/* chains pushed since the last notify */
	unsigned nr_inflight;
	unsigned nr_free;
	struct blk_req *free[BLK_INFLIGHT];
	unsigned nr_batch;		/* iocbs prepared, not yet submitted */
	struct iocb *batch[BLK_INFLIGHT];
	struct vq_elem elem[BLK_QUEUE_MAX];	/* the chain being looked at */
	struct blk_req reqs[BLK_INFLIGHT];
};

/* ---- a chain's parts (vq__elems_iov and vq__elems_copy see them as one stream) ---- */

static const struct vq_elem *readable(const struct vq_chain *c)
{
	return c->elem;
}

static const struct vq_elem *writable(const struct vq_chain *c)
{
	return c->elem + c->nr_out;
}

static unsigned nr_writable(const struct vq_chain *c)
{
	return c->nr - c->nr_out;
}

/* The last device-writable byte, where the status goes; NULL if there is none. */
static uint8_t *status_byte(const struct vq_chain *c)
{
	for (uint32_t i = c->nr; i > c->nr_out; i--) {
		const struct vq_elem *e = &c->elem[i - 1];

		if (e->len)
			return (uint8_t *)e->host + e->len - 1;
	}
	return NULL;
}

/* ---- completing requests ---- */

static void blk_finish(struct blk *blk, uint16_t head, uint8_t *status, uint8_t s, uint32_t len)
{
	*status = s;
	virtio__push(blk->dev, 0, head, len);
	blk->pushed = true;
}

static void blk_notify(struct blk *blk)
{
	if (blk->pushed)
		virtio__notify(blk->dev, 0);
	blk->pushed = false;
}

static void blk_io_error(struct blk *blk, const char *what, long err)
{
	if (!blk->io_error_logged)
		pr_err("disk %s: %s failed: %s", blk->path, what, strerror((int)-err));
	else
		pr_debug("disk %s: %s failed: %s", blk->path, what, strerror((int)-err));
	blk->io_error_logged = true;
}

static struct blk_req *blk_get_req(struct blk *blk)
{
	blk->nr_inflight++;
	return blk->free[--blk->nr_free];
}

static void blk_put_req(struct blk *blk, struct blk_req *req)
{
	blk->nr_inflight--;
	blk->free[blk->nr_free++] = req;
}

/* Resubmits req on the buffered fd; false if that fails too. */
static bool blk_resubmit_buffered(struct blk *blk, struct blk_req *req)
{
	struct iocb *iocb = &req->iocb;

	req->direct = false;
	iocb->aio_fildes = blk->fd;
	return io_submit(blk->ctx, 1, &iocb) == 1;
}

/* One AIO completion; push is false after a reset (the results are dropped). */
static void blk_complete(struct blk *blk, struct blk_req *req, long res, bool push)
{
	uint8_t s = VIRTIO_BLK_S_OK;

	/* Direct I/O the file system refused after all: once more, buffered. */
	if (res == -EINVAL && req->direct && push && blk_resubmit_buffered(blk, req))
		return;
	if (res != (long)req->len) {
		blk_io_error(blk, req->write ? "write" : "read", res < 0 ? res : -EIO);
		s = VIRTIO_BLK_S_IOERR;
	}
	if (push)
		blk_finish(blk, req->head, req->status, s,
			   req->write || s ? 1 : req->len + 1);
	blk_put_req(blk, req);
}

/*
 * Takes what completed from the ring without a system call (head and tail
 * are below nr while the kernel keeps the ring; anything else leaves it to
 * io_getevents). The kernel publishes tail after the events (release).
 */
static int blk_reap_ring(struct blk *blk, bool push)
{
	struct aio_ring *r = blk->ring;
	const struct io_event *ev = (const struct io_event *)(r + 1);
	unsigned head = r->head, tail = __atomic_load_n(&r->tail, __ATOMIC_ACQUIRE), nr = r->nr;
	int n = 0;

	if (head >= nr || tail >= nr)
		return -1;
	while (head != tail) {
		struct io_event e = ev[head];

		head = (head + 1) % nr;
		/* The event is copied before its slot goes back to the kernel. */
		__atomic_store_n(&r->head, head, __ATOMIC_RELEASE);
		blk_complete(blk, e.data, (long)e.res, push);
		n++;
	}
	return n;
}

/*
 * Reaps completions: at least min_nr of them (0: only what is there).
 * Returns how many, or a negative errno from io_getevents.
 */
static int blk_reap(struct blk *blk, long min_nr, bool push)
{
	struct io_event ev[BLK_INFLIGHT];
	struct timespec zero = { 0, 0 };
	int n;

	if (!min_nr && blk->ring) {
		n = blk_reap_ring(blk, push);
		if (n >= 0)
			return n;
	}
	do
		n = io_getevents(blk->ctx, min_nr, BLK_INFLIGHT, ev, min_nr ? NULL : &zero);
	while (n == -EINTR);
	for (int i = 0; i < n; i++)
		blk_complete(blk, ev[i].data, (long)ev[i].res, push);
	return n;
}

/* Clears the eventfd: its wake-ups are for completions about to be reaped. */
static void blk_clear_eventfd(struct blk *blk)
{
	uint64_t count;

	if (read(blk->efd, &count, sizeof(count)) < 0 && errno != EAGAIN)
		pr_debug("disk %s: eventfd read: %s", blk->path, strerror(errno));
}

/*
 * After a submission: what completed inside io_submit, at once, so the
 * chains go back in this pass instead of after another wake-up. The
 * eventfd is read first: a completion after that signals it again.
 * Returns how many.
 */
static int blk_reap_now(struct blk *blk)
{
	struct aio_ring *r = blk->ring;

	if (!r || __atomic_load_n(&r->tail, __ATOMIC_ACQUIRE) == r->head)
		return 0;
	blk_clear_eventfd(blk);
	return blk_reap(blk, 0, true);
}

/* Waits for every request in flight. */
static void blk_wait_all(struct blk *blk, bool push)
{
	while (blk->nr_inflight) {
		if (blk_reap(blk, 1, push) < 0) {
			/* Cannot happen with a valid context; do not spin. */
			pr_err("disk %s: io_getevents failed", blk->path);
			break;
		}
	}
}

/*
 * Submits the batch; an iocb the kernel refuses gets IOERR. (The context
 * has room for BLK_INFLIGHT, so EAGAIN is not expected: it fails one
 * request rather than spinning.)
 */
static void blk_submit(struct blk *blk)
{
	unsigned done = 0;

	while (done < blk->nr_batch) {
		int n = io_submit(blk->ctx, blk->nr_batch - done, blk->batch + done);
		struct blk_req *req;

		if (n > 0) {
			done += n;
			continue;
		}
		if (n == -EINTR)
			continue;
		/* The first one was refused: direct I/O goes again buffered. */
		req = blk->batch[done]->data;
		if (n == -EINVAL && req->direct) {
			req->direct = false;
			req->iocb.aio_fildes = blk->fd;
			continue;
		}
		done++;
		blk_complete(blk, req, n ? n : -EIO, true);
	}
	blk->nr_batch = 0;
}

/* ---- requests ---- */

static bool in_range(const struct blk *blk, uint64_t sector, uint64_t nr_sectors)
{
	return sector <= blk->sectors && nr_sectors <= blk->sectors - sector;
}

static bool dio_suits(const struct blk *blk, uint64_t pos, const struct iovec *iov, unsigned n)
{
	uint64_t mask = blk->dio_align - 1;

	if (blk->dfd < 0 || (pos & mask))
		return false;
	for (unsigned i = 0; i < n; i++)
		if (((uintptr_t)iov[i].iov_base & mask) || (iov[i].iov_len & mask))
			return false;
	return true;
}

/*
 * IN or OUT: the data is the readable part after the header (OUT) or the
 * writable part before the status byte (IN). Returns a status to finish
 * with now, or -1 when the request went to AIO.
 */
static int blk_rw(struct blk *blk, const struct vq_chain *c, uint8_t *status, bool write,
		  uint64_t sector)
{
	uint64_t len = write ? c->out_len - BLK_HDR_SIZE : c->in_len - 1u;
	struct blk_req *req;
	unsigned n;

	if (write && blk->ro)
		return VIRTIO_BLK_S_IOERR;
	if (len % SECTOR_SIZE || !in_range(blk, sector, len >> SECTOR_SHIFT)) {
		pr_debug("disk %s: %s of %llu bytes at sector %llu refused", blk->path,
			 write ? "write" : "read", (unsigned long long)len,
			 (unsigned long long)sector);
		return VIRTIO_BLK_S_IOERR;
	}
	if (!len)
		return VIRTIO_BLK_S_OK;

	req = blk_get_req(blk);
	if (write)
		n = vq__elems_iov(readable(c), c->nr_out, BLK_HDR_SIZE, len, req->iov);
	else
		n = vq__elems_iov(writable(c), nr_writable(c), 0, len, req->iov);
	req->direct = dio_suits(blk, sector << SECTOR_SHIFT, req->iov, n);
	if (write)
		io_prep_pwritev(&req->iocb, req->direct ? blk->dfd : blk->fd, req->iov, (int)n,
				(long long)(sector << SECTOR_SHIFT));
	else
		io_prep_preadv(&req->iocb, req->direct ? blk->dfd : blk->fd, req->iov, (int)n,
			       (long long)(sector << SECTOR_SHIFT));
	io_set_eventfd(&req->iocb, blk->efd);
	req->iocb.data = req;
	req->status = status;
	req->len = (uint32_t)len;
	req->head = c->head;
	req->write = write;
	blk->batch[blk->nr_batch++] = &req->iocb;
	return -1;
}

static uint8_t blk_flush(struct blk *blk)
{
	if (fdatasync(blk->fd) < 0) {
		blk_io_error(blk, "flush", -errno);
		return VIRTIO_BLK_S_IOERR;
	}
	return VIRTIO_BLK_S_OK;
}

/* GET_ID: the serial, NUL-padded, into the writable part before the status. */
static uint8_t blk_get_id(struct blk *blk, const struct vq_chain *c, uint32_t *written)
{
	uint32_t n = c->in_len - 1 < BLK_ID_BYTES ? c->in_len - 1 : BLK_ID_BYTES;

	vq__elems_copy(writable(c), nr_writable(c), 0, blk->serial, n, true);
	*written = n + 1;
	return VIRTIO_BLK_S_OK;
}

static uint8_t blk_punch(struct blk *blk, uint64_t sector, uint32_t nr_sectors)
{
	off_t pos = (off_t)(sector << SECTOR_SHIFT);
	off_t len = (off_t)nr_sectors << SECTOR_SHIFT;

	if (!nr_sectors)
		return VIRTIO_BLK_S_OK;
	if (!fallocate(blk->fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, pos, len))
		return VIRTIO_BLK_S_OK;
	/* Discard is a hint: a file system that cannot punch holes just keeps the data. */
	if (errno == EOPNOTSUPP)
		return VIRTIO_BLK_S_OK;
	blk_io_error(blk, "discard", -errno);
	return VIRTIO_BLK_S_IOERR;
}

/*
 * DISCARD: segments after the header. All are checked before any is done;
 * flags must be 0 (the unmap flag belongs to write-zeroes), as virtio 1.x
 * asks of a device.
 */
static uint8_t blk_discard(struct blk *blk, const struct vq_chain *c)
{
	uint8_t segs[BLK_DISCARD_SEG_MAX * BLK_DISCARD_SEG_SIZE];
	uint32_t len = c->out_len - BLK_HDR_SIZE;
	unsigned n = len / BLK_DISCARD_SEG_SIZE;
	uint8_t s = VIRTIO_BLK_S_OK;

	if (blk->ro || len % BLK_DISCARD_SEG_SIZE || n > BLK_DISCARD_SEG_MAX)
		return VIRTIO_BLK_S_IOERR;
	vq__elems_copy(readable(c), c->nr_out, BLK_HDR_SIZE, segs, len, false);
	for (unsigned i = 0; i < n; i++) {
		const uint8_t *seg = segs + i * BLK_DISCARD_SEG_SIZE;
		uint32_t nr = (uint32_t)get_le(seg + 8, 4);

		if (get_le(seg + 12, 4))
			return VIRTIO_BLK_S_UNSUPP;
		if (nr > BLK_DISCARD_SECTORS_MAX || !in_range(blk, get_le(seg, 8), nr))
			s = VIRTIO_BLK_S_IOERR;
	}
	for (unsigned i = 0; i < n && s == VIRTIO_BLK_S_OK; i++) {
		const uint8_t *seg = segs + i * BLK_DISCARD_SEG_SIZE;

		s = blk_punch(blk, get_le(seg, 8), (uint32_t)get_le(seg + 8, 4));
	}
	return s;
}

/* One popped chain: finished at once, or handed to AIO. */
static void blk_request(struct blk *blk, const struct vq_chain *c)
{
	uint8_t *status = status_byte(c);
	uint8_t hdr[BLK_HDR_SIZE];
	uint32_t written = 1;
	uint64_t sector;
	int s;

	if (!status) {
		/* Nowhere to say what happened: give the chain back untouched. */
		pr_debug("disk %s: request without a status byte", blk->path);
		virtio__push(blk->dev, 0, c->head, 0);
		blk->pushed = true;
		return;
	}
	if (c->out_len < BLK_HDR_SIZE) {
		blk_finish(blk, c->head, status, VIRTIO_BLK_S_IOERR, 1);
		return;
	}
	/* A copy: the guest can change its buffer while we look at it. */
	vq__elems_copy(readable(c), c->nr_out, 0, hdr, sizeof(hdr), false);
	sector = get_le(hdr + 8, 8);

	switch (get_le(hdr, 4)) {
	case VIRTIO_BLK_T_IN:
		s = blk_rw(blk, c, status, false, sector);
		break;
	case VIRTIO_BLK_T_OUT:
		s = blk_rw(blk, c, status, true, sector);
		break;
	case VIRTIO_BLK_T_FLUSH:
		s = blk_flush(blk);
		break;
	case VIRTIO_BLK_T_GET_ID:
		s = blk_get_id(blk, c, &written);
		break;
	case VIRTIO_BLK_T_DISCARD:
		s = blk_discard(blk, c);
		break;
	default:
		s = VIRTIO_BLK_S_UNSUPP;
		break;
	}
	if (s >= 0)
		blk_finish(blk, c->head, status, (uint8_t)s, written);
}

/* Takes requests while there is a free slot; true if it took any. */
static bool blk_take(struct blk *blk)
{
	struct vq_chain c;
	bool took = false;

	while (blk->nr_free && virtio__queue_live(blk->dev, 0)) {
		vq__chain_init(&c, blk->elem, BLK_QUEUE_MAX);
		if (virtio__pop(blk->dev, 0, &c, VQ_OUT_IN) <= 0)
			break;
		blk_request(blk, &c);
		took = true;
	}
	return took;
}

/*
 * Takes every request there is (one io_submit for all that go to AIO), and
 * what completed at once; again while that freed slots for more.
 */
static void blk_process(struct blk *blk)
{
	while (blk_take(blk)) {
		blk_submit(blk);
		if (blk_reap_now(blk) <= 0)
			break;
	}
}

/* ---- callbacks (dev->lock held, on the device's thread) ---- */

static void blk_queue_notify(struct virtio_dev *dev, unsigned q)
{
	struct blk *blk = dev->priv;

	blk_process(blk);
	blk_notify(blk);
}

static void blk_fd_ready(struct virtio_dev *dev, int fd)
{
	struct blk *blk = dev->priv;

	blk_clear_eventfd(blk);
	while (blk_reap(blk, 0, true) > 0)
		;
	/* Slots were freed: requests may wait in the ring. */
	blk_process(blk);
	blk_notify(blk);
}

static void blk_drain(struct virtio_dev *dev)
{
	struct blk *blk = dev->priv;

	blk_wait_all(blk, true);
	blk_notify(blk);
	/*
	 * Paused, the disk holds what the guest wrote: on stable storage too,
	 * so that a snapshot or a destination host on shared storage reads it
	 * (a live migration pauses here before its commit).
	 */
	if (!blk->ro)
		blk_flush(blk);
}

static void blk_reset(struct virtio_dev *dev)
{
	struct blk *blk = dev->priv;

	blk_wait_all(blk, false);
	blk->pushed = false;
}

static void blk_free(struct blk *blk)
{
	if (blk->ctx_ready) {
		blk_wait_all(blk, false);
		io_destroy(blk->ctx);
	}
	if (blk->efd >= 0)
		close(blk->efd);
	if (blk->dfd >= 0)
		close(blk->dfd);
	if (blk->fd >= 0)
		close(blk->fd);
	free(blk);
}

static void blk_exit(struct virtio_dev *dev)
{
	blk_free(dev->priv);
}

/* Offered to every disk; DISCARD or RO is added per disk (blk_create). */
static const struct virtio_dev_ops blk_ops = {
	.name = "virtio-blk",
	.device_id = VIRTIO_ID_BLOCK,
	.nr_queues = 1,
	.queue_max = BLK_QUEUE_MAX,
	.features = 1ULL << VIRTIO_BLK_F_SEG_MAX | 1ULL << VIRTIO_BLK_F_BLK_SIZE |
		    1ULL << VIRTIO_BLK_F_FLUSH,
	.config_size = BLK_CONFIG_SIZE,
	.queue_notify = blk_queue_notify,
	.fd_ready = blk_fd_ready,
	.reset = blk_reset,
	.drain = blk_drain,
	.exit = blk_exit,
};

/* ---- opening the image ---- */

static int refuse(const char *path, const char *why)
{
	pr_err("disk %s: %s", path, why);
	return -VMM_ERR_INPUT;
}

/* The image's size in bytes: regular files by st_size, block devices by ioctl. */
static int image_size(int fd, const struct stat *st, uint64_t *size)
{
	if (S_ISREG(st->st_mode)) {
		*size = (uint64_t)st->st_size;
		return 0;
	}
	return ioctl(fd, BLKGETSIZE64, size) < 0 ? -errno : 0;
}

/*
 * The GET_ID serial: "%x-%x" of the image's st_dev and st_ino (after
 * following symlinks), cut to 20 bytes and NUL-padded. From a shell:
 *   printf '%x-%x' $(stat -L -c '%d %i' PATH) | cut -c1-20
 */
static void make_serial(uint8_t *serial, const struct stat *st)
{
	char s[BLK_ID_BYTES + 1];

	snprintf(s, sizeof(s), "%llx-%llx", (unsigned long long)st->st_dev,
		 (unsigned long long)st->st_ino);
	memset(serial, 0, BLK_ID_BYTES);
	memcpy(serial, s, strlen(s));
}

static bool power_of_2(uint64_t v)
{
	return v && !(v & (v - 1));
}

/* The file system's block size (st_blksize), or 512 if it is odd. */
static uint32_t fs_block(const struct stat *st)
{
	uint64_t b = st->st_blksize > 0 ? (uint64_t)st->st_blksize : 0;

	return power_of_2(b) && b > SECTOR_SIZE && b <= SZ_1M ? (uint32_t)b : SECTOR_SIZE;
}

/*
 * What O_DIRECT needs: the kernel says so (statx DIOALIGN, Linux 6.1+);
 * otherwise the block device's logical block size, or for a file its
 * st_blksize (at least the device's, since a file system block is never
 * smaller than a sector). Returns 0 when the file does not do direct I/O.
 */
static uint32_t dio_alignment(int fd, const struct stat *st)
{
	struct statx stx;
	int lbs;

	if (!statx(fd, "", AT_EMPTY_PATH, STATX_DIOALIGN, &stx) &&
	    (stx.stx_mask & STATX_DIOALIGN)) {
		uint32_t a = stx.stx_dio_offset_align > stx.stx_dio_mem_align ?
			     stx.stx_dio_offset_align : stx.stx_dio_mem_align;

		if (!stx.stx_dio_offset_align)
			return 0;
		return a > SECTOR_SIZE && power_of_2(a) ? a : SECTOR_SIZE;
	}
	if (S_ISBLK(st->st_mode) && !ioctl(fd, BLKSSZGET, &lbs) && power_of_2((uint64_t)lbs))
		return lbs > (int)SECTOR_SIZE ? (uint32_t)lbs : SECTOR_SIZE;
	return fs_block(st) < 4096 ? fs_block(st) : 4096;
}

/*
 * The O_DIRECT fd, if the file allows it (open fails with EINVAL where it
 * does not, e.g. tmpfs before Linux 6.6): the same file as fd, or none.
 */
static void open_direct(struct blk *blk, int flags, const struct stat *st)
{
	struct stat dst;
	char proc[64];
	uint32_t align;
	int fd;

	/* The same inode as blk->fd, not whatever the path names now. */
	snprintf(proc, sizeof(proc), "/proc/self/fd/%d", blk->fd);
	fd = open(proc, flags | O_DIRECT);
	if (fd < 0 && errno == ENOENT) {	/* no /proc: the path, checked below */
		fd = open(blk->path, flags | O_DIRECT | O_NONBLOCK);
		if (fd >= 0)
			fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
	}

	if (fd < 0) {
		pr_debug("disk %s: no O_DIRECT: %s", blk->path, strerror(errno));
		return;
	}
	align = dio_alignment(fd, st);
	if (fstat(fd, &dst) < 0 || dst.st_dev != st->st_dev || dst.st_ino != st->st_ino ||
	    !align) {
		close(fd);
		return;
	}
	blk->dfd = fd;
	blk->dio_align = align;
}

/*
 * A disk given to `vmm run`: opened without blocking (a FIFO would), then
 * looked at on the open fd, never by a stat before the open.
 */
static int open_given(struct blk *blk, int flags, struct stat *st)
{
	char why[160];

	blk->fd = open(blk->path, flags | O_NONBLOCK | O_NOCTTY);
	if (blk->fd < 0 && errno == EISDIR)
		return refuse(blk->path, "is a directory");
	if (blk->fd < 0) {
		snprintf(why, sizeof(why), "cannot open %s: %s%s",
			 blk->ro ? "read-only" : "read-write", strerror(errno),
			 blk->ro ? "" : " (add ,ro for a read-only disk)");
		return refuse(blk->path, why);
	}
	if (fstat(blk->fd, st) < 0)
		return refuse(blk->path, strerror(errno));
	if (S_ISDIR(st->st_mode))
		return refuse(blk->path, "is a directory");
	if (!S_ISREG(st->st_mode) && !S_ISBLK(st->st_mode))
		return refuse(blk->path, "is not a regular file or a block device");
	fcntl(blk->fd, F_SETFL, fcntl(blk->fd, F_GETFL) & ~O_NONBLOCK);
	return 0;
}

/*
 * A disk of `vmm restore` (expect set): the snapshot's path only if it is
 * what the snapshot says (vmm/saved-open.c), or the one named with -d.
 */
static int open_saved(struct blk *blk, const struct disk_expect *expect, struct stat *st)
{
	const struct disk_config d = { blk->path, blk->ro };
	uint64_t size;
	char why[256];

	blk->fd = saved_open__disk(&d, expect, st, &size, why, sizeof(why));
	return blk->fd < 0 ? refuse(blk->path, why) : 0;
}

static int blk_open(struct blk *blk, const struct disk_expect *expect)
{
	int flags = (blk->ro ? O_RDONLY : O_RDWR) | O_CLOEXEC;
	struct stat st;
	uint64_t size;
	int r = expect ? open_saved(blk, expect, &st) : open_given(blk, flags, &st);

	if (r)
		return r;
	if (image_size(blk->fd, &st, &size) < 0)
		return refuse(blk->path, "cannot read the block device's size");
	if (!size)
		return refuse(blk->path, "is empty");
	if (size < SECTOR_SIZE)
		return refuse(blk->path, "is smaller than one 512-byte sector");
	/* A partial last sector is not part of the disk. */
	blk->sectors = size >> SECTOR_SHIFT;
	make_serial(blk->serial, &st);
	/* Holes come in file system blocks: smaller discards only zero. */
	blk->discard_align = fs_block(&st) >> SECTOR_SHIFT;
	open_direct(blk, flags, &st);
	return 0;
}

static int blk_setup_aio(struct blk *blk)
{
	int r;

	blk->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (blk->efd < 0) {
		pr_err("disk %s: eventfd: %s", blk->path, strerror(errno));
		return -VMM_ERR_HOST;
	}
	r = io_setup(BLK_INFLIGHT, &blk->ctx);
	if (r < 0) {
		pr_err("disk %s: io_setup: %s", blk->path, strerror(-r));
		return -VMM_ERR_HOST;
	}
	blk->ctx_ready = true;
	blk->ring = (struct aio_ring *)blk->ctx;
	if (blk->ring->magic != AIO_RING_MAGIC || blk->ring->incompat_features ||
	    blk->ring->header_length != sizeof(struct aio_ring))
		blk->ring = NULL;	/* a kernel with another layout: io_getevents */
	for (unsigned i = 0; i < BLK_INFLIGHT; i++)
		blk->free[i] = &blk->reqs[i];
	blk->nr_free = BLK_INFLIGHT;
	return 0;
}

static void blk_fill_config(const struct blk *blk, uint8_t *cfg)
{
	put_le(cfg + CFG_CAPACITY, blk->sectors, 8);
	put_le(cfg + CFG_SEG_MAX, BLK_SEG_MAX, 4);
	/* 512 whatever the host's: the guest sees the image's own sector size. */
	put_le(cfg + CFG_BLK_SIZE, SECTOR_SIZE, 4);
	if (blk->ro)
		return;
	put_le(cfg + CFG_MAX_DISCARD_SECTORS, BLK_DISCARD_SECTORS_MAX, 4);
	put_le(cfg + CFG_MAX_DISCARD_SEG, BLK_DISCARD_SEG_MAX, 4);
	put_le(cfg + CFG_DISCARD_ALIGN, blk->discard_align, 4);
}

/*
 * The device for one disk. blk belongs to the device afterwards, even on
 * failure: the device stays registered and the VM's teardown destroys it
 * (ops->exit frees blk).
 */
static int blk_create(struct vm *vm, struct blk *blk)
{
	struct virtio_dev *dev = virtio__create(vm, &blk_ops, blk);
	int r;

	if (!dev) {
		blk_free(blk);
		return -VMM_ERR_INTERNAL;
	}
	blk->dev = dev;
	dev->host_features |= 1ULL << (blk->ro ? VIRTIO_BLK_F_RO : VIRTIO_BLK_F_DISCARD);
	blk_fill_config(blk, dev->config);
	r = virtio__watch_fd(dev, blk->efd, EPOLLIN);
	if (r) {
		pr_err("disk %s: cannot watch its eventfd: %s", blk->path, strerror(-r));
		return -VMM_ERR_INTERNAL;
	}
	if (virtio__start(dev))
		return -VMM_ERR_INTERNAL;	/* it said why */
	pr_debug("disk %s: %llu sectors%s, %s", blk->path, (unsigned long long)blk->sectors,
		 blk->ro ? ", read-only" : "",
		 blk->dfd >= 0 ? "O_DIRECT where aligned" : "buffered");
	return 0;
}

static int blk_add(struct vm *vm, const struct disk_config *d, const struct disk_expect *expect)
{
	struct blk *blk = calloc(1, sizeof(*blk));
	int r;

	if (!blk) {
		pr_err("disk %s: out of memory", d->path);
		return -VMM_ERR_HOST;
	}
	blk->path = d->path;
	blk->ro = d->ro;
	blk->fd = blk->dfd = blk->efd = -1;
	blk->dio_align = SECTOR_SIZE;
	r = blk_open(blk, expect);
	if (!r)
		r = blk_setup_aio(blk);
	if (r) {
		blk_free(blk);
		return r;
	}
	return blk_create(vm, blk);
}

int virtio_blk__init(struct vm *vm)
{
	for (unsigned i = 0; i < vm->cfg->nr_disks; i++) {
		const struct disk_expect *e = vm->cfg->disk_expect;
		int r = blk_add(vm, &vm->cfg->disks[i], e ? &e[i] : NULL);

		if (r)
			return r;
	}
	return 0;
}
