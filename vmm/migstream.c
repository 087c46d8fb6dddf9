/*
 * The live-migration stream (include/vmm/migstream.h): its reader, which
 * treats every byte as untrusted (every length is bounded before it is
 * used, every section's CRCs checked, every failure one line), and the
 * destination's side of the protocol, which turns the sections into a
 * snapshot state file for the restore code and pages into guest RAM.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vmm/migstream.h"
#include "vmm/snapshot.h"
#include "vmm/util.h"

#define MIG_MAGIC	"VMMMIGR\0"
#define MIG_ARCH	"ARM64\0\0\0"
#define MIG_STATE_MAX	(256 * SZ_1M)	/* a batch of state sections, as a state file */

static int __printf(3, 4) bad(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;
	int n = snprintf(err, errlen, "stream: ");

	if (n >= 0 && (size_t)n < errlen) {
		va_start(ap, fmt);
		vsnprintf(err + n, errlen - n, fmt, ap);
		va_end(ap);
	}
	return -VMM_ERR_INPUT;
}

void mig_reader__init(struct mig_reader *r, mig_read_fn read, void *ctx)
{
	memset(r, 0, sizeof(*r));
	r->read = read;
	r->ctx = ctx;
}

void mig_reader__free(struct mig_reader *r)
{
	free(r->buf);
	r->buf = NULL;
	r->cap = 0;
}

static int take(struct mig_reader *r, void *buf, size_t n)
{
	if (n && r->read(r->ctx, buf, n))
		return -1;
	r->bytes += n;
	return 0;
}

void mig__stream_header(uint8_t *out)
{
	memcpy(out, MIG_MAGIC, 8);
	memcpy(out + 8, MIG_ARCH, 8);
	put_le(out + 16, MIG_FORMAT_MAJOR, 4);
	put_le(out + 20, MIG_FORMAT_MINOR, 4);
	put_le(out + 24, 0, 4);		/* flags: none yet */
	put_le(out + 28, snap__crc(out, SNAP_HEADER_SIZE - 4), 4);
}

int mig__read_header(struct mig_reader *r, char *err, size_t errlen)
{
	uint8_t h[SNAP_HEADER_SIZE];
	uint32_t major;

	if (take(r, h, sizeof(h)))
		return bad(err, errlen, "truncated: it ends in its header");
	if (memcmp(h, MIG_MAGIC, 8))
		return bad(err, errlen, "not a vmm migration stream (bad magic)");
	if (memcmp(h + 8, MIG_ARCH, 8))
		return bad(err, errlen, "a VM of another architecture; this vmm is ARM64");
	if (snap__crc(h, sizeof(h) - 4) != (uint32_t)get_le(h + 28, 4))
		return bad(err, errlen, "header CRC mismatch");
	major = (uint32_t)get_le(h + 16, 4);
	if (major != MIG_FORMAT_MAJOR)
		return bad(err, errlen, "format %" PRIu32 ".%" PRIu32 ", this vmm reads %u.x", major,
			   (uint32_t)get_le(h + 20, 4), MIG_FORMAT_MAJOR);
	return 0;
}

static bool all_zero(const uint8_t *p, size_t n)
{
	while (n--)
		if (*p++)
			return false;
	return true;
}

static int grow(struct mig_reader *r, size_t need)
{
	uint8_t *p;

	if (need <= r->cap)
		return 0;
	p = realloc(r->buf, need);
	if (!p)
		return -1;
	r->buf = p;
	r->cap = need;
	return 0;
}

int mig__read_section(struct mig_reader *r, struct mig_section *s, char *err, size_t errlen)
{
	struct snap_section h;
	uint64_t len, at = r->bytes;
	uint32_t pcrc;
	size_t total;

	if (grow(r, SNAP_SEC_HEADER_SIZE))
		return -VMM_ERR_INTERNAL;
	if (take(r, r->buf, SNAP_SEC_HEADER_SIZE))
		return bad(err, errlen, "truncated at byte %" PRIu64 ": the source stopped sending",
			   at);
	if (!snap__read_section_header(r->buf, &h, &len, &pcrc))
		return bad(err, errlen, "section header at byte %" PRIu64 ": CRC mismatch", at);
	if (len > MIG_SECTION_MAX)
		return bad(err, errlen, "section %s at byte %" PRIu64 ": %" PRIu64 " bytes, more "
			   "than the limit of %llu", snap__section_name(h.id), at, len,
			   MIG_SECTION_MAX);
	total = SNAP_SEC_HEADER_SIZE + (size_t)len + snap__pad_len(len);
	if (grow(r, total))
		return -VMM_ERR_INTERNAL;
	if (take(r, r->buf + SNAP_SEC_HEADER_SIZE, total - SNAP_SEC_HEADER_SIZE))
		return bad(err, errlen, "truncated in the section at byte %" PRIu64, at);
	if (snap__crc(r->buf + SNAP_SEC_HEADER_SIZE, len) != pcrc)
		return bad(err, errlen, "section id %" PRIu32 " at byte %" PRIu64
			   ": payload CRC mismatch", h.id, at);
	if (!all_zero(r->buf + SNAP_SEC_HEADER_SIZE + len, snap__pad_len(len)))
		return bad(err, errlen, "section id %" PRIu32 " at byte %" PRIu64
			   ": the padding is not zero", h.id, at);
	*s = (struct mig_section){
		.id = h.id, .instance = h.instance, .version = h.version,
		.data = r->buf + SNAP_SEC_HEADER_SIZE, .len = (size_t)len,
		.raw = r->buf, .raw_len = total,
	};
	return 0;
}

void mig__put_section(struct pbuf *b, uint32_t id, uint32_t instance, uint32_t version,
		      const void *data, size_t len)
{
	static const uint8_t zeros[8];
	uint8_t h[SNAP_SEC_HEADER_SIZE];

	snap__section_header(h, id, instance, version, data, len);
	pbuf__put_bytes(b, h, sizeof(h));
	pbuf__put_bytes(b, data, len);
	pbuf__put_bytes(b, zeros, snap__pad_len(len));
}

bool mig__parse_reply(const struct mig_section *s, int *status, char *text, size_t len)
{
	struct preader p;

	if (s->id != MIG_SEC_REPLY)
		return false;
	preader__init(&p, s->data, s->len);
	*status = (int)preader__get_u32(&p);
	return preader__get_str(&p, text, len) && preader__done(&p) && *status >= 0 &&
	       *status < 256;
}

/* ---- the destination ---- */

void mig_dest__init(struct mig_dest *d)
{
	memset(d, 0, sizeof(*d));
	pbuf__init(&d->state);
}

void mig_dest__free(struct mig_dest *d)
{
	pbuf__free(&d->state);
}

void mig_dest__set_ram(struct mig_dest *d, uint8_t *ram, uint64_t base, uint64_t size)
{
	d->ram = ram;
	d->ram_base = base;
	d->ram_size = size;
	d->checked = true;
}

/* A run of whole pages at a page-aligned gpa inside RAM. */
static int take_pages(struct mig_dest *d, const struct mig_section *s, char *err, size_t errlen)
{
	uint64_t gpa, bytes;

	if (!d->checked)
		return bad(err, errlen, "pages before the destination's check");
	if (s->len < 8 || (s->len - 8) % MIG_PAGE || s->len - 8 > MIG_PAGES_MAX * MIG_PAGE ||
	    s->len == 8)
		return bad(err, errlen, "a pages section of %zu bytes (8 + 1 to %u whole pages)",
			   s->len, MIG_PAGES_MAX);
	gpa = get_le(s->data, 8);
	bytes = s->len - 8;
	if (gpa % MIG_PAGE || gpa < d->ram_base || gpa - d->ram_base > d->ram_size ||
	    bytes > d->ram_size - (gpa - d->ram_base))
		return bad(err, errlen, "pages at 0x%" PRIx64 "-0x%" PRIx64 ", outside guest RAM "
			   "0x%" PRIx64 "-0x%" PRIx64, gpa, gpa + bytes, d->ram_base,
			   d->ram_base + d->ram_size);
	memcpy(d->ram + (gpa - d->ram_base), s->data + 8, bytes);
	d->pages += bytes / MIG_PAGE;
	return MIG_EV_NONE;
}

static int take_state(struct mig_dest *d, const struct mig_section *s, char *err, size_t errlen)
{
	if (!d->state.len)
		pbuf__put_bytes(&d->state, (uint8_t[SNAP_HEADER_SIZE]){ 0 }, SNAP_HEADER_SIZE);
	if (d->state.len + s->raw_len > MIG_STATE_MAX)
		return bad(err, errlen, "more than %llu MiB of state sections", MIG_STATE_MAX / SZ_1M);
	pbuf__put_bytes(&d->state, s->raw, s->raw_len);
	if (d->state.failed)
		return -VMM_ERR_INTERNAL;
	d->nr_state++;
	return MIG_EV_NONE;
}

static int take_commit(struct mig_dest *d, const struct mig_section *s, char *err, size_t errlen)
{
	struct preader p;

	if (!d->checked)
		return bad(err, errlen, "a commit before the destination's check");
	preader__init(&p, s->data, s->len);
	d->paused_ns = preader__get_u64(&p);
	d->commit_flags = preader__get_u32(&p);
	if (!preader__done(&p) || d->commit_flags & ~(uint32_t)MIG_COMMIT_ADVANCE_CLOCK)
		return bad(err, errlen, "a commit section that is not 12 bytes of known flags");
	if (!d->nr_state)
		return bad(err, errlen, "a commit without the VM's state sections");
	d->committed = true;
	return MIG_EV_COMMIT;
}

int mig_dest__take(struct mig_dest *d, const struct mig_section *s, char *err, size_t errlen)
{
	if (d->committed)
		return bad(err, errlen, "a section after the commit");
	switch (s->id) {
	case MIG_SEC_PAGES:
		return take_pages(d, s, err, errlen);
	case MIG_SEC_CHECK:
		if (d->checked || s->len)
			return bad(err, errlen, "a second or non-empty check marker");
		if (!d->nr_state)
			return bad(err, errlen, "a check marker without the VM's sections");
		return MIG_EV_CHECK;
	case MIG_SEC_ROUND:
		if (!d->checked || s->len != 4)
			return bad(err, errlen, "a round marker before the check, or not 4 bytes");
		d->rounds++;
		return MIG_EV_NONE;
	case MIG_SEC_COMMIT:
		return take_commit(d, s, err, errlen);
	case MIG_SEC_REPLY:
		return bad(err, errlen, "a reply section from the source");
	default:
		return take_state(d, s, err, errlen);
	}
}

int mig_dest__state(struct mig_dest *d, uint8_t **state, size_t *len)
{
	if (d->state.failed || d->state.len < SNAP_HEADER_SIZE)
		return -VMM_ERR_INTERNAL;
	snap__state_header(d->state.data, d->nr_state);
	*state = d->state.data;
	*len = d->state.len;
	pbuf__init(&d->state);	/* the caller owns the bytes now */
	d->nr_state = 0;
	return 0;
}
