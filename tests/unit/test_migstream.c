/*
 * Unit tests of the migration stream (vmm/migstream.c), its link
 * (vmm/migrate-net.c) and SHA-256/HMAC (vmm/sha256.c). The hash values are
 * the published test vectors (FIPS 180-2 examples, RFC 4231).
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "unit.h"
#include "vmm/migrate-net.h"
#include "vmm/migstream.h"
#include "vmm/persist.h"
#include "vmm/sha256.h"
#include "vmm/snapshot.h"
#include "vmm/util.h"
#include "vmm/migrate.h"
#include "vmm/vm.h"
#include "vmm/vmstate.h"
#include "../membuf.h"

/* The control socket's server is linked for its listen helpers; its requests are not run. */
int vmstate__pause(struct vm *vm, char *out, size_t outlen) { return 1; }
int vmstate__resume(struct vm *vm, char *out, size_t outlen) { return 1; }
int vmstate__snapshot(struct vm *vm, const char *dir, bool stop, char *out, size_t outlen)
{
	return 1;
}
int vmstate__snapshot_on(struct vm *vm, const char *dir, const char *base, bool stop,
			 char *out, size_t outlen)
{
	return 1;
}
void vm__request_stop(struct vm *vm, int status) { }

/* The migration thread (vmm/migrate.c) is not linked: no migration runs. */
int migrate__thread_start(struct vm *vm) { return 0; }
void migrate__thread_stop(void) { }
bool migrate__busy(void) { return false; }
int migrate__request(struct vm *vm, int fd, const char *args, char *out, size_t outlen)
{
	snprintf(out, outlen, "no migration here");
	return 1;
}

static void hex(const uint8_t *p, size_t n, char *out)
{
	for (size_t i = 0; i < n; i++)
		sprintf(out + 2 * i, "%02x", p[i]);
}

static void sha_hex(const void *data, size_t len, char out[65])
{
	struct sha256 c;
	uint8_t d[SHA256_LEN];

	sha256__init(&c);
	sha256__update(&c, data, len);
	sha256__final(&c, d);
	hex(d, sizeof(d), out);
}

static void test_sha256_vectors(void **state)
{
	char out[65];
	char *million = malloc(1000000);
	struct sha256 c;
	uint8_t d[SHA256_LEN];

	sha_hex("abc", 3, out);
	assert_string_equal(out, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	sha_hex("", 0, out);
	assert_string_equal(out, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
	assert_non_null(million);
	memset(million, 'a', 1000000);
	sha_hex(million, 1000000, out);
	assert_string_equal(out, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
	/* the same, fed in odd pieces */
	sha256__init(&c);
	for (size_t off = 0; off < 1000000; off += 997)
		sha256__update(&c, million + off, 1000000 - off < 997 ? 1000000 - off : 997);
	sha256__final(&c, d);
	hex(d, sizeof(d), out);
	assert_string_equal(out, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
	free(million);
}

static void hmac_hex(const void *key, size_t klen, const char *msg, char out[65])
{
	uint8_t d[SHA256_LEN];

	hmac_sha256(key, klen, msg, strlen(msg), d);
	hex(d, sizeof(d), out);
}

static void test_hmac_rfc4231(void **state)
{
	uint8_t k1[20], k6[131];
	char out[65];

	memset(k1, 0x0b, sizeof(k1));
	hmac_hex(k1, sizeof(k1), "Hi There", out);
	assert_string_equal(out, "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7");
	hmac_hex("Jefe", 4, "what do ya want for nothing?", out);
	assert_string_equal(out, "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
	memset(k6, 0xaa, sizeof(k6));
	hmac_hex(k6, sizeof(k6), "Test Using Larger Than Block-Size Key - Hash Key First", out);
	assert_string_equal(out, "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54");
	assert_true(ct_equal("abcd", "abcd", 4));
	assert_false(ct_equal("abcd", "abce", 4));
}

/* ---- the stream over a buffer ---- */

#define RAM_BASE 0x80000000ULL
#define RAM_SIZE (16 * 4096ULL)

/* A stream: header, a check batch of two sections, a round, a commit batch. */
static void build_stream(struct pbuf *b, uint64_t page_gpa)
{
	uint8_t h[SNAP_HEADER_SIZE], pages[8 + 2 * MIG_PAGE], commit[12] = { 0 }, round[4] = { 0 };

	mig__stream_header(h);
	pbuf__put_bytes(b, h, sizeof(h));
	mig__put_section(b, SNAP_SEC_CONFIG, 0, 1, "config", 6);
	mig__put_section(b, SNAP_SEC_VCPU, 0, 2, "vcpu0", 5);
	mig__put_section(b, MIG_SEC_CHECK, 0, 1, NULL, 0);
	put_le(pages, page_gpa, 8);
	memset(pages + 8, 0xa5, MIG_PAGE);
	memset(pages + 8 + MIG_PAGE, 0x5a, MIG_PAGE);
	mig__put_section(b, MIG_SEC_PAGES, 0, 1, pages, sizeof(pages));
	mig__put_section(b, MIG_SEC_ROUND, 0, 1, round, sizeof(round));
	mig__put_section(b, SNAP_SEC_VCPU, 0, 2, "vcpu0 final", 11);
	put_le(commit, 1234, 8);
	put_le(commit + 8, MIG_COMMIT_ADVANCE_CLOCK, 4);
	mig__put_section(b, MIG_SEC_COMMIT, 0, 1, commit, sizeof(commit));
}

/* Runs the destination over a stream; returns the last status, events counted. */
static int receive(const uint8_t *p, size_t len, uint8_t *ram, struct mig_dest *d,
		   unsigned *checks, char *err, size_t errlen)
{
	struct membuf m = { p, len, 0 };
	struct mig_reader r;
	struct mig_section s;
	int ret;

	mig_reader__init(&r, mem_read, &m);
	mig_dest__init(d);
	*checks = 0;
	ret = mig__read_header(&r, err, errlen);
	while (!ret) {
		ret = mig__read_section(&r, &s, err, errlen);
		if (!ret)
			ret = mig_dest__take(d, &s, err, errlen);
		if (ret == MIG_EV_CHECK) {
			struct snap_reader sr;
			uint8_t *st;
			size_t stlen;

			(*checks)++;
			assert_int_equal(mig_dest__state(d, &st, &stlen), 0);
			assert_int_equal(snap__parse(st, stlen, &sr, err, errlen), 0);
			assert_int_equal(sr.nr_sections, 2);
			assert_non_null(snap__find(&sr, SNAP_SEC_CONFIG, 0));
			snap__close(&sr);
			free(st);
			mig_dest__set_ram(d, ram, RAM_BASE, RAM_SIZE);
			ret = 0;
		} else if (ret == MIG_EV_COMMIT) {
			break;
		}
	}
	mig_reader__free(&r);
	return ret;
}

static void test_stream_round_trip(void **state)
{
	static uint8_t ram[RAM_SIZE];
	struct mig_dest d;
	struct pbuf b;
	unsigned checks;
	char err[256] = "";
	uint8_t *st;
	size_t len;
	struct snap_reader sr;

	pbuf__init(&b);
	build_stream(&b, RAM_BASE + 3 * MIG_PAGE);
	memset(ram, 0, sizeof(ram));
	assert_int_equal(receive(b.data, b.len, ram, &d, &checks, err, sizeof(err)), MIG_EV_COMMIT);
	assert_int_equal(checks, 1);
	assert_int_equal(d.pages, 2);
	assert_int_equal(d.rounds, 1);
	assert_int_equal(d.paused_ns, 1234);
	assert_int_equal(d.commit_flags, MIG_COMMIT_ADVANCE_CLOCK);
	assert_int_equal(ram[3 * MIG_PAGE], 0xa5);
	assert_int_equal(ram[5 * MIG_PAGE - 1], 0x5a);
	assert_int_equal(ram[5 * MIG_PAGE], 0);
	assert_int_equal(ram[3 * MIG_PAGE - 1], 0);
	/* the final batch, as a state file */
	assert_int_equal(mig_dest__state(&d, &st, &len), 0);
	assert_int_equal(snap__parse(st, len, &sr, err, sizeof(err)), 0);
	assert_int_equal(sr.nr_sections, 1);
	assert_int_equal(snap__find(&sr, SNAP_SEC_VCPU, 0)->len, 11);
	snap__close(&sr);
	free(st);
	mig_dest__free(&d);
	pbuf__free(&b);
}

static void test_stream_refusals(void **state)
{
	static uint8_t ram[RAM_SIZE];
	struct mig_dest d;
	struct pbuf b;
	unsigned checks;
	char err[256];
	int ret;

	/* Every cut short of the commit is refused (-2, one "stream:" line). */
	pbuf__init(&b);
	build_stream(&b, RAM_BASE);
	for (size_t cut = 0; cut < b.len; cut += 7) {
		ret = receive(b.data, cut, ram, &d, &checks, err, sizeof(err));
		assert_int_equal(ret, -VMM_ERR_INPUT);
		assert_memory_equal(err, "stream: ", 8);
		assert_null(strchr(err, '\n'));
		mig_dest__free(&d);
	}
	/* Any flipped byte is refused, before the commit. */
	for (size_t at = 0; at < b.len; at += 13) {
		b.data[at] ^= 0x40;
		ret = receive(b.data, b.len, ram, &d, &checks, err, sizeof(err));
		b.data[at] ^= 0x40;
		assert_int_equal(ret, -VMM_ERR_INPUT);
		mig_dest__free(&d);
	}
	pbuf__free(&b);

	/* Pages outside RAM, with right CRCs. */
	pbuf__init(&b);
	build_stream(&b, RAM_BASE + RAM_SIZE - MIG_PAGE);
	ret = receive(b.data, b.len, ram, &d, &checks, err, sizeof(err));
	assert_int_equal(ret, -VMM_ERR_INPUT);
	assert_non_null(strstr(err, "outside guest RAM"));
	mig_dest__free(&d);
	pbuf__free(&b);
}

static void test_pages_before_check(void **state)
{
	uint8_t h[SNAP_HEADER_SIZE], pages[8 + MIG_PAGE] = { 0 };
	struct mig_dest d;
	struct pbuf b;
	unsigned checks;
	char err[256];

	pbuf__init(&b);
	mig__stream_header(h);
	pbuf__put_bytes(&b, h, sizeof(h));
	put_le(pages, RAM_BASE, 8);
	mig__put_section(&b, MIG_SEC_PAGES, 0, 1, pages, sizeof(pages));
	assert_int_equal(receive(b.data, b.len, NULL, &d, &checks, err, sizeof(err)),
			 -VMM_ERR_INPUT);
	assert_non_null(strstr(err, "before the destination's check"));
	mig_dest__free(&d);
	pbuf__free(&b);
}

static void test_reply(void **state)
{
	struct pbuf p, framed;
	struct membuf m;
	struct mig_reader r;
	struct mig_section s;
	char err[128], text[128];
	int status;

	pbuf__init(&p);
	pbuf__put_u32(&p, 3);
	pbuf__put_str(&p, "saved VL set 128,256,512; this host can give at most 128,256");
	pbuf__init(&framed);
	mig__put_section(&framed, MIG_SEC_REPLY, 0, 1, p.data, p.len);
	m = (struct membuf){ framed.data, framed.len, 0 };
	mig_reader__init(&r, mem_read, &m);
	assert_int_equal(mig__read_section(&r, &s, err, sizeof(err)), 0);
	assert_true(mig__parse_reply(&s, &status, text, sizeof(text)));
	assert_int_equal(status, 3);
	assert_string_equal(text, "saved VL set 128,256,512; this host can give at most 128,256");
	mig_reader__free(&r);
	pbuf__free(&p);
	pbuf__free(&framed);
}

/* ---- the link ---- */

static void test_parse_addr(void **state)
{
	struct mig_addr a;
	char err[256];

	assert_int_equal(mignet__parse_addr("unix:/tmp/x.sock", &a, err, sizeof(err)), 0);
	assert_false(a.tcp);
	assert_int_equal(mignet__parse_addr("tcp:192.0.2.1:4444", &a, err, sizeof(err)), 0);
	assert_true(a.tcp);
	assert_int_equal(mignet__parse_addr("tcp:[::1]:80", &a, err, sizeof(err)), 0);
	assert_int_equal(mignet__parse_addr("tcp:localhost:80", &a, err, sizeof(err)), 0);
	assert_int_equal(mignet__parse_addr("tcp:1.2.3.4:0", &a, err, sizeof(err)), -VMM_ERR_INPUT);
	assert_int_equal(mignet__parse_addr("tcp:1.2.3.4", &a, err, sizeof(err)), -VMM_ERR_INPUT);
	assert_int_equal(mignet__parse_addr("tcp:example.org:80", &a, err, sizeof(err)),
			 -VMM_ERR_INPUT);
	assert_non_null(strstr(err, "numeric"));
	assert_int_equal(mignet__parse_addr("unix:", &a, err, sizeof(err)), -VMM_ERR_INPUT);
	assert_int_equal(mignet__parse_addr("/tmp/x", &a, err, sizeof(err)), -VMM_ERR_INPUT);
	assert_non_null(strstr(err, "unix:PATH or tcp:HOST:PORT"));
}

static char tmpdir[64];

static void write_secret(const char *path, const char *text, mode_t mode)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	fputs(text, f);
	fclose(f);
	assert_int_equal(chmod(path, mode), 0);
}

static void test_secret_file(void **state)
{
	struct mig_secret s;
	char path[128], err[256];

	snprintf(path, sizeof(path), "%s/secret", tmpdir);
	write_secret(path, "0123456789abcdef0123\n", 0600);
	assert_int_equal(mignet__read_secret(path, &s, err, sizeof(err)), 0);
	assert_int_equal(s.len, 20);	/* without the newline */
	write_secret(path, "0123456789abcdef0123\n", 0640);
	assert_int_equal(mignet__read_secret(path, &s, err, sizeof(err)), -VMM_ERR_INPUT);
	assert_non_null(strstr(err, "only its owner"));
	write_secret(path, "short\n", 0600);
	assert_int_equal(mignet__read_secret(path, &s, err, sizeof(err)), -VMM_ERR_INPUT);
	unlink(path);
}

struct sender {
	struct mig_addr addr;
	struct mig_secret secret;
	int ret;
	char err[256];
};

static void *send_thread(void *arg)
{
	struct sender *s = arg;
	int fd = mignet__connect(&s->addr, &s->secret, s->err, sizeof(s->err));

	s->ret = fd < 0 ? fd : 0;
	if (fd >= 0) {
		s->ret = mignet__send(fd, "DATA", 4);
		close(fd);
	}
	return NULL;
}

/* One accept with the destination's secret ds against a sender with ss. */
static int try_auth(const char *ds, const char *ss, struct sender *snd)
{
	struct mig_secret dsec = { 0 };
	struct mig_addr a;
	char addr[128], err[256];
	pthread_t t;
	int lfd, fd;
	uint8_t data[4];

	snprintf(addr, sizeof(addr), "unix:%s/mig.sock", tmpdir);
	assert_int_equal(mignet__parse_addr(addr, &a, err, sizeof(err)), 0);
	memset(snd, 0, sizeof(*snd));
	snd->addr = a;
	if (ds) {
		dsec.len = strlen(ds);
		memcpy(dsec.key, ds, dsec.len);
	}
	if (ss) {
		snd->secret.len = strlen(ss);
		memcpy(snd->secret.key, ss, snd->secret.len);
	}
	lfd = mignet__listen(&a, err, sizeof(err));
	assert_true(lfd >= 0);
	assert_int_equal(pthread_create(&t, NULL, send_thread, snd), 0);
	fd = mignet__accept(lfd, &a, &dsec, err, sizeof(err));
	if (fd >= 0) {
		assert_int_equal(mignet__recv(fd, data, 4), 0);
		assert_memory_equal(data, "DATA", 4);
		close(fd);
	}
	pthread_join(t, NULL);
	close(lfd);
	unlink(addr + 5);
	return fd >= 0 ? 0 : fd;
}

static void test_auth(void **state)
{
	struct sender s;

	assert_int_equal(try_auth(NULL, NULL, &s), 0);
	assert_int_equal(s.ret, 0);
	assert_int_equal(try_auth("the shared secret", "the shared secret", &s), 0);
	assert_int_equal(s.ret, 0);
	/* a wrong secret: the destination refuses and waits for another sender */
	assert_int_equal(try_auth("the shared secret", "the shared secreT", &s), -EAGAIN);
	assert_int_equal(s.ret, -VMM_ERR_INPUT);
	assert_non_null(strstr(s.err, "refused"));
	/* none at all */
	assert_int_equal(try_auth("the shared secret", NULL, &s), -EAGAIN);
	assert_int_equal(s.ret, -VMM_ERR_INPUT);
	assert_non_null(strstr(s.err, "--auth-file"));
}

static void test_proof_depends_on_nonce(void **state)
{
	struct mig_secret s = { .len = 16 };
	uint8_t n1[32] = { 1 }, n2[32] = { 2 }, p1[SHA256_LEN], p2[SHA256_LEN];

	memcpy(s.key, "0123456789abcdef", 16);
	mignet__proof(&s, n1, sizeof(n1), p1);
	mignet__proof(&s, n2, sizeof(n2), p2);
	assert_memory_not_equal(p1, p2, SHA256_LEN);
}

static int setup(void **state)
{
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/test-migstream-XXXXXX");
	return mkdtemp(tmpdir) ? 0 : -1;
}

static int teardown(void **state)
{
	return rmdir(tmpdir);
}

/*
 * The receiving end reads in pieces and hands out exactly what is asked:
 * small reads, reads across pieces, one larger than its buffer; then the
 * peer's close.
 */
static void test_buffered_read(void **state)
{
	uint8_t sent[300], got[300] = { 0 };
	struct mignet_in in;
	int sv[2];

	(void)state;
	for (size_t i = 0; i < sizeof(sent); i++)
		sent[i] = (uint8_t)(i * 7 + 1);
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
	assert_int_equal(mignet__send(sv[0], sent, sizeof(sent)), 0);
	mignet_in__init(&in, sv[1], 64);
	assert_non_null(in.buf);
	assert_int_equal(mignet__read(&in, got, 3), 0);
	assert_int_equal(in.len - in.at, 61);		/* one recv of a whole piece */
	assert_int_equal(mignet__read(&in, got + 3, 90), 0);	/* across pieces */
	assert_int_equal(mignet__read(&in, got + 93, 200), 0);	/* past the buffer */
	assert_int_equal(mignet__read(&in, got + 293, 7), 0);
	assert_memory_equal(got, sent, sizeof(sent));
	close(sv[0]);
	assert_int_equal(mignet__read(&in, got, 1), -EPIPE);
	mignet_in__free(&in);
	close(sv[1]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sha256_vectors),
		cmocka_unit_test(test_hmac_rfc4231),
		cmocka_unit_test(test_stream_round_trip),
		cmocka_unit_test(test_stream_refusals),
		cmocka_unit_test(test_pages_before_check),
		cmocka_unit_test(test_reply),
		cmocka_unit_test(test_buffered_read),
		cmocka_unit_test(test_parse_addr),
		cmocka_unit_test(test_secret_file),
		cmocka_unit_test(test_auth),
		cmocka_unit_test(test_proof_depends_on_nonce),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
