/*
 * Parses sshd's report of a rejected public key from the right, so that a
 * user name an attacker chose can never move the address or the user.
 */
#include "config.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>

#include "authlog.h"
#include "counters.h"
#include "misc.h"

/*
 * OpenSSH 9.2 auth.c auth_log(): "%s %s%s%s for %s%.100s from %.200s port
 * %d ssh2%s%s" with "Failed", the method, "invalid user " for unknown
 * accounts, and ": KEYTYPE FINGERPRINT" (format_method_key()) for keys.
 * Only "publickey" is counted here: "Failed password" and
 * "keyboard-interactive" go through PAM, and pam_sshmedic.so counts them
 * already; counting them from the log as well would count them twice.
 */
#define MSG_FAILED	"Failed publickey for "
/*
 * allowed_user() refuses an account before any method runs: "User %.100s
 * not allowed because shell %.100s does not exist" (or is not executable,
 * or "account is locked" without PAM), "User %.100s from %.100s not allowed
 * because listed in DenyUsers" and the other Allow/Deny reasons. The name
 * is the account's own (pw_name): no spaces.
 */
#define MSG_USER	"User "
#define MSG_NOTALLOWED	" not allowed because "
/*
 * auth-pam.c: pam_start() failed (a missing @include, an unreadable
 * service file): the connection is dropped before any user is asked, so
 * the line names none. Counted as a failure nobody's name is on.
 */
#define MSG_PAMINIT	"PAM: initialisation failed"
/*
 * auth_log() for a key sshd found in the user's keys, before the client
 * signs with it: "Postponed publickey for USER from ADDR port N ssh2
 * [preauth]". A "Failed publickey" of the same connection after it is a
 * login refused after a good key (PAM's account phase, whose denial the
 * module reports; PermitRootLogin), not a rejected key.
 */
#define MSG_POSTPONED	"Postponed publickey for "

/* The messages a line may start with when it has no syslog prefix. */
static const char *const bare_msgs[] = {
	MSG_FAILED, MSG_USER, MSG_PAMINIT, MSG_POSTPONED,
};
#define MSG_INVALID	"invalid user "
#define SHA256_B64_LEN	43	/* 32 bytes, base64 without padding */
#define MD5_HEX_LEN	47	/* 16 hex pairs and 15 colons */

static const char *const months[] = {
	"Jan", "Feb", "Mar", "Apr", "May", "Jun",
	"Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
};

/* sshkey_type() of OpenSSH 9.2; certificates add "-CERT". */
static const char *const key_types[] = {
	"RSA", "DSA", "ECDSA", "ED25519", "ECDSA-SK", "ED25519-SK", "XMSS",
};

/* rsyslog's program names for sshd: "sshd", and "sshd-session" (9.8+). */
static const char *const sshd_tags[] = { "sshd", "sshd-session" };

static int
is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* Predicate: the n bytes at p are all digits. */
static int
all_digits(const char *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!is_digit(p[i]))
			return 0;
	return 1;
}

/* Predicate: [t, t+n) is exactly the string s. */
static int
tok_is(const char *t, size_t n, const char *s)
{
	return strlen(s) == n && memcmp(t, s, n) == 0;
}

/* "Dec  1 07:00:00 ": the pointer after it, or NULL. */
static const char *
skip_classic(const char *p, const char *e)
{
	size_t i;

	if (e - p < 16 || p[3] != ' ' || p[6] != ' ' || p[9] != ':' ||
	    p[12] != ':' || p[15] != ' ')
		return NULL;
	for (i = 0; i < SM_NELEM(months); i++)
		if (memcmp(p, months[i], 3) == 0)
			break;
	if (i == SM_NELEM(months))
		return NULL;
	if (!(p[4] == ' ' || is_digit(p[4])) || !is_digit(p[5]) ||
	    !all_digits(p + 7, 2) || !all_digits(p + 10, 2) ||
	    !all_digits(p + 13, 2))
		return NULL;
	return p + 16;
}

/* "2026-12-01T07:00:00.123456+00:00 ": the pointer after it, or NULL. */
static const char *
skip_rfc3339(const char *p, const char *e)
{
	size_t n;

	if (e - p < 21 || !all_digits(p, 4) || p[4] != '-' ||
	    !all_digits(p + 5, 2) || p[7] != '-' || !all_digits(p + 8, 2) ||
	    p[10] != 'T' || !all_digits(p + 11, 2) || p[13] != ':' ||
	    !all_digits(p + 14, 2) || p[16] != ':' || !all_digits(p + 17, 2))
		return NULL;
	p += 19;
	if (*p == '.') {
		for (n = 0, p++; p < e && is_digit(*p) && n < 10; p++, n++)
			;
		if (n == 0 || n > 9)
			return NULL;
	}
	if (p < e && *p == 'Z')
		p++;
	else if (e - p >= 6 && (*p == '+' || *p == '-') &&
	    all_digits(p + 1, 2) && p[3] == ':' && all_digits(p + 4, 2))
		p += 6;
	else
		return NULL;
	return p < e && *p == ' ' ? p + 1 : NULL;
}

/*
 * "HOST TAG[PID]: " after a time stamp: the message, or NULL when it is
 * malformed or the program is not sshd.
 */
static const char *
skip_host_tag(const char *p, const char *e)
{
	const char *sp, *br, *close;
	size_t i;

	if ((sp = memchr(p, ' ', (size_t)(e - p))) == NULL || sp == p)
		return NULL;
	p = sp + 1;
	if ((br = memchr(p, '[', (size_t)(e - p))) == NULL ||
	    (close = memchr(br, ']', (size_t)(e - br))) == NULL)
		return NULL;
	for (i = 0; i < SM_NELEM(sshd_tags); i++)
		if (tok_is(p, (size_t)(br - p), sshd_tags[i]))
			break;
	if (i == SM_NELEM(sshd_tags))
		return NULL;
	if (close == br + 1 || close - br > 11 ||
	    !all_digits(br + 1, (size_t)(close - br - 1)))
		return NULL;
	if (e - close < 3 || close[1] != ':' || close[2] != ' ')
		return NULL;
	return close + 3;
}

/*
 * The token before *end within [s, *end): after the last space, which
 * must exist (something is always left of it). 1 with tok/len set and
 * *end moved onto that space, 0 when there is none or it is empty.
 */
static int
rtok(const char *s, const char **end, const char **tok, size_t *len)
{
	const char *p;

	if (*end <= s || (p = memrchr(s, ' ', (size_t)(*end - s))) == NULL)
		return 0;
	*tok = p + 1;
	*len = (size_t)(*end - *tok);
	*end = p;
	return *len > 0;
}

/* The token at *p up to the next space (or e); *p moved past it. */
static int
ltok(const char **p, const char *e, const char **tok, size_t *len)
{
	const char *sp;

	if ((sp = memchr(*p, ' ', (size_t)(e - *p))) == NULL)
		sp = e;
	*tok = *p;
	*len = (size_t)(sp - *p);
	*p = sp;
	return *len > 0;
}

/* Predicate: the characters of an account name (vis-encoded by sshd). */
static int
name_plausible(const char *u, size_t n)
{
	size_t i;

	if (n == 0 || u[0] == '-')
		return 0;
	for (i = 0; i < n; i++) {
		if ((u[i] >= 'a' && u[i] <= 'z') ||
		    (u[i] >= 'A' && u[i] <= 'Z') || is_digit(u[i]) ||
		    strchr("._-@$\\", u[i]) != NULL)
			continue;
		return 0;
	}
	return 1;
}

static int
keytype_ok(const char *t, size_t n, int cert, struct authlog_rec *rec)
{
	size_t i, base = n;

	if (cert) {
		if (n < 5 || memcmp(t + n - 5, "-CERT", 5) != 0)
			return 0;
		base = n - 5;
	}
	if (n > AUTHLOG_KEYTYPE_MAX)
		return 0;
	for (i = 0; i < SM_NELEM(key_types); i++)
		if (tok_is(t, base, key_types[i]))
			break;
	if (i == SM_NELEM(key_types))
		return 0;
	memcpy(rec->keytype, t, n);
	rec->keytype[n] = '\0';
	return 1;
}

/* SHA256:<43 base64> or MD5:<16 hex pairs with colons>. */
static int
fp_ok(const char *t, size_t n, struct authlog_rec *rec)
{
	size_t i;
	char c;

	if (n == 7 + SHA256_B64_LEN && memcmp(t, "SHA256:", 7) == 0) {
		for (i = 7; i < n; i++) {
			c = t[i];
			if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
			    is_digit(c) || c == '+' || c == '/'))
				return 0;
		}
	} else if (n == 4 + MD5_HEX_LEN && memcmp(t, "MD5:", 4) == 0) {
		for (i = 4; i < n; i++) {
			c = t[i];
			if ((i - 4) % 3 == 2) {
				if (c != ':')
					return 0;
			} else if (!(is_digit(c) || (c >= 'a' && c <= 'f')))
				return 0;
		}
	} else
		return 0;
	memcpy(rec->fingerprint, t, n);
	rec->fingerprint[n] = '\0';
	return 1;
}

/* sshd prints %d: 1..65535, no sign, no leading zero. */
static int
port_ok(const char *t, size_t n, struct authlog_rec *rec)
{
	char buf[8];
	long long v;

	if (n == 0 || n > 5 || t[0] == '0' || !all_digits(t, n))
		return 0;
	memcpy(buf, t, n);
	buf[n] = '\0';
	if (parse_ll(buf, 1, 65535, &v) == -1)
		return 0;
	rec->port = (int)v;
	return 1;
}

/* Numeric IPv4 or IPv6 (getnameinfo NI_NUMERICHOST: maybe "%scope"). */
static int
addr_ok(const char *t, size_t n, struct authlog_rec *rec)
{
	unsigned char bin[sizeof(struct in6_addr)];
	char buf[AUTHLOG_ADDR_MAX + 1], *pct;

	if (n > AUTHLOG_ADDR_MAX)
		return 0;
	memcpy(buf, t, n);
	buf[n] = '\0';
	if ((pct = strchr(buf, '%')) != NULL) {
		if (!sm_token_ok(pct + 1, 15, "._-"))
			return 0;
		*pct = '\0';
		if (inet_pton(AF_INET6, buf, bin) != 1)
			return 0;
		*pct = '%';
	} else if (inet_pton(AF_INET, buf, bin) != 1 &&
	    inet_pton(AF_INET6, buf, bin) != 1)
		return 0;
	memcpy(rec->addr, buf, n + 1);
	return 1;
}

static void
set_user(struct authlog_rec *rec, const char *u, size_t n)
{
	size_t take = n < AUTHLOG_USER_MAX ? n : AUTHLOG_USER_MAX;

	memcpy(rec->user, u, take);
	rec->user[take] = '\0';
	rec->user_len = n;
	rec->suspect = n > COUNTERS_KEY_MAX || !name_plausible(u, n);
}

/*
 * A plain key: "USER from ADDR port N ssh2: TYPE FP" read from its end,
 * which sshd writes and the client cannot choose; whatever is left is the
 * user, injected " from ..." text included.
 */
static int
parse_right(const char *s, const char *e, struct authlog_rec *rec)
{
	const char *end = e, *t;
	size_t n;

	if (!rtok(s, &end, &t, &n) || !fp_ok(t, n, rec) ||
	    !rtok(s, &end, &t, &n) || !keytype_ok(t, n, 0, rec) ||
	    !rtok(s, &end, &t, &n) || !tok_is(t, n, "ssh2:") ||
	    !rtok(s, &end, &t, &n) || !port_ok(t, n, rec) ||
	    !rtok(s, &end, &t, &n) || !tok_is(t, n, "port") ||
	    !rtok(s, &end, &t, &n) || !addr_ok(t, n, rec) ||
	    !rtok(s, &end, &t, &n) || !tok_is(t, n, "from") || end == s)
		return 0;
	/*
	 * An existing account's name has no spaces: a line that says
	 * otherwise for a valid user is not sshd's (or it is a certificate's
	 * line cut short after an attacker's key id; parse_cert reads it).
	 */
	if (!rec->invalid_user && !name_plausible(s, (size_t)(end - s)))
		return 0;
	set_user(rec, s, (size_t)(end - s));
	return 1;
}

/*
 * A certificate: "USER from ADDR port N ssh2: TYPE-CERT FP ID KEYID
 * (serial N) CA TYPE FP". The key id is the client's text, right of the
 * address, so this one is read from the left, and only for valid users,
 * whose names (plausible, no spaces) cannot hide a " from ".
 */
static int
parse_cert(const char *s, const char *e, struct authlog_rec *rec)
{
	const char *p, *t;
	size_t n;

	if (rec->invalid_user ||
	    (p = memmem(s, (size_t)(e - s), " from ", 6)) == NULL ||
	    !name_plausible(s, (size_t)(p - s)))
		return 0;
	set_user(rec, s, (size_t)(p - s));
	p += 6;
	if (!ltok(&p, e, &t, &n) || !addr_ok(t, n, rec) ||
	    e - p < 6 || memcmp(p, " port ", 6) != 0)
		return 0;
	p += 6;
	if (!ltok(&p, e, &t, &n) || !port_ok(t, n, rec) ||
	    e - p < 7 || memcmp(p, " ssh2: ", 7) != 0)
		return 0;
	p += 7;
	if (!ltok(&p, e, &t, &n) || !keytype_ok(t, n, 1, rec) ||
	    p == e || *p++ != ' ' ||
	    !ltok(&p, e, &t, &n) || !fp_ok(t, n, rec) ||
	    e - p < 4 || memcmp(p, " ID ", 4) != 0)
		return 0;
	rec->cert = 1;
	return 1;
}

/* "USER [from HOST] not allowed because WHY", after "User ". */
static int
parse_not_allowed(const char *s, const char *e, struct authlog_rec *rec)
{
	const char *p, *w, *h;
	size_t n;

	if ((w = memmem(s, (size_t)(e - s), MSG_NOTALLOWED,
	    sizeof(MSG_NOTALLOWED) - 1)) == NULL)
		return 0;
	if ((p = memchr(s, ' ', (size_t)(w - s))) == NULL)
		p = w;
	n = (size_t)(p - s);
	if (n == 0 || !name_plausible(s, n))
		return 0;
	if (p < w) {
		/* " from HOST": a name (UseDNS) or an address; one token. */
		if ((size_t)(w - p) < 7 || memcmp(p, " from ", 6) != 0)
			return 0;
		h = p + 6;
		if (memchr(h, ' ', (size_t)(w - h)) != NULL || h == w)
			return 0;
		(void)addr_ok(h, (size_t)(w - h), rec);
	}
	set_user(rec, s, n);
	w += sizeof(MSG_NOTALLOWED) - 1;
	n = (size_t)(e - w);
	if (n == 0)
		return 0;
	if (n > AUTHLOG_WHY_MAX)
		n = AUTHLOG_WHY_MAX;
	memcpy(rec->why, w, n);
	rec->why[n] = '\0';
	rec->kind = AL_NOT_ALLOWED;
	return 1;
}

/* Predicate: [s, e) starts with the string p. */
static int
has_prefix(const char *s, const char *e, const char *p)
{
	size_t n = strlen(p);

	return (size_t)(e - s) >= n && memcmp(s, p, n) == 0;
}

/* "USER from ADDR port N ssh2 [preauth]", after "Postponed publickey for ". */
static int
parse_postponed(const char *s, const char *e, struct authlog_rec *rec)
{
	const char *end = e, *t;
	size_t n;

	if (!rtok(s, &end, &t, &n))
		return 0;
	if (tok_is(t, n, "[preauth]") && !rtok(s, &end, &t, &n))
		return 0;
	if (!tok_is(t, n, "ssh2") ||
	    !rtok(s, &end, &t, &n) || !port_ok(t, n, rec) ||
	    !rtok(s, &end, &t, &n) || !tok_is(t, n, "port") ||
	    !rtok(s, &end, &t, &n) || !addr_ok(t, n, rec) ||
	    !rtok(s, &end, &t, &n) || !tok_is(t, n, "from") || end == s ||
	    !name_plausible(s, (size_t)(end - s)))
		return 0;
	/* Only an existing account's key is ever found: a real name. */
	set_user(rec, s, (size_t)(end - s));
	rec->kind = AL_POSTPONED;
	return 1;
}

/* Predicate: see authlog.h. */
int
authlog_parse(const char *line, size_t len, struct authlog_rec *rec)
{
	const char *s = line, *e, *m;
	size_t i;
	int invalid = 0;

	memset(rec, 0, sizeof(*rec));
	if (line == NULL || len > AUTHLOG_LINE_MAX ||
	    memchr(line, '\0', len) != NULL)
		return 0;
	e = line + len;
	/* sshd -E ends its lines with "\r\n"; syslog files with "\n". */
	while (e > s && (e[-1] == '\n' || e[-1] == '\r'))
		e--;
	for (m = NULL, i = 0; m == NULL && i < SM_NELEM(bare_msgs); i++)
		if (has_prefix(s, e, bare_msgs[i]))
			m = s;
	if (m != NULL)
		;
	else if ((m = skip_classic(s, e)) != NULL ||
	    (m = skip_rfc3339(s, e)) != NULL) {
		if ((m = skip_host_tag(m, e)) == NULL)
			return 0;
	} else
		return 0;
	if ((size_t)(e - m) == sizeof(MSG_PAMINIT) - 1 &&
	    memcmp(m, MSG_PAMINIT, sizeof(MSG_PAMINIT) - 1) == 0) {
		rec->kind = AL_PAM_INIT;
		return 1;
	}
	if (has_prefix(m, e, MSG_USER)) {
		if (parse_not_allowed(m + sizeof(MSG_USER) - 1, e, rec))
			return 1;
		memset(rec, 0, sizeof(*rec));
		return 0;
	}
	if (has_prefix(m, e, MSG_POSTPONED)) {
		if (parse_postponed(m + sizeof(MSG_POSTPONED) - 1, e, rec))
			return 1;
		memset(rec, 0, sizeof(*rec));
		return 0;
	}
	if ((size_t)(e - m) < sizeof(MSG_FAILED) - 1 ||
	    memcmp(m, MSG_FAILED, sizeof(MSG_FAILED) - 1) != 0)
		return 0;
	m += sizeof(MSG_FAILED) - 1;
	if ((size_t)(e - m) >= sizeof(MSG_INVALID) - 1 &&
	    memcmp(m, MSG_INVALID, sizeof(MSG_INVALID) - 1) == 0) {
		invalid = 1;
		m += sizeof(MSG_INVALID) - 1;
	}
	rec->invalid_user = invalid;
	rec->kind = AL_REFUSED_KEY;
	if (parse_right(m, e, rec))
		return 1;
	memset(rec, 0, sizeof(*rec));
	rec->invalid_user = invalid;
	rec->kind = AL_REFUSED_KEY;
	if (parse_cert(m, e, rec))
		return 1;
	memset(rec, 0, sizeof(*rec));
	return 0;
}
