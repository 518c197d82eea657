/*
 * Unit tests for lib/sha256.c, lib/digest.c and lib/base64.c: the FIPS
 * 180-4 examples, every length across the padding boundaries fed in every
 * split against sha256sum(1) of the same bytes, and base64 against the
 * RFC 4648 examples, its refusals and round trips.
 */
#include "unit.h"

#include <sys/types.h>

#include "base64.h"
#include "digest.h"
#include "misc.h"
#include "sha256.h"

static void
hex_of(const char *s, size_t n, char hex[DIGEST_HEX_LEN + 1])
{
	digest_buf(s, n, hex);
}

static void
t_fips(void **st)
{
	char hex[DIGEST_HEX_LEN + 1], *m;
	struct digest_ctx *c;
	size_t i;

	(void)st;
	hex_of("", 0, hex);
	assert_string_equal(hex, "e3b0c44298fc1c149afbf4c8996fb924"
	    "27ae41e4649b934ca495991b7852b855");
	/* an empty update with no buffer, as a caller with an empty file */
	c = digest_new();
	digest_update(c, NULL, 0);
	digest_update(c, "ab", 2);
	digest_update(c, NULL, 0);
	digest_update(c, "c", 1);
	digest_final(c, hex);
	assert_string_equal(hex, "ba7816bf8f01cfea414140de5dae2223"
	    "b00361a396177a9cb410ff61f20015ad");
	hex_of("abc", 3, hex);
	assert_string_equal(hex, "ba7816bf8f01cfea414140de5dae2223"
	    "b00361a396177a9cb410ff61f20015ad");
	m = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
	hex_of(m, strlen(m), hex);	/* 56 bytes: the length needs a block */
	assert_string_equal(hex, "248d6a61d20638b8e5c026930c3e6039"
	    "a33ce45964ff2167f6ecedd419db06c1");
	m = "abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmn"
	    "hijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu";
	hex_of(m, strlen(m), hex);
	assert_string_equal(hex, "cf5b16a778af8380036ce59e7b049237"
	    "0b249b11e8f07a51afac45037afee9d1");
	/* a million 'a', in 1000 updates of 1000 */
	m = malloc(1000);
	assert_non_null(m);
	memset(m, 'a', 1000);
	c = digest_new();
	for (i = 0; i < 1000; i++)
		digest_update(c, m, 1000);
	digest_final(c, hex);
	assert_string_equal(hex, "cdc76e5c9914fb9281a1c7e284d73e67"
	    "f1809a48a497200e046d39ccc7112cd0");
	free(m);
}

#define NLEN	200

/* sha256sum of the first n bytes of buf, through a file. */
static void
peer_hex(const unsigned char *buf, size_t n, char hex[DIGEST_HEX_LEN + 1])
{
	char path[] = "/tmp/sshmedic-test-digest.XXXXXX", cmd[128];
	FILE *f;
	int fd;

	assert_true((fd = mkstemp(path)) != -1);
	assert_true(n == 0 || write(fd, buf, n) == (ssize_t)n);
	close(fd);
	snprintf(cmd, sizeof(cmd), "sha256sum %s", path);
	assert_non_null(f = popen(cmd, "r"));
	assert_non_null(fgets(hex, DIGEST_HEX_LEN + 1, f));
	pclose(f);
	unlink(path);
	assert_int_equal(digest_is_hex(hex), 1);
}

/*
 * Lengths 0..NLEN-1 (0, 55, 56, 63, 64, 119, 120, 128 among them) and
 * three large ones, each against sha256sum; each length up to 130 also fed
 * in two parts split at every point, and in single bytes.
 */
static void
t_against_sha256sum(void **st)
{
	static const size_t big[] = { 4095, 4096, 65537 };
	char want[DIGEST_HEX_LEN + 1], got[DIGEST_HEX_LEN + 1];
	struct digest_ctx *c;
	unsigned char *buf;
	size_t n, cut, i, len;

	(void)st;
	assert_non_null(buf = malloc(65537));
	for (i = 0; i < 65537; i++)
		buf[i] = (unsigned char)(i * 131 + (i >> 8) * 7 + 1);
	for (n = 0; n < NLEN + SM_NELEM(big); n++) {
		len = n < NLEN ? n : big[n - NLEN];
		peer_hex(buf, len, want);
		digest_buf(buf, len, got);
		assert_string_equal(got, want);
		if (len > 130)
			continue;
		for (cut = 0; cut <= len; cut++) {
			c = digest_new();
			digest_update(c, buf, cut);
			digest_update(c, buf + cut, len - cut);
			digest_final(c, got);
			assert_string_equal(got, want);
		}
		c = digest_new();
		for (i = 0; i < len; i++)
			digest_update(c, buf + i, 1);
		digest_final(c, got);
		assert_string_equal(got, want);
	}
	free(buf);
}

static void
t_b64_rfc4648(void **st)
{
	static const char *v[][2] = {
		{ "", "" }, { "f", "Zg==" }, { "fo", "Zm8=" },
		{ "foo", "Zm9v" }, { "foob", "Zm9vYg==" },
		{ "fooba", "Zm9vYmE=" }, { "foobar", "Zm9vYmFy" },
	};
	unsigned char out[16];
	char enc[16];
	size_t i, n;

	(void)st;
	for (i = 0; i < SM_NELEM(v); i++) {
		n = strlen(v[i][0]);
		assert_int_equal(b64_encode((const unsigned char *)v[i][0], n,
		    enc), strlen(v[i][1]));
		assert_string_equal(enc, v[i][1]);
		assert_int_equal(b64_decode(v[i][1], strlen(v[i][1]), out),
		    (ssize_t)n);
		assert_memory_equal(out, v[i][0], n);
	}
}

static void
t_b64_refused(void **st)
{
	static const char *bad[] = {
		"Z", "Zm9", "Zm9vY",		/* not groups of four */
		"Z===", "====", "Zm=v",		/* '=' where no padding goes */
		"Zg==Zg==",			/* padding before the end */
		"Zm9v!A==", "Zm9v YQ=", "Zm9v\nYQ=", "Zm9-", "Zm9_",
	};
	unsigned char out[16];
	size_t i;

	(void)st;
	for (i = 0; i < SM_NELEM(bad); i++)
		assert_int_equal(b64_decode(bad[i], strlen(bad[i]), out), -1);
	/* a NUL inside the given length is not the alphabet either */
	assert_int_equal(b64_decode("Zm\0v", 4, out), -1);
}

/* Every byte value and every length to 300 survives a round trip. */
static void
t_b64_roundtrip(void **st)
{
	unsigned char in[300], out[300];
	char enc[4 * 100 + 1];
	size_t n, i, el;

	(void)st;
	for (i = 0; i < sizeof(in); i++)
		in[i] = (unsigned char)(255 - i);
	for (n = 0; n <= sizeof(in); n++) {
		el = b64_encode(in, n, enc);
		assert_int_equal(el, 4 * ((n + 2) / 3));
		assert_int_equal(b64_decode(enc, el, out), (ssize_t)n);
		assert_memory_equal(out, in, n);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(t_fips),
		cmocka_unit_test(t_against_sha256sum),
		cmocka_unit_test(t_b64_rfc4648),
		cmocka_unit_test(t_b64_refused),
		cmocka_unit_test(t_b64_roundtrip),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
