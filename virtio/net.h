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
#define VIRTIO_NET_F_CSUM		0	/* the driver sends partial checksums */
#define VIRTIO_NET_F_GUEST_CSUM		1	/* ... and takes them */
#define VIRTIO_NET_F_MAC		5
#define VIRTIO_NET_F_GUEST_TSO4		7	/* the driver takes TCP segments to cut */
#define VIRTIO_NET_F_GUEST_TSO6		8
#define VIRTIO_NET_F_GUEST_ECN		9
#define VIRTIO_NET_F_HOST_TSO4		11	/* the driver sends them */
#define VIRTIO_NET_F_HOST_TSO6		12
#define VIRTIO_NET_F_HOST_ECN		13
#define VIRTIO_NET_F_MRG_RXBUF		15	/* a frame may span receive chains */
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
#define VIRTIO_NET_HDR_FLAGS		0	/* u8 */
#define VIRTIO_NET_HDR_GSO_TYPE		1	/* u8 */
#define VIRTIO_NET_HDR_HDR_LEN		2	/* le16 */
#define VIRTIO_NET_HDR_GSO_SIZE		4	/* le16 */
#define VIRTIO_NET_HDR_CSUM_START	6	/* le16 */
#define VIRTIO_NET_HDR_CSUM_OFFSET	8	/* le16 */
#define VIRTIO_NET_HDR_NUM_BUFFERS	10	/* le16 */
#define VIRTIO_NET_HDR_F_NEEDS_CSUM	1
#define VIRTIO_NET_HDR_GSO_NONE		0
#define VIRTIO_NET_HDR_GSO_TCPV4	1
#define VIRTIO_NET_HDR_GSO_TCPV6	4
#define VIRTIO_NET_HDR_GSO_ECN		0x80

/*
 * The smallest receive chain that is used: a header and an Ethernet header.
 * A smaller one goes back to the driver at once with length 0, and no frame
 * is read for it.
 */
#define VIRTIO_NET_RX_MIN		(VIRTIO_NET_HDR_LEN + 14)
/* The longest frame after the header: a 65535-byte MTU and a VLAN header. */
#define VIRTIO_NET_FRAME_MAX		(65535 + 18)

/*
 * Why the guest's header hdr cannot go to the tap in front of a frame of
 * frame_len bytes, under the negotiated features; NULL when it can. Only
 * what was negotiated is allowed: NEEDS_CSUM with CSUM, a checksum field
 * inside the frame; TCPV4/TCPV6 segmentation (with ECN) with HOST_TSO4/6
 * (and HOST_ECN), NEEDS_CSUM, a non-zero gso_size and hdr_len within the
 * frame; no other flag or type.
 */
const char *virtio_net__check_hdr(const uint8_t hdr[VIRTIO_NET_HDR_LEN], uint32_t frame_len,
				  uint64_t features);
/*
 * The TUN_F_* offloads the tap may hand over under the negotiated features:
 * partial checksums with GUEST_CSUM, TSO4/TSO6/ECN segments with GUEST_TSO4/
 * TSO6/ECN (and GUEST_CSUM, which they need).
 */
unsigned virtio_net__tap_offloads(uint64_t features);

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
