/*
 * virtio console (--console virtio): the guest's hvc0, one port, no
 * multiport or size features. What the guest writes on the transmit queue
 * goes to the console ring (term__write: it keeps each buffer whole
 * against the PL011's output and never waits on stdout, so the device
 * lock held here is never held across a write to stdout; what does not
 * fit is dropped); what is typed (run.c) is kept in a small buffer and
 * handed to the guest on the receive queue when it has buffers there.
 */
#include <string.h>

#include "vmm/config.h"
#include "vmm/term.h"
#include "vmm/virtio.h"
#include "vmm/vm.h"
#include "internal.h"

#define CONSOLE_QUEUE_SIZE	64
#define RX_QUEUE		0
#define TX_QUEUE		1
#define INPUT_MAX		4096	/* typed bytes the guest has not taken yet */

static struct console {
	struct virtio_dev *dev;
	uint8_t input[INPUT_MAX];
	size_t input_len;
} con;

static void transmit(struct virtio_dev *dev)
{
	struct vq_elem elem[CONSOLE_QUEUE_SIZE];
	struct vq_chain c;
	bool pushed = false;

	vq__chain_init(&c, elem, CONSOLE_QUEUE_SIZE);
	while (virtio__pop(dev, TX_QUEUE, &c, VQ_OUT) == 1) {
		for (uint32_t i = 0; i < c.nr; i++)
			term__write(elem[i].host, elem[i].len);
		virtio__push(dev, TX_QUEUE, c.head, 0);
		pushed = true;
	}
	if (pushed)
		virtio__notify(dev, TX_QUEUE);
}

/* Copies pending input into receive buffers while both last. */
static void receive(struct virtio_dev *dev)
{
	struct vq_elem elem[CONSOLE_QUEUE_SIZE];
	struct vq_chain c;
	bool pushed = false;

	vq__chain_init(&c, elem, CONSOLE_QUEUE_SIZE);
	while (con.input_len > 0 && virtio__pop(dev, RX_QUEUE, &c, VQ_IN) == 1) {
		uint32_t done = 0;

		for (uint32_t i = 0; i < c.nr && con.input_len > 0; i++) {
			uint32_t n = elem[i].len < con.input_len ? elem[i].len :
				     (uint32_t)con.input_len;

			memcpy(elem[i].host, con.input, n);
			memmove(con.input, con.input + n, con.input_len - n);
			con.input_len -= n;
			done += n;
		}
		virtio__push(dev, RX_QUEUE, c.head, done);
		pushed = true;
	}
	if (pushed)
		virtio__notify(dev, RX_QUEUE);
}

static void console_queue_notify(struct virtio_dev *dev, unsigned q)
{
	if (q == TX_QUEUE)
		transmit(dev);
	else
		receive(dev);
}

/* A reset driver does not get what was typed for the one before. */
static void console_reset(struct virtio_dev *dev)
{
	con.input_len = 0;
}

void virtio_console__input(const uint8_t *buf, size_t len)
{
	struct virtio_dev *dev = con.dev;
	size_t room;

	if (!dev)
		return;
	pthread_mutex_lock(&dev->lock);
	room = INPUT_MAX - con.input_len;
	if (len > room)
		len = room;	/* typed faster than the guest reads: the rest is lost */
	memcpy(con.input + con.input_len, buf, len);
	con.input_len += len;
	virtio__kick(dev, RX_QUEUE);
	pthread_mutex_unlock(&dev->lock);
}

static void console_exit(struct virtio_dev *dev)
{
	con.dev = NULL;
}

static const struct virtio_dev_ops console_ops = {
	.name = "virtio-console",
	.device_id = VIRTIO_ID_CONSOLE,
	.nr_queues = 2,
	.queue_max = CONSOLE_QUEUE_SIZE,
	.queue_notify = console_queue_notify,
	.reset = console_reset,
	.exit = console_exit,
};

int virtio_console__init(struct vm *vm)
{
	con.dev = virtio__create(vm, &console_ops, &con);
	if (!con.dev)
		return -VMM_ERR_INTERNAL;
	return virtio__start(con.dev);
}
