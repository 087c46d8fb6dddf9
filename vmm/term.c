#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "vmm/term.h"

#define ESCAPE_KEY	0x01	/* Ctrl-A */

static struct termios saved;
static bool raw_mode;
static bool escape_pending;
static pthread_mutex_t out_lock = PTHREAD_MUTEX_INITIALIZER;

void term__restore(void)
{
	if (raw_mode) {
		tcsetattr(STDIN_FILENO, TCSANOW, &saved);
		raw_mode = false;
	}
}

void term__setup(void)
{
	struct termios raw;

	if (!isatty(STDIN_FILENO) || tcgetattr(STDIN_FILENO, &saved) < 0)
		return;
	raw = saved;
	cfmakeraw(&raw);
	/* Keep output post-processing so our own messages end lines properly. */
	raw.c_oflag |= OPOST;
	if (tcsetattr(STDIN_FILENO, TCSANOW, &raw) == 0) {
		raw_mode = true;
		atexit(term__restore);
	}
}

void term__write(const void *buf, size_t len)
{
	const uint8_t *p = buf;

	pthread_mutex_lock(&out_lock);
	while (len) {
		ssize_t n = write(STDOUT_FILENO, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;	/* stdout is gone: drop console output */
		p += n;
		len -= n;
	}
	pthread_mutex_unlock(&out_lock);
}

size_t term__filter(uint8_t *buf, size_t len, bool *quit)
{
	size_t out = 0;

	*quit = false;
	if (!raw_mode)
		return len;
	for (size_t i = 0; i < len; i++) {
		uint8_t c = buf[i];

		if (escape_pending) {
			escape_pending = false;
			if (c == 'x' || c == 'X') {
				*quit = true;
				return out;
			}
			if (c != ESCAPE_KEY)
				buf[out++] = ESCAPE_KEY;	/* not an escape: pass both */
			buf[out++] = c;
		} else if (c == ESCAPE_KEY) {
			escape_pending = true;
		} else {
			buf[out++] = c;
		}
	}
	return out;
}
