/*
 * The migration link (include/vmm/migrate-net.h): addresses, the shared
 * secret, and the authentication both ends run before the destination
 * reads any of the stream.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "vmm/api.h"
#include "vmm/migrate-net.h"
#include "vmm/util.h"

#define AUTH_MAGIC	"VMMAUTH\0"
#define AUTH_VERSION	1
#define AUTH_NONCE	32
#define AUTH_CHALLENGE	(8 + 4 + 4 + AUTH_NONCE)
#define AUTH_FLAG_SECRET 1		/* the destination requires the secret */
#define AUTH_LABEL	"vmm migrate v1 "	/* what the proof is for, before the nonce */
#define AUTH_TIMEOUT_S	10		/* each side's wait during authentication */

static int parse_port(const char *s, uint16_t *port)
{
	uint64_t v;

	if (!parse_uint(s, 1, 65535, &v))
		return -1;
	*port = (uint16_t)v;
	return 0;
}

static int parse_tcp(const char *hostport, struct mig_addr *a, char *err, size_t errlen)
{
	char host[128];
	const char *colon, *h = hostport;
	size_t hlen;
	uint16_t port;

	if (*h == '[') {		/* [v6]:port */
		colon = strstr(h, "]:");
		if (!colon)
			goto bad;
		h++;
		hlen = (size_t)(colon - h);
		colon++;
	} else {
		colon = strrchr(h, ':');
		if (!colon)
			goto bad;
		hlen = (size_t)(colon - h);
	}
	if (!hlen || hlen >= sizeof(host) || parse_port(colon + 1, &port))
		goto bad;
	memcpy(host, h, hlen);
	host[hlen] = 0;
	if (!strcmp(host, "localhost"))
		strcpy(host, "127.0.0.1");
	memset(&a->sa, 0, sizeof(a->sa));
	if (inet_pton(AF_INET, host, &((struct sockaddr_in *)&a->sa)->sin_addr) == 1) {
		struct sockaddr_in *in = (struct sockaddr_in *)&a->sa;

		in->sin_family = AF_INET;
		in->sin_port = htons(port);
		a->sa_len = sizeof(*in);
	} else if (inet_pton(AF_INET6, host, &((struct sockaddr_in6 *)&a->sa)->sin6_addr) == 1) {
		struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&a->sa;

		in6->sin6_family = AF_INET6;
		in6->sin6_port = htons(port);
		a->sa_len = sizeof(*in6);
	} else {
		set_err(err, errlen, "tcp:%s: the host must be a numeric address (192.0.2.1, "
			"[2001:db8::1]) or localhost", hostport);
		return -VMM_ERR_INPUT;
	}
	a->tcp = true;
	return 0;
bad:
	set_err(err, errlen, "tcp:%s: expected tcp:HOST:PORT, PORT 1 to 65535", hostport);
	return -VMM_ERR_INPUT;
}

int mignet__parse_addr(const char *s, struct mig_addr *a, char *err, size_t errlen)
{
	memset(a, 0, sizeof(*a));
	if (strlen(s) >= sizeof(a->text)) {
		set_err(err, errlen, "%.64s...: address too long", s);
		return -VMM_ERR_INPUT;
	}
	strcpy(a->text, s);
	if (!strncmp(s, "tcp:", 4))
		return parse_tcp(s + 4, a, err, errlen);
	if (!strncmp(s, "unix:", 5) && s[5]) {
		struct sockaddr_un *un = (struct sockaddr_un *)&a->sa;

		if (strlen(s + 5) >= sizeof(un->sun_path)) {
			set_err(err, errlen, "%s: path longer than %zu bytes", s,
				sizeof(un->sun_path) - 1);
			return -VMM_ERR_INPUT;
		}
		un->sun_family = AF_UNIX;
		strcpy(un->sun_path, s + 5);
		a->sa_len = sizeof(*un);
		return 0;
	}
	set_err(err, errlen, "%s: expected unix:PATH or tcp:HOST:PORT", s);
	return -VMM_ERR_INPUT;
}

int mignet__read_secret(const char *path, struct mig_secret *s, char *err, size_t errlen)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY);
	struct stat st;
	ssize_t n;

	memset(s, 0, sizeof(*s));
	if (fd < 0) {
		set_err(err, errlen, "--auth-file %s: %s", path, strerror(errno));
		return -VMM_ERR_INPUT;
	}
	if (fstat(fd, &st) || !S_ISREG(st.st_mode) || st.st_mode & 077) {
		set_err(err, errlen, "--auth-file %s: must be a regular file that only its owner "
			"may read (mode 0600 or 0400)", path);
		close(fd);
		return -VMM_ERR_INPUT;
	}
	n = read(fd, s->key, sizeof(s->key));
	close(fd);
	while (n > 0 && (s->key[n - 1] == '\n' || s->key[n - 1] == '\r'))
		n--;
	if (n < MIG_SECRET_MIN || (size_t)n >= sizeof(s->key)) {
		set_err(err, errlen, "--auth-file %s: the secret must be %d to %d bytes", path,
			MIG_SECRET_MIN, MIG_SECRET_MAX - 1);
		memset(s, 0, sizeof(*s));
		return -VMM_ERR_INPUT;
	}
	s->len = (size_t)n;
	return 0;
}

int mignet__send(int fd, const void *buf, size_t len)
{
	const uint8_t *p = buf;

	while (len) {
		ssize_t n = send(fd, p, len, MSG_NOSIGNAL);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return n < 0 ? -errno : -EPIPE;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

int mignet__recv(int fd, void *buf, size_t len)
{
	uint8_t *p = buf;

	while (len) {
		ssize_t n = recv(fd, p, len, 0);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return n < 0 ? -errno : -EPIPE;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

void mignet_in__init(struct mignet_in *in, int fd, size_t cap)
{
	in->fd = fd;
	in->buf = malloc(cap);
	in->cap = in->buf ? cap : 0;
	in->at = in->len = 0;
}

void mignet_in__free(struct mignet_in *in)
{
	free(in->buf);
	in->buf = NULL;
	in->cap = in->at = in->len = 0;
}

int mignet__read(struct mignet_in *in, void *buf, size_t len)
{
	uint8_t *p = buf;

	while (len) {
		size_t n = in->len - in->at;
		ssize_t got;

		if (n) {
			n = n < len ? n : len;
			memcpy(p, in->buf + in->at, n);
			in->at += n;
			p += n;
			len -= n;
			continue;
		}
		if (len >= in->cap)	/* as big as the buffer: straight in */
			return mignet__recv(in->fd, p, len);
		got = recv(in->fd, in->buf, in->cap, 0);
		if (got < 0 && errno == EINTR)
			continue;
		if (got <= 0)
			return got < 0 ? -errno : -EPIPE;
		in->at = 0;
		in->len = (size_t)got;
	}
	return 0;
}

void mignet__proof(const struct mig_secret *s, const uint8_t *nonce, size_t nonce_len,
		   uint8_t out[SHA256_LEN])
{
	uint8_t msg[sizeof(AUTH_LABEL) - 1 + AUTH_NONCE];
	size_t n = nonce_len < AUTH_NONCE ? nonce_len : AUTH_NONCE;

	memcpy(msg, AUTH_LABEL, sizeof(AUTH_LABEL) - 1);
	memset(msg + sizeof(AUTH_LABEL) - 1, 0, AUTH_NONCE);
	memcpy(msg + sizeof(AUTH_LABEL) - 1, nonce, n);
	hmac_sha256(s->key, s->len, msg, sizeof(msg), out);
}

void mignet__set_timeout(int fd, int seconds)
{
	struct timeval tv = { .tv_sec = seconds };

	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
}

int mignet__listen(const struct mig_addr *a, char *err, size_t errlen)
{
	int fd, one = 1;

	if (!a->tcp) {
		fd = api__listen_as("--listen", ((const struct sockaddr_un *)&a->sa)->sun_path);
		if (fd < 0)
			set_err(err, errlen, "%s: cannot listen there", a->text);
		return fd;
	}
	fd = socket(a->sa.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd >= 0)
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (fd < 0 || bind(fd, (const struct sockaddr *)&a->sa, a->sa_len) ||
	    listen(fd, 4)) {
		set_err(err, errlen, "%s: %s", a->text, strerror(errno));
		if (fd >= 0)
			close(fd);
		return errno == EADDRINUSE || errno == EADDRNOTAVAIL || errno == EACCES ?
		       -VMM_ERR_INPUT : -VMM_ERR_INTERNAL;
	}
	return fd;
}

/* The destination's half: challenge, check the proof, say yes or no. */
static int authenticate_sender(int fd, const struct mig_secret *s, char *err, size_t errlen)
{
	uint8_t ch[AUTH_CHALLENGE], proof[SHA256_LEN], want[SHA256_LEN];
	uint8_t *nonce = ch + 16;
	bool ok;

	memcpy(ch, AUTH_MAGIC, 8);
	put_le(ch + 8, AUTH_VERSION, 4);
	put_le(ch + 12, s->len ? AUTH_FLAG_SECRET : 0, 4);
	if (getrandom(nonce, AUTH_NONCE, 0) != AUTH_NONCE) {
		set_err(err, errlen, "getrandom: %s", strerror(errno));
		return -VMM_ERR_INTERNAL;
	}
	if (mignet__send(fd, ch, sizeof(ch)) || mignet__recv(fd, proof, sizeof(proof))) {
		set_err(err, errlen, "the sender left during authentication");
		return -EAGAIN;
	}
	ok = true;
	if (s->len) {
		mignet__proof(s, nonce, AUTH_NONCE, want);
		ok = ct_equal(proof, want, sizeof(want));
	}
	if (mignet__send(fd, ok ? "AUOK" : "AUNO", 4) || !ok) {
		set_err(err, errlen, "refused a sender: %s", ok ? "it left" :
			"wrong proof of the shared secret (--auth-file)");
		return -EAGAIN;
	}
	return 0;
}

int mignet__accept(int listen_fd, const struct mig_addr *a, const struct mig_secret *s,
		   char *err, size_t errlen)
{
	struct pollfd pfd = { .fd = listen_fd, .events = POLLIN };
	struct ucred cred = { .uid = (uid_t)-1 };
	int fd, ret;

	if (poll(&pfd, 1, -1) < 0 && errno != EINTR) {
		set_err(err, errlen, "poll: %s", strerror(errno));
		return -VMM_ERR_INTERNAL;
	}
	fd = accept4(listen_fd, NULL, NULL, SOCK_CLOEXEC);
	if (fd < 0)
		return -EAGAIN;
	if (!a->tcp && !api__peer_allowed(fd, &cred)) {
		set_err(err, errlen, "refused a sender with uid %u: only root and uid %u may send "
			"a VM here", (unsigned)cred.uid, (unsigned)geteuid());
		close(fd);
		return -EAGAIN;
	}
	mignet__set_timeout(fd, AUTH_TIMEOUT_S);
	ret = authenticate_sender(fd, s, err, errlen);
	if (ret) {
		close(fd);
		return ret;
	}
	mignet__set_timeout(fd, 0);
	return fd;
}

/* The sender's half: answer the challenge, read the verdict. */
static int prove(int fd, const struct mig_addr *a, const struct mig_secret *s, char *err,
		 size_t errlen)
{
	uint8_t ch[AUTH_CHALLENGE], proof[SHA256_LEN] = { 0 }, verdict[4];
	uint32_t flags;

	if (mignet__recv(fd, ch, sizeof(ch)) || memcmp(ch, AUTH_MAGIC, 8) ||
	    get_le(ch + 8, 4) != AUTH_VERSION) {
		set_err(err, errlen, "%s: no vmm receive there (no challenge)", a->text);
		return -VMM_ERR_INTERNAL;
	}
	flags = (uint32_t)get_le(ch + 12, 4);
	if (flags & AUTH_FLAG_SECRET) {
		if (!s->len) {
			set_err(err, errlen, "%s: the destination requires the shared secret: "
				"give --auth-file", a->text);
			return -VMM_ERR_INPUT;
		}
		mignet__proof(s, ch + 16, AUTH_NONCE, proof);
	}
	if (mignet__send(fd, proof, sizeof(proof)) || mignet__recv(fd, verdict, 4) ||
	    memcmp(verdict, "AUOK", 4)) {
		set_err(err, errlen, "%s: the destination refused this sender (wrong --auth-file, "
			"or a uid it does not serve)", a->text);
		return -VMM_ERR_INPUT;
	}
	return 0;
}

int mignet__connect(const struct mig_addr *a, const struct mig_secret *s, char *err,
		    size_t errlen)
{
	int fd = socket(a->sa.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0), one = 1, ret;

	if (fd < 0 || connect(fd, (const struct sockaddr *)&a->sa, a->sa_len)) {
		set_err(err, errlen, "%s: cannot connect: %s", a->text, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -VMM_ERR_INTERNAL;
	}
	if (a->tcp)
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	mignet__set_timeout(fd, AUTH_TIMEOUT_S);
	ret = prove(fd, a, s, err, errlen);
	if (ret) {
		close(fd);
		return ret;
	}
	mignet__set_timeout(fd, 0);
	return fd;
}
