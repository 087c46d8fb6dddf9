/*
 * virtio-net over a host tap (virtio 1.x, "Network Device"): queue 0
 * receives, queue 1 transmits. Features: MAC, STATUS (link always up),
 * checksum and TCP segmentation offloads both ways (CSUM, GUEST_CSUM,
 * HOST_/GUEST_TSO4, TSO6, ECN) and mergeable receive buffers (MRG_RXBUF);
 * no control queue. See docs/virtio.md.
 *
 * The tap carries a 12-byte header (struct virtio_net_hdr_v1) in front of
 * every frame (IFF_VNET_HDR, TUNSETVNETHDRSZ 12), the same the guest uses,
 * so frames move between chains and the tap without a copy of their data.
 * Everything is synchronous on the device's I/O thread; the tap is
 * non-blocking.
 *
 * Offloads: the guest's transmit offloads need nothing of the tap (the
 * host kernel takes partial checksums and GSO frames from any tap user);
 * what the tap may hand over on receive is set with TUNSETOFFLOAD from the
 * features the driver accepted, at DRIVER_OK (and after a restore), and
 * cleared at reset.
 *
 * Receive: the tap fd is watched while the guest has receive buffers. A
 * chain is popped, then the tap is read into it, with a bounce buffer
 * (rx_rest) behind it for what does not fit; when the tap turns out to be
 * empty, the chain is held for the next frame. A frame that fits is handed
 * over as it is. One that does not is spread over more chains when
 * MRG_RXBUF was negotiated: the rest is copied out of rx_rest into as many
 * chains as it takes, and all of them are published at once (num_buffers
 * in the first header says how many); if the queue runs dry halfway, the
 * device waits for the driver's kick with the frame kept. Without
 * MRG_RXBUF, or when even the whole queue is too small, the frame is
 * dropped and its chains go back with length 0, which a driver takes as
 * empty buffers (Linux counts an rx length error and reuses them). A chain
 * smaller than VIRTIO_NET_RX_MIN goes back with length 0 without reading.
 * With no buffer left, the tap is no longer watched until the driver kicks
 * queue 0 (frames wait in the tap's queue, which drops them when full, as
 * a NIC would). What is held goes back the same way at drain (before a
 * snapshot) unless a frame completes it. If reading the tap fails for good
 * (it was deleted), receiving stops.
 *
 * Transmit: the guest's header is copied out and checked against the
 * negotiated offloads (virtio_net__check_hdr); a bad one drops the frame
 * (logged once, then counted). The checked copy and the rest of the chain
 * go to the tap in one writev; a frame the tap refuses (EAGAIN, EIO,
 * EINVAL) is dropped, never retried.
 *
 * Neither queue suppresses the driver's notifications: virtio__pop() asks
 * for one whenever it finds a queue empty, so the device hears of the next
 * buffer (which is what resumes receiving after it ran out).
 *
 * The guest is untrusted: its buffers are reached only through the host
 * pointers of popped chain elements, and the host kernel checks a frame
 * and its header once more (it does so for any tap user).
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/if_tun.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/uio.h>
#include <unistd.h>

#include "vmm/config.h"
#include "vmm/virtio.h"
#include "vmm/vm.h"
#include "net.h"

#define HDR		VIRTIO_NET_HDR_LEN

struct net {
	int fd;				/* the tap */
	char name[IFNAMSIZ];
	bool watching;			/* fd is watched for EPOLLIN */
	bool rx_held;			/* rx_chain is popped and waits for a frame */
	bool rx_spreading;		/* rx_chain has a frame whose rest is in rx_rest */
	bool rx_dead;			/* reading the tap failed: no more receiving */
	bool bad_hdr_logged;
	struct vq_chain rx_chain, rx_more, tx_chain;
	struct vq_elem rx_elem[VIRTIO_NET_QUEUE_MAX];
	struct vq_elem more_elem[VIRTIO_NET_QUEUE_MAX];
	struct vq_elem tx_elem[VIRTIO_NET_QUEUE_MAX];
	/* One more than a chain: the header copy (transmit), rx_rest (receive). */
	struct iovec iov[VIRTIO_NET_QUEUE_MAX + 1];
	uint8_t tx_hdr[HDR];		/* the guest's header, as checked */
	uint32_t rx_len;		/* the spread frame's length, header included */
	uint32_t rx_placed;		/* bytes of it in chains so far */
	unsigned rx_nr_used;		/* chains of it so far, rx_chain first */
	struct vq_used rx_used[VIRTIO_NET_QUEUE_MAX];
	uint64_t rx_dropped, tx_dropped, tx_bad_hdr;
	/* What of a frame does not fit its first chain; one spare byte shows truncation. */
	uint8_t rx_rest[HDR + VIRTIO_NET_FRAME_MAX + 1];
};

static bool has(uint64_t features, unsigned bit)
{
	return features & (1ULL << bit);
}

/* ---- helpers ---- */

static void set_watch(struct virtio_dev *dev, struct net *n, bool on)
{
	if (n->watching == on || n->rx_dead)
		return;
	if (virtio__watch_fd(dev, n->fd, on ? EPOLLIN : 0)) {
		pr_err("%s: cannot %s watching tap %s", dev->ops->name, on ? "start" : "stop",
		       n->name);
		return;
	}
	n->watching = on;
}

unsigned virtio_net__tap_offloads(uint64_t f)
{
	unsigned off;

	/* Segments come with partial checksums: no GUEST_CSUM, no offload at all. */
	if (!has(f, VIRTIO_NET_F_GUEST_CSUM))
		return 0;
	off = TUN_F_CSUM;
	if (has(f, VIRTIO_NET_F_GUEST_TSO4))
		off |= TUN_F_TSO4;
	if (has(f, VIRTIO_NET_F_GUEST_TSO6))
		off |= TUN_F_TSO6;
	if (has(f, VIRTIO_NET_F_GUEST_ECN) && (off & (TUN_F_TSO4 | TUN_F_TSO6)))
		off |= TUN_F_TSO_ECN;
	return off;
}

/*
 * What the tap may hand over: the offloads of features. A tap that refuses
 * them just gives whole, checksummed frames, which every driver takes; an
 * fd that is not a tap (unit tests) has no offloads to set.
 */
static void set_offloads(struct net *n, uint64_t features)
{
	unsigned long off = virtio_net__tap_offloads(features);

	if (ioctl(n->fd, TUNSETOFFLOAD, off) < 0 && errno != ENOTTY)
		pr_err("tap %s: TUNSETOFFLOAD 0x%lx: %s; receiving without offloads", n->name,
		       off, strerror(errno));
}

/* ---- transmit ---- */

const char *virtio_net__check_hdr(const uint8_t h[VIRTIO_NET_HDR_LEN], uint32_t frame_len,
				  uint64_t f)
{
	unsigned flags = h[VIRTIO_NET_HDR_FLAGS], gso = h[VIRTIO_NET_HDR_GSO_TYPE];
	unsigned type = gso & ~(unsigned)VIRTIO_NET_HDR_GSO_ECN;
	uint32_t start = (uint32_t)get_le(h + VIRTIO_NET_HDR_CSUM_START, 2);
	uint32_t offset = (uint32_t)get_le(h + VIRTIO_NET_HDR_CSUM_OFFSET, 2);

	if (flags & ~(unsigned)VIRTIO_NET_HDR_F_NEEDS_CSUM)
		return "flags other than NEEDS_CSUM";
	if (flags && !has(f, VIRTIO_NET_F_CSUM))
		return "NEEDS_CSUM without VIRTIO_NET_F_CSUM";
	if (flags && start + offset + 2 > frame_len)
		return "csum_start + csum_offset past the frame";
	if (gso == VIRTIO_NET_HDR_GSO_NONE)
		return NULL;
	if (!(type == VIRTIO_NET_HDR_GSO_TCPV4 && has(f, VIRTIO_NET_F_HOST_TSO4)) &&
	    !(type == VIRTIO_NET_HDR_GSO_TCPV6 && has(f, VIRTIO_NET_F_HOST_TSO6)))
		return "a gso_type that was not negotiated";
	if ((gso & VIRTIO_NET_HDR_GSO_ECN) && !has(f, VIRTIO_NET_F_HOST_ECN))
		return "GSO_ECN without VIRTIO_NET_F_HOST_ECN";
	if (!flags)
		return "segmentation without NEEDS_CSUM";
	if (!get_le(h + VIRTIO_NET_HDR_GSO_SIZE, 2))
		return "segmentation with gso_size 0";
	if (get_le(h + VIRTIO_NET_HDR_HDR_LEN, 2) > frame_len)
		return "hdr_len past the frame";
	return NULL;
}

/* A frame dropped for its header: the first is logged, the rest counted. */
static void bad_hdr(struct virtio_dev *dev, struct net *n, const char *why)
{
	n->tx_dropped++;
	n->tx_bad_hdr++;
	if (n->bad_hdr_logged)
		return;
	n->bad_hdr_logged = true;
	pr_err("%s: tap %s: dropped a frame from the guest with a bad header (%s); "
	       "further ones are only counted", dev->ops->name, n->name, why);
}

/* One chain to the tap; a frame the tap refuses is dropped. */
static void tx_frame(struct virtio_dev *dev, struct net *n, const struct vq_chain *c)
{
	const char *why;
	ssize_t ret;
	int cnt;

	/* Not a frame: no header, or longer than any tap takes. */
	if (c->out_len < HDR || c->out_len > HDR + VIRTIO_NET_FRAME_MAX) {
		n->tx_dropped++;
		pr_debug("%s: dropped a %u-byte transmit chain", n->name, c->out_len);
		return;
	}
	/* A copy: the guest could change its buffer after the check. */
	vq__elems_copy(c->elem, c->nr, 0, n->tx_hdr, HDR, false);
	why = virtio_net__check_hdr(n->tx_hdr, c->out_len - HDR, dev->driver_features);
	if (why) {
		bad_hdr(dev, n, why);
		return;
	}
	n->iov[0].iov_base = n->tx_hdr;
	n->iov[0].iov_len = HDR;
	cnt = 1 + (int)vq__elems_iov(c->elem, c->nr, HDR, UINT64_MAX, n->iov + 1);
	do
		ret = writev(n->fd, n->iov, cnt);
	while (ret < 0 && errno == EINTR);
	if (ret < 0) {
		/* EAGAIN (no room), EIO (tap down), EINVAL (a bad frame): never retried. */
		n->tx_dropped++;
		pr_debug("%s: the tap refused a %u-byte frame: %s", n->name, c->out_len,
			 strerror(errno));
	}
}

static void tx_queue(struct virtio_dev *dev)
{
	struct net *n = dev->priv;
	bool pushed = false;

	while (virtio__pop(dev, VIRTIO_NET_TXQ, &n->tx_chain, VQ_OUT) == 1) {
		tx_frame(dev, n, &n->tx_chain);
		virtio__push(dev, VIRTIO_NET_TXQ, n->tx_chain.head, 0);
		pushed = true;
	}
	if (pushed)
		virtio__notify(dev, VIRTIO_NET_TXQ);
}

/* ---- receive ---- */

/* Gives the held chain back with len bytes written. */
static void rx_return(struct virtio_dev *dev, struct net *n, uint32_t len)
{
	virtio__push(dev, VIRTIO_NET_RXQ, n->rx_chain.head, len);
	n->rx_held = false;
}

/*
 * The header in the held chain as the driver must see it: num_buffers, and
 * no flag (DATA_VALID, which the tap sets) when GUEST_CSUM was refused.
 */
static void rx_fix_hdr(struct virtio_dev *dev, struct net *n, unsigned nr_bufs)
{
	uint8_t num[2] = { (uint8_t)nr_bufs, (uint8_t)(nr_bufs >> 8) }, zero = 0;
	const struct vq_chain *c = &n->rx_chain;

	vq__elems_copy(c->elem, c->nr, VIRTIO_NET_HDR_NUM_BUFFERS, num, sizeof(num), true);
	if (!has(dev->driver_features, VIRTIO_NET_F_GUEST_CSUM))
		vq__elems_copy(c->elem, c->nr, VIRTIO_NET_HDR_FLAGS, &zero, 1, true);
}

/* Publishes the chains of a spread frame (or, dropped, with length 0) at once. */
static void rx_push_spread(struct virtio_dev *dev, struct net *n, bool drop)
{
	struct virtqueue *vq = &dev->queues[VIRTIO_NET_RXQ].vq;

	if (drop) {
		n->rx_dropped++;
		for (unsigned i = 0; i < n->rx_nr_used; i++)
			n->rx_used[i].len = 0;
	} else {
		rx_fix_hdr(dev, n, n->rx_nr_used);
	}
	if (virtio__queue_live(dev, VIRTIO_NET_RXQ) &&
	    vq__push_many(vq, n->rx_used, n->rx_nr_used))
		virtio__fail(dev, vq->broken ? vq->why : "a used ring entry could not be written");
	n->rx_held = n->rx_spreading = false;
	n->rx_nr_used = 0;
}

/*
 * The rest of a spread frame into more chains. Returns 1 when the frame
 * went back to the driver (or was dropped: the queue cannot hold it), 0
 * when the queue ran dry (the frame waits for the driver's next kick).
 */
static int rx_spread(struct virtio_dev *dev, struct net *n)
{
	uint32_t first = n->rx_used[0].len;
	struct vq_chain *c = &n->rx_more;

	while (n->rx_placed < n->rx_len) {
		uint32_t part;

		if (n->rx_nr_used == VIRTIO_NET_QUEUE_MAX ||
		    n->rx_nr_used == dev->queues[VIRTIO_NET_RXQ].vq.num) {
			pr_debug("%s: a %u-byte frame does not fit the whole receive queue",
				 n->name, n->rx_len);
			rx_push_spread(dev, n, true);
			return 1;
		}
		vq__chain_init(c, n->more_elem, VIRTIO_NET_QUEUE_MAX);
		if (virtio__pop(dev, VIRTIO_NET_RXQ, c, VQ_IN) != 1)
			return 0;	/* none yet, or a broken queue (a reset forgets all) */
		part = n->rx_len - n->rx_placed < c->in_len ? n->rx_len - n->rx_placed : c->in_len;
		vq__elems_copy(c->elem, c->nr, 0, n->rx_rest + (n->rx_placed - first), part, true);
		n->rx_used[n->rx_nr_used++] = (struct vq_used){ c->head, part };
		n->rx_placed += part;
	}
	rx_push_spread(dev, n, false);
	return 1;
}

/*
 * A frame of len bytes (header included) was read into the held chain and
 * rx_rest behind it: hand it over, spread it, or drop it.
 */
static int rx_deliver(struct virtio_dev *dev, struct net *n, size_t len)
{
	struct vq_chain *c = &n->rx_chain;

	if (len <= c->in_len && len >= HDR) {
		rx_fix_hdr(dev, n, 1);
		rx_return(dev, n, (uint32_t)len);
		return 1;
	}
	if (len < HDR || len == c->in_len + sizeof(n->rx_rest) ||
	    !has(dev->driver_features, VIRTIO_NET_F_MRG_RXBUF)) {
		/* Not even a header, truncated, or too big for a chain it cannot spread over. */
		n->rx_dropped++;
		pr_debug("%s: dropped a received frame of %zu bytes for a %u-byte chain",
			 n->name, len, c->in_len);
		rx_return(dev, n, 0);
		return 1;
	}
	n->rx_spreading = true;
	n->rx_len = (uint32_t)len;
	n->rx_placed = c->in_len;
	n->rx_used[0] = (struct vq_used){ c->head, c->in_len };
	n->rx_nr_used = 1;
	return rx_spread(dev, n);
}

/*
 * Reading failed for good (EBADFD: the tap was deleted under us). epoll
 * reports such an fd as ready even when asked for nothing, so it is no
 * longer watched at all: the guest receives nothing more, and sends into
 * the void.
 */
static void rx_stop(struct virtio_dev *dev, struct net *n, const char *why)
{
	pr_err("%s: reading tap %s: %s; receiving stops", dev->ops->name, n->name, why);
	virtio__unwatch_fd(dev, n->fd);
	n->watching = false;
	n->rx_dead = true;
}

/*
 * Reads one frame into the held chain (or goes on spreading one). Returns
 * 1 when chains went back to the driver, 0 when the tap had no frame (the
 * chain stays held) or a spread frame waits for buffers, -EIO when the tap
 * is dead.
 */
static int rx_frame(struct virtio_dev *dev, struct net *n)
{
	struct vq_chain *c = &n->rx_chain;
	ssize_t len;
	int cnt;

	if (n->rx_spreading)
		return rx_spread(dev, n);
	if (n->rx_dead)
		return -EIO;
	if (c->in_len < VIRTIO_NET_RX_MIN) {
		n->rx_dropped++;
		rx_return(dev, n, 0);
		return 1;
	}
	cnt = (int)vq__elems_iov(c->elem, c->nr, 0, UINT64_MAX, n->iov);
	n->iov[cnt].iov_base = n->rx_rest;
	n->iov[cnt].iov_len = sizeof(n->rx_rest);
	do
		len = readv(n->fd, n->iov, cnt + 1);
	while (len < 0 && errno == EINTR);
	if (len < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
		return 0;
	if (len <= 0) {
		rx_stop(dev, n, len ? strerror(errno) : "end of file");
		return -EIO;
	}
	return rx_deliver(dev, n, (size_t)len);
}

/*
 * Frames from the tap into receive chains until the tap is empty (watch on)
 * or the guest has no buffer (watch off until it kicks queue 0).
 */
static void rx_queue(struct virtio_dev *dev)
{
	struct net *n = dev->priv;
	bool pushed = false;
	int ret;

	for (;;) {
		if (!n->rx_held) {
			vq__chain_init(&n->rx_chain, n->rx_elem, VIRTIO_NET_QUEUE_MAX);
			if (virtio__pop(dev, VIRTIO_NET_RXQ, &n->rx_chain, VQ_IN) != 1) {
				/* No buffer, no live queue, or a broken one. */
				set_watch(dev, n, false);
				break;
			}
			n->rx_held = true;
		}
		ret = rx_frame(dev, n);
		if (ret <= 0) {
			if (n->rx_spreading)
				set_watch(dev, n, false);	/* until more buffers come */
			break;
		}
		pushed = true;
	}
	if (pushed)
		virtio__notify(dev, VIRTIO_NET_RXQ);
}

/* Receiving again: watch the tap and take what it has now. */
static void rx_resume(struct virtio_dev *dev)
{
	set_watch(dev, dev->priv, true);
	rx_queue(dev);
}

/* ---- device ops ---- */

static void net_queue_notify(struct virtio_dev *dev, unsigned q)
{
	struct net *n = dev->priv;

	if (q == VIRTIO_NET_TXQ)
		tx_queue(dev);
	else if (q == VIRTIO_NET_RXQ && !n->watching)
		rx_resume(dev);
	/* A receive kick while watching: the tap was empty, and epoll tells. */
}

static void net_fd_ready(struct virtio_dev *dev, int fd)
{
	rx_queue(dev);
}

/*
 * DRIVER_OK, on a vcpu thread: the tap's offloads, and watch it. The I/O
 * thread does the rest (the transport has it look at every queue after
 * activate).
 */
static void net_activate(struct virtio_dev *dev)
{
	set_offloads(dev->priv, dev->driver_features);
	set_watch(dev, dev->priv, true);
}

/*
 * Nothing is in flight but held receive chains, which the reset forgets.
 * The tap is not watched until the driver is back (activate, or a kick),
 * and hands over no offloaded frame meanwhile.
 */
static void net_reset(struct virtio_dev *dev)
{
	struct net *n = dev->priv;

	n->rx_held = n->rx_spreading = false;
	n->rx_nr_used = 0;
	set_watch(dev, n, false);
	set_offloads(n, 0);
}

/*
 * Before a snapshot: held receive chains would be lost to a restored VM, so
 * the held one gets a frame if the tap has one, or goes back empty (length
 * 0); a spread frame that still waits for buffers is dropped the same way.
 */
static void net_drain(struct virtio_dev *dev)
{
	struct net *n = dev->priv;

	if (!n->rx_held)
		return;
	if (n->rx_spreading || rx_frame(dev, n) != 1) {
		/* A spread frame waits for buffers, the tap is empty, or dead. */
		if (n->rx_spreading)
			rx_push_spread(dev, n, true);
		else
			rx_return(dev, n, 0);
	}
	virtio__notify(dev, VIRTIO_NET_RXQ);
}

/* After a restore: the transport state is back; the new tap needs its offloads. */
static int net_restore(struct virtio_dev *dev, struct preader *r)
{
	if (dev->status & VIRTIO_STATUS_DRIVER_OK)
		set_offloads(dev->priv, dev->driver_features);
	return 0;
}

static void net_exit(struct virtio_dev *dev)
{
	struct net *n = dev->priv;

	if (n->rx_dropped || n->tx_dropped)
		pr_debug("%s: %llu received and %llu sent frames dropped (%llu bad headers)",
			 n->name, (unsigned long long)n->rx_dropped,
			 (unsigned long long)n->tx_dropped, (unsigned long long)n->tx_bad_hdr);
	close(n->fd);
	free(n);
}

static const struct virtio_dev_ops net_ops = {
	.name = "virtio-net",
	.device_id = VIRTIO_ID_NET,
	.nr_queues = 2,
	.queue_max = VIRTIO_NET_QUEUE_MAX,
	.features = 1ULL << VIRTIO_NET_F_MAC | 1ULL << VIRTIO_NET_F_STATUS |
		    1ULL << VIRTIO_NET_F_CSUM | 1ULL << VIRTIO_NET_F_GUEST_CSUM |
		    1ULL << VIRTIO_NET_F_HOST_TSO4 | 1ULL << VIRTIO_NET_F_HOST_TSO6 |
		    1ULL << VIRTIO_NET_F_HOST_ECN | 1ULL << VIRTIO_NET_F_GUEST_TSO4 |
		    1ULL << VIRTIO_NET_F_GUEST_TSO6 | 1ULL << VIRTIO_NET_F_GUEST_ECN |
		    1ULL << VIRTIO_NET_F_MRG_RXBUF,
	.config_size = VIRTIO_NET_CFG_SIZE,
	.queue_notify = net_queue_notify,
	.fd_ready = net_fd_ready,
	.activate = net_activate,
	.reset = net_reset,
	.drain = net_drain,
	.restore = net_restore,
	.exit = net_exit,
};

int virtio_net__create(struct vm *vm, int fd, const char *name, const uint8_t mac[6],
		       struct virtio_dev **devp)
{
	struct virtio_dev *dev;
	struct net *n;

	n = calloc(1, sizeof(*n));
	if (!n) {
		pr_err("tap %s: out of memory", name);
		close(fd);
		return -VMM_ERR_INTERNAL;
	}
	n->fd = fd;
	snprintf(n->name, sizeof(n->name), "%s", name);
	vq__chain_init(&n->rx_chain, n->rx_elem, VIRTIO_NET_QUEUE_MAX);
	vq__chain_init(&n->rx_more, n->more_elem, VIRTIO_NET_QUEUE_MAX);
	vq__chain_init(&n->tx_chain, n->tx_elem, VIRTIO_NET_QUEUE_MAX);
	dev = virtio__create(vm, &net_ops, n);
	if (!dev) {
		close(fd);
		free(n);
		return -VMM_ERR_INTERNAL;
	}
	memcpy(dev->config + VIRTIO_NET_CFG_MAC, mac, 6);
	dev->config[VIRTIO_NET_CFG_STATUS] = VIRTIO_NET_S_LINK_UP & 0xff;
	dev->config[VIRTIO_NET_CFG_STATUS + 1] = VIRTIO_NET_S_LINK_UP >> 8;
	/* On failure the transport keeps dev, and its exit calls net_exit. */
	if (virtio__start(dev))
		return -VMM_ERR_INTERNAL;
	*devp = dev;
	return 0;
}

/* ---- the tap ---- */

/* Logs why tap name could not be had; returns the error class. */
static int tap_error(const char *name, const char *what, int err, int fd)
{
	const char *hint = "";
	int ret = -VMM_ERR_HOST;

	if (fd >= 0)
		close(fd);
	if (err == ENOENT || err == ENODEV || err == ENXIO)
		hint = " (no tun driver: load the tun module)";
	else if (err == EPERM || err == EACCES)
		hint = " (a new tap needs CAP_NET_ADMIN; an existing one must belong to this user)";
	else if (err == EBUSY)
		hint = " (another process has it open)";
	else if (err == EINVAL) {
		hint = " (a device of that name that is not a tap, or a name the kernel refuses)";
		ret = -VMM_ERR_INPUT;
	}
	pr_err("tap %s: %s: %s%s", name, what, strerror(err), hint);
	return ret;
}

/* Opens (creating it if absent) tap name with a 12-byte vnet header: an fd or a negative VMM_ERR_*. */
static int tap_open(const char *name)
{
	struct ifreq ifr;
	int hdr_len = VIRTIO_NET_HDR_LEN;
	size_t len = name ? strlen(name) : 0;
	int fd;

	if (!len || len >= IFNAMSIZ) {
		pr_err("tap name '%s': must have 1 to %d characters", name ? name : "",
		       IFNAMSIZ - 1);
		return -VMM_ERR_INPUT;
	}
	fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0)
		return tap_error(name, "cannot open /dev/net/tun", errno, -1);
	memset(&ifr, 0, sizeof(ifr));
	memcpy(ifr.ifr_name, name, len);
	ifr.ifr_flags = IFF_TAP | IFF_NO_PI | IFF_VNET_HDR;
	if (ioctl(fd, TUNSETIFF, &ifr) < 0)
		return tap_error(name, "TUNSETIFF", errno, fd);
	if (ioctl(fd, TUNSETVNETHDRSZ, &hdr_len) < 0)
		return tap_error(name, "TUNSETVNETHDRSZ", errno, fd);
	pr_debug("tap %s: open", name);
	return fd;
}

int virtio_net__init(struct vm *vm)
{
	for (unsigned i = 0; i < vm->cfg->nr_nets; i++) {
		const struct net_config *nc = &vm->cfg->nets[i];
		struct virtio_dev *dev;
		int fd, ret;

		fd = tap_open(nc->tap);
		if (fd < 0)
			return fd;
		ret = virtio_net__create(vm, fd, nc->tap, nc->mac, &dev);
		if (ret)
			return ret;
	}
	return 0;
}
