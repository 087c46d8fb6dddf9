#ifndef VMM_MIGRATE_NET_H
#define VMM_MIGRATE_NET_H

/*
 * The migration link (docs/migration.md): ADDR is unix:PATH or
 * tcp:HOST:PORT (HOST numeric: 192.0.2.1 or [2001:db8::1]). Before the
 * destination reads anything of a VM it authenticates the sender:
 *   - unix: the peer's uid (SO_PEERCRED) must be root or the destination's
 *     own, as on the control socket;
 *   - tcp: a shared secret (--auth-file on both sides, required): the
 *     destination sends a random nonce, the sender answers with
 *     HMAC-SHA256(secret, label + nonce), compared in constant time.
 * The link itself is not encrypted.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "vmm/compiler.h"
#include "vmm/sha256.h"

#define MIG_SECRET_MIN	16
#define MIG_SECRET_MAX	4096

struct mig_addr {
	bool tcp;
	struct sockaddr_storage sa;
	socklen_t sa_len;
	char text[256];		/* as given, for messages */
};

struct mig_secret {
	size_t len;		/* 0: none */
	uint8_t key[MIG_SECRET_MAX];
};

/* Parses ADDR; -2 with why in err. */
int mignet__parse_addr(const char *s, struct mig_addr *a, char *err, size_t errlen)
	__must_check;
/*
 * Reads an --auth-file: a regular file that no other user may read or
 * write, of MIG_SECRET_MIN to MIG_SECRET_MAX bytes (a trailing newline is
 * not part of the secret). -2 with why in err.
 */
int mignet__read_secret(const char *path, struct mig_secret *s, char *err, size_t errlen)
	__must_check;

/* Listens on a (a unix socket file: mode 0600, a stale one replaced). fd or -status. */
int mignet__listen(const struct mig_addr *a, char *err, size_t errlen);
/*
 * Accepts one sender and authenticates it (refusing it on the link with a
 * reason). Returns the connected fd, -EAGAIN when this sender was refused
 * (wait for the next), or -status.
 */
int mignet__accept(int listen_fd, const struct mig_addr *a, const struct mig_secret *s,
		   char *err, size_t errlen);
/* Connects to a and proves the secret (s->len may be 0 over unix). fd or -status. */
int mignet__connect(const struct mig_addr *a, const struct mig_secret *s, char *err,
		    size_t errlen);

/* The proof for nonce (SHA256_LEN bytes); exposed for the unit tests. */
void mignet__proof(const struct mig_secret *s, const uint8_t *nonce, size_t nonce_len,
		   uint8_t out[SHA256_LEN]);

/*
 * A send or a receive on fd that moves no byte for seconds fails with
 * -EAGAIN (0: waits for ever).
 */
void mignet__set_timeout(int fd, int seconds);

/* Whole buffers over a socket: 0 or -errno (-EPIPE when the peer closed). */
int mignet__send(int fd, const void *buf, size_t len) __must_check;
int mignet__recv(int fd, void *buf, size_t len) __must_check;

/*
 * A receiving end that reads the socket in large pieces and hands them out
 * as asked: a stream of small sections then costs a few recv calls (and
 * wake-ups) per batch instead of two per section.
 */
struct mignet_in {
	int fd;
	uint8_t *buf;		/* NULL: unbuffered (out of memory) */
	size_t cap, at, len;	/* buf[at, len) is read and not handed out */
};

void mignet_in__init(struct mignet_in *in, int fd, size_t cap);
void mignet_in__free(struct mignet_in *in);
/* Exactly len bytes: 0 or -errno (-EPIPE when the peer closed). */
int mignet__read(struct mignet_in *in, void *buf, size_t len) __must_check;

#endif
