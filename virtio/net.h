#ifndef VMM_VIRTIO_NET_H
#define VMM_VIRTIO_NET_H

/*
 * virtio-net internals that its unit test (tests/unit/test_virtio_net.c)
 * needs: the device over any fd that carries whole frames, so the receive
 * and transmit paths can be tested over a socketpair instead of a tap,
 * which needs privileges.
 */
#include <stdint.h>

#include "vmm/util.h"

struct vm;
struct virtio_dev;

/* Feature bits (as bit numbers) and config space (virtio 1.x, "Network Device") */
#define VIRTIO_NET_F_MAC		5
#define VIRTIO_NET_F_STATUS		16
#define VIRTIO_NET_S_LINK_UP		1
#define VIRTIO_NET_CFG_MAC		0	/* u8 mac[6] */
#define VIRTIO_NET_CFG_STATUS		6	/* le16 status */
#define VIRTIO_NET_CFG_SIZE		8

#define VIRTIO_NET_RXQ			0
#define VIRTIO_NET_TXQ			1
#define VIRTIO_NET_QUEUE_MAX		256

/*
 * struct virtio_net_hdr_v1 in front of every frame, in both directions:
 * flags, gso_type, hdr_len, gso_size, csum_start, csum_offset, num_buffers.
 * The tap takes and gives the same 12 bytes (TUNSETVNETHDRSZ), but leaves
 * num_buffers unwritten on receive.
 */
#define VIRTIO_NET_HDR_LEN		12
#define VIRTIO_NET_HDR_NUM_BUFFERS	10	/* offset of le16 num_buffers */

/*
 * The smallest receive chain that is used: a header and an Ethernet header.
 * A smaller one goes back to the driver at once with length 0, and no frame
 * is read for it.
 */
#define VIRTIO_NET_RX_MIN		(VIRTIO_NET_HDR_LEN + 14)
/* The longest frame after the header: a 65535-byte MTU and a VLAN header. */
#define VIRTIO_NET_FRAME_MAX		(65535 + 18)

/*
 * Creates and starts a virtio-net device over fd: a non-blocking tap with
 * a 12-byte vnet header or, in tests, anything that reads and writes whole
 * frames (a non-blocking SOCK_SEQPACKET socket). The device owns fd from
 * the call on, even when it fails. name (the tap's) is for messages.
 * Returns 0 and the device in *devp, or a negative VMM_ERR_* (logged).
 */
int virtio_net__create(struct vm *vm, int fd, const char *name, const uint8_t mac[6],
		       struct virtio_dev **devp) __must_check;

#endif
