/*
 * virtio-net over a host tap (virtio 1.x, "Network Device"): queue 0
 * receives, queue 1 transmits. Features: MAC and STATUS (link always up);
 * no offloads, no mergeable receive buffers, no control queue. See
 * docs/virtio.md.
 *
 * The tap carries the guest's own 12-byte header (struct virtio_net_hdr_v1)
 * in front of every frame (IFF_VNET_HDR, TUNSETVNETHDRSZ 12), so a chain
 * goes to the tap, and a frame from the tap into a chain, without a copy.
 * Everything is synchronous on the device's I/O thread; the tap is
 * non-blocking.
 *
 * Receive: the tap fd is watched while the guest has receive buffers. A
 * chain is popped, then the tap is read into it; when the tap turns out to
 * be empty, the chain is held for the next frame. With no buffer left, the
 * tap is no longer watched until the driver kicks queue 0 (frames wait in
 * the tap's queue, which drops them when full, as a NIC would).
 *
 * A frame that does not fit its chain is read (so the tap moves on) and
 * dropped, and the chain goes back with length 0, which a driver takes as
 * an empty buffer (Linux counts an rx length error and reuses it). A chain
 * smaller than VIRTIO_NET_RX_MIN goes back with length 0 without reading.
 * A held chain goes back the same way at drain (before a snapshot) unless
 * a frame has come. If reading the tap fails for good (it was deleted),
 * receiving stops.
 *
 * Transmit: each chain is written to the tap whole, header included; a
 * frame the tap refuses (EAGAIN, EIO, EINVAL) is dropped, never retried.
 *
 * Neither queue suppresses the driver's notifications: virtio__pop() asks
 * for one whenever it finds a queue empty, so the device hears of the next
 * buffer (which is what resumes receiving after it ran out).
 *
 * The guest is untrusted: its buffers are reached only through the host
 * pointers of popped chain elements, and the frames it sends are the tap's
 * to check (the host kernel checks a vnet header from any tap user; with
 * no offload negotiated, a conforming driver's header is all zeros).
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

struct net {
	int fd;				/* the tap */
	char name[IFNAMSIZ];
	bool watching;			/* fd is watched for EPOLLIN */
	bool rx_held;			/* rx_chain is popped and waits for a frame */
	bool rx_dead;			/* reading the tap failed: no more receiving */
	struct vq_chain rx_chain, tx_chain;
	struct vq_elem rx_elem[VIRTIO_NET_QUEUE_MAX];
	struct vq_elem tx_elem[VIRTIO_NET_QUEUE_MAX];
	/* One more than a chain: a spare byte after a receive chain shows truncation. */
	struct iovec iov[VIRTIO_NET_QUEUE_MAX + 1];
	uint64_t rx_dropped, tx_dropped;
};

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

/* ---- transmit ---- */

/* One chain to the tap; a frame the tap refuses is dropped. */
static void tx_frame(struct net *n, const struct vq_chain *c)
{
	ssize_t ret;
	int cnt;

	/* Not a frame: no header, or longer than any tap takes. */
	if (c->out_len < VIRTIO_NET_HDR_LEN ||
	    c->out_len > VIRTIO_NET_HDR_LEN + VIRTIO_NET_FRAME_MAX) {
		n->tx_dropped++;
		pr_debug("%s: dropped a %u-byte transmit chain", n->name, c->out_len);
		return;
	}
	cnt = (int)vq__elems_iov(c->elem, c->nr, 0, UINT64_MAX, n->iov);
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
		tx_frame(n, &n->tx_chain);
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

/* A frame of len bytes (header included) is in the chain: hand it over. */
static void rx_deliver(struct virtio_dev *dev, struct net *n, size_t len)
{
	uint8_t one_buffer[2] = { 1, 0 };	/* le16 1 */
	struct vq_chain *c = &n->rx_chain;

	if (len > c->in_len || len < VIRTIO_NET_HDR_LEN) {
		/* Truncated (the spare byte got data), or not even a header. */
		n->rx_dropped++;
		pr_debug("%s: dropped a received frame of %zu bytes for a %u-byte chain",
			 n->name, len, c->in_len);
		rx_return(dev, n, 0);
		return;
	}
	vq__elems_copy(c->elem, c->nr, VIRTIO_NET_HDR_NUM_BUFFERS, one_buffer,
		       sizeof(one_buffer), true);
	rx_return(dev, n, (uint32_t)len);
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
 * Reads one frame into the held chain. Returns 1 when the chain went back
 * to the driver, 0 when the tap had no frame (the chain stays held), or
 * -EIO when the tap is dead.
 */
static int rx_frame(struct virtio_dev *dev, struct net *n)
{
	struct vq_chain *c = &n->rx_chain;
	uint8_t spare;
	ssize_t len;
	int cnt;

	if (n->rx_dead)
		return -EIO;
	if (c->in_len < VIRTIO_NET_RX_MIN) {
		n->rx_dropped++;
		rx_return(dev, n, 0);
		return 1;
	}
	cnt = (int)vq__elems_iov(c->elem, c->nr, 0, UINT64_MAX, n->iov);
	n->iov[cnt].iov_base = &spare;
	n->iov[cnt].iov_len = 1;
	do
		len = readv(n->fd, n->iov, cnt + 1);
	while (len < 0 && errno == EINTR);
	if (len < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
		return 0;
	if (len <= 0) {
		rx_stop(dev, n, len ? strerror(errno) : "end of file");
		return -EIO;
	}
	rx_deliver(dev, n, (size_t)len);
	return 1;
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
			if (virtio__pop(dev, VIRTIO_NET_RXQ, &n->rx_chain, VQ_IN) != 1) {
				/* No buffer, no live queue, or a broken one. */
				set_watch(dev, n, false);
				break;
			}
			n->rx_held = true;
		}
		ret = rx_frame(dev, n);
		if (ret <= 0)
			break;
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
 * DRIVER_OK, on a vcpu thread: only watch the tap. The I/O thread does the
 * rest (the transport has it look at every queue after activate).
 */
static void net_activate(struct virtio_dev *dev)
{
	set_watch(dev, dev->priv, true);
}

/*
 * Nothing is in flight but a held receive chain, which the reset forgets.
 * The tap is not watched until the driver is back (activate, or a kick).
 */
static void net_reset(struct virtio_dev *dev)
{
	struct net *n = dev->priv;

	n->rx_held = false;
	set_watch(dev, n, false);
}

/*
 * Before a snapshot: a held receive chain would be lost to a restored VM,
 * so it gets a frame if the tap has one, or goes back empty (length 0).
 */
static void net_drain(struct virtio_dev *dev)
{
	struct net *n = dev->priv;

	if (!n->rx_held)
		return;
	if (rx_frame(dev, n) != 1)
		rx_return(dev, n, 0);
	virtio__notify(dev, VIRTIO_NET_RXQ);
}

static void net_exit(struct virtio_dev *dev)
{
	struct net *n = dev->priv;

	if (n->rx_dropped || n->tx_dropped)
		pr_debug("%s: %llu received and %llu sent frames dropped", n->name,
			 (unsigned long long)n->rx_dropped, (unsigned long long)n->tx_dropped);
	close(n->fd);
	free(n);
}

static const struct virtio_dev_ops net_ops = {
	.name = "virtio-net",
	.device_id = VIRTIO_ID_NET,
	.nr_queues = 2,
	.queue_max = VIRTIO_NET_QUEUE_MAX,
	.features = 1ULL << VIRTIO_NET_F_MAC | 1ULL << VIRTIO_NET_F_STATUS,
	.config_size = VIRTIO_NET_CFG_SIZE,
	.queue_notify = net_queue_notify,
	.fd_ready = net_fd_ready,
	.activate = net_activate,
	.reset = net_reset,
	.drain = net_drain,
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
