#ifndef VMM_API_H
#define VMM_API_H

/*
 * The control socket (docs/api.md): a UNIX stream socket. A client sends
 * one request line and reads one reply line:
 *   pause | resume | stop | snapshot DIR | snapshot-stop DIR | status
 *   -> "ok[ text]" or "error STATUS text" (STATUS as vmm's exit statuses)
 */
#include <stddef.h>

struct vm;

/* Listens on path (a stale socket file is replaced). Returns the fd or -status. */
int api__listen(const char *path);
/* Serves one connection on the listening fd: reads a request, runs it, replies. */
void api__serve(struct vm *vm, int listen_fd);
void api__close(int listen_fd, const char *path);

/* Client: sends request, prints the reply's text; returns vmm's exit status. */
int api__request(const char *path, const char *request);

#endif
