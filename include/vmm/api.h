#ifndef VMM_API_H
#define VMM_API_H

/*
 * The control socket (docs/api.md): a UNIX stream socket. A client sends
 * one request line and reads one reply line:
 *   pause | resume | stop | snapshot DIR | snapshot-stop DIR | status
 *   | snapshot-base N BASE DIR | snapshot-base-stop N BASE DIR (N: BASE's bytes)
 *   -> "ok[ text]" or "error STATUS text" (STATUS as vmm's exit statuses)
 * The server runs on its own thread (api__start), so a slow or hostile
 * client never holds up the VM; docs/security.md says what it defends.
 */
#include <stdbool.h>
#include <stddef.h>

#include "vmm/compiler.h"

struct vm;
struct sockaddr_un;
struct ucred;

#define API_LINE_MAX	4096	/* a request line, its newline included */

/* How long a client may take to send its whole request line (ms). */
extern int api_request_deadline_ms;

/* vmm/api-server.c, the server */
/*
 * Listens on path with mode 0600 (a stale socket file is replaced).
 * Returns the fd or -status.
 */
int api__listen(const char *path);
/* The same, naming the option what in messages (vmm receive's --listen). */
int api__listen_as(const char *what, const char *path);
/* The peer of a connected UNIX socket is root or vmm's own uid (its credentials in cred). */
bool api__peer_allowed(int fd, struct ucred *cred);
/* Serves the listening fd from a new thread; nothing to do for fd -1. 0 or -status. */
int api__start(struct vm *vm, int listen_fd) __must_check;
/* Ends the thread once its running request is done, closes, removes path. */
void api__close(int listen_fd, const char *path);

enum api_frame {
	API_FRAME_MORE,		/* no newline yet, room for more */
	API_FRAME_LINE,		/* a whole line: its newline is now a NUL */
	API_FRAME_TOO_LONG,	/* size bytes and no newline: refused, never cut */
	API_FRAME_BAD,		/* a NUL byte inside the line */
};
/* Looks at the len bytes of buf received so far (size at most). */
enum api_frame api__frame(char *buf, size_t len, size_t size);

/*
 * Splits a "snapshot-base[-stop] N BASE DIR" request in place (BASE is the
 * N bytes after N's space, so that it may hold spaces): 0, or -1 when
 * malformed.
 */
int api__parse_snapshot_base(char *req, const char **base, const char **dir, bool *stop)
	__must_check;

/* addr for path; -VMM_ERR_INPUT, said on stderr, when the path is too long. */
int api__make_addr(const char *path, struct sockaddr_un *addr) __must_check;

/* vmm/api.c, the clients */
/* Sends request, prints the reply's text; returns vmm's exit status. */
int api__request(const char *path, const char *request);

/*
 * vmm/api-progress.c: bytes of memory a running snapshot into the
 * absolute dir has written so far; -1 if unknown.
 */
long long api__snapshot_progress(const char *dir);

#endif
