/*
 * sshd's pattern language (OpenSSH 9.2 match.c/addrmatch.c semantics),
 * so the lockout guard answers AllowUsers/DenyUsers questions as sshd does.
 */
#include "config.h"

#include <sys/types.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <ctype.h>
#include <netdb.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "match.h"
#include "misc.h"
#include "xmalloc.h"

/* sshd copies each list entry into a 1024-byte buffer and gives up past it. */
#define MATCH_SUB_MAX	1024
/* sshd's addr_pton_cidr buffer. */
#define MATCH_CIDR_BUF	64
#define MATCH_CIDR_CHARS "0123456789abcdefABCDEF.:/"

struct match_addr {
	int	 af;
	uint8_t	 a[16];
	uint32_t scope;
};

/*
 * Iterative wildcard match with one backtrack point: for patterns made of
 * '*', '?' and literals it accepts exactly what sshd's recursive version
 * accepts, without recursion depth proportional to the input.
 * Predicate: 1 when s matches pattern.
 */
int
match_pattern(const char *s, const char *pattern)
{
	const char *star = NULL, *resume = NULL;

	if (s == NULL || pattern == NULL)
		return 0;
	while (*s != '\0') {
		if (*pattern == '*') {
			while (*pattern == '*')
				pattern++;
			if (*pattern == '\0')
				return 1;
			star = pattern;
			resume = s;
			continue;
		}
		if (*pattern != '\0' && (*pattern == '?' || *pattern == *s)) {
			pattern++;
			s++;
			continue;
		}
		if (star == NULL)
			return 0;
		pattern = star;
		s = ++resume;
	}
	while (*pattern == '*')
		pattern++;
	return *pattern == '\0';
}

/* 1 positive match, -1 negated match (wins), 0 none. */
int
match_pattern_list(const char *s, const char *list, int dolower)
{
	char sub[MATCH_SUB_MAX], *str;
	size_t i, subi, len;
	int negated, got_positive = 0, r = 0;

	if (s == NULL || list == NULL)
		return 0;
	str = xstrdup(s);
	if (dolower) {
		for (i = 0; str[i] != '\0'; i++)
			str[i] = (char)tolower((unsigned char)str[i]);
	}
	len = strlen(list);
	for (i = 0; i < len;) {
		negated = list[i] == '!';
		if (negated)
			i++;
		for (subi = 0; i < len && subi < sizeof(sub) - 1 &&
		    list[i] != ','; subi++, i++) {
			sub[subi] = dolower ?
			    (char)tolower((unsigned char)list[i]) : list[i];
		}
		/* sshd: an over-long entry makes the whole list not match */
		if (subi >= sizeof(sub) - 1) {
			got_positive = 0;
			goto out;
		}
		if (i < len && list[i] == ',')
			i++;
		sub[subi] = '\0';
		if (match_pattern(str, sub)) {
			if (negated) {
				r = -1;
				goto out;
			}
			got_positive = 1;
		}
	}
 out:
	free(str);
	return r != 0 ? r : got_positive;
}

/* Numeric address through getaddrinfo(AI_NUMERICHOST), as sshd parses it. */
static int
addr_parse(const char *p, struct match_addr *n)
{
	struct addrinfo hints, *ai = NULL;
	const struct sockaddr_in *in4;
	const struct sockaddr_in6 *in6;
	int r = -1;

	memset(&hints, 0, sizeof(hints));
	hints.ai_flags = AI_NUMERICHOST;
	if (p == NULL || getaddrinfo(p, NULL, &hints, &ai) != 0)
		return -1;
	if (ai == NULL || ai->ai_addr == NULL)
		goto out;
	memset(n, 0, sizeof(*n));
	if (ai->ai_addr->sa_family == AF_INET &&
	    ai->ai_addrlen >= (socklen_t)sizeof(*in4)) {
		in4 = (const struct sockaddr_in *)(void *)ai->ai_addr;
		n->af = AF_INET;
		memcpy(n->a, &in4->sin_addr, 4);
		r = 0;
	} else if (ai->ai_addr->sa_family == AF_INET6 &&
	    ai->ai_addrlen >= (socklen_t)sizeof(*in6)) {
		in6 = (const struct sockaddr_in6 *)(void *)ai->ai_addr;
		n->af = AF_INET6;
		memcpy(n->a, &in6->sin6_addr, 16);
		n->scope = in6->sin6_scope_id;
		r = 0;
	}
 out:
	if (ai != NULL)
		freeaddrinfo(ai);
	return r;
}

static size_t
addr_len(int af)
{
	return af == AF_INET ? 4 : 16;
}

/* Predicate: the bits of a past masklen are all zero. */
static int
addr_host_bits_zero(const struct match_addr *a, unsigned int masklen)
{
	size_t i, n = addr_len(a->af);
	unsigned int bit;

	for (i = 0; i < n; i++) {
		bit = (unsigned int)i * 8;
		if (bit + 8 <= masklen)
			continue;
		if (bit >= masklen) {
			if (a->a[i] != 0)
				return 0;
		} else if ((a->a[i] & (0xffu >> (masklen - bit))) != 0)
			return 0;
	}
	return 1;
}

/*
 * "addr[/len]": 0 parsed, -1 not an address (sshd then tries it as a
 * wildcard), -2 a mask too long for the family or host bits set.
 */
static int
addr_parse_cidr(const char *p, struct match_addr *n, unsigned int *lenp)
{
	char buf[MATCH_CIDR_BUF], *mp, *ep;
	unsigned long masklen = 0;

	if (p == NULL || sm_strlcpy(buf, p, sizeof(buf)) >= sizeof(buf))
		return -1;
	if ((mp = strchr(buf, '/')) != NULL) {
		*mp++ = '\0';
		masklen = strtoul(mp, &ep, 10);
		if (*mp < '0' || *mp > '9' || *ep != '\0' || masklen > 128)
			return -1;
	}
	if (addr_parse(buf, n) != 0)
		return -1;
	if (mp == NULL)
		masklen = n->af == AF_INET ? 32 : 128;
	if (masklen > (n->af == AF_INET ? 32UL : 128UL))
		return -2;
	if (!addr_host_bits_zero(n, (unsigned int)masklen))
		return -2;
	*lenp = (unsigned int)masklen;
	return 0;
}

/* Predicate: host lies in net/masklen (same family and scope). */
static int
addr_in_net(const struct match_addr *host, const struct match_addr *net,
    unsigned int masklen)
{
	size_t i, n;
	unsigned int bit;
	uint8_t m;

	if (host->af != net->af)
		return 0;
	n = addr_len(host->af);
	for (i = 0; i < n; i++) {
		bit = (unsigned int)i * 8;
		if (bit >= masklen)
			m = 0;
		else if (bit + 8 <= masklen)
			m = 0xff;
		else
			m = (uint8_t)(0xff << (8 - (masklen - bit)));
		if ((host->a[i] & m) != net->a[i])
			return 0;
	}
	return host->af == AF_INET || host->scope == net->scope;
}

/*
 * sshd's addr_match_list: entries are CIDR blocks, or wildcards against
 * the address text. addr NULL only checks the list. 1/0/-1 negated/-2 bad.
 */
static int
addr_match_list(const char *addr, const char *list)
{
	struct match_addr try, net;
	unsigned int masklen;
	char *copy, *cp, *p;
	int neg, r, ret = 0, hit;

	if (addr != NULL && addr_parse(addr, &try) != 0)
		return 0;
	copy = p = xstrdup(list);
	while ((cp = strsep(&p, ",")) != NULL) {
		neg = *cp == '!';
		if (neg)
			cp++;
		if (*cp == '\0') {
			ret = -2;
			break;
		}
		r = addr_parse_cidr(cp, &net, &masklen);
		if (r == -2) {
			debug_f("inconsistent mask length \"%.100s\"", cp);
			ret = -2;
			break;
		}
		if (addr == NULL)
			continue;
		if (r == 0)
			hit = addr_in_net(&try, &net, masklen);
		else
			hit = match_pattern(addr, cp);
		if (hit) {
			if (neg) {
				ret = -1;
				break;
			}
			ret = 1;
		}
	}
	free(copy);
	return ret;
}

/*
 * Strict CIDR list with '!': 1 match, 0 none (or addr not an address),
 * -1 negated match, -2 bad list. addr NULL only checks the list.
 */
int
match_addr_cidr_list(const char *addr, const char *list)
{
	struct match_addr try, net;
	unsigned int masklen;
	char *copy, *cp, *p;
	int neg, ret = 0;

	if (list == NULL)
		return -2;
	if (addr != NULL && addr_parse(addr, &try) != 0)
		return 0;
	copy = p = xstrdup(list);
	while ((cp = strsep(&p, ",")) != NULL) {
		neg = *cp == '!';
		if (neg)
			cp++;
		/* untrusted input: keep junk away from getaddrinfo */
		if (*cp == '\0' || strlen(cp) > INET6_ADDRSTRLEN + 3 ||
		    strspn(cp, MATCH_CIDR_CHARS) != strlen(cp) ||
		    addr_parse_cidr(cp, &net, &masklen) != 0) {
			ret = -2;
			break;
		}
		if (addr != NULL && addr_in_net(&try, &net, masklen)) {
			if (neg) {
				ret = -1;
				break;
			}
			ret = 1;
		}
	}
	free(copy);
	return ret;
}

/*
 * 1 match, 0 none, -1 negated (sshd: 0), -2 bad CIDR (sshd: -1). host or
 * ipaddr NULL: only checks the list (0 or -2).
 */
int
match_host_and_ip(const char *host, const char *ipaddr, const char *patterns)
{
	int mhost, mip;

	if (patterns == NULL)
		return -2;
	if ((mip = addr_match_list(ipaddr, patterns)) == -2)
		return -2;
	if (mip == -1)
		return -1;
	if (host == NULL || ipaddr == NULL)
		return 0;
	if ((mhost = match_pattern_list(host, patterns, 1)) == -1)
		return -1;
	if (mhost == 0 && mip == 0)
		return 0;
	return 1;
}

/* 1 match, 0 none (or a negated host), -1 bad pattern; as sshd. */
int
match_user(const char *user, const char *host, const char *ipaddr,
    const char *pattern)
{
	char *pat, *at;
	int r;

	if (pattern == NULL)
		return -1;
	/* all NULL: only check the pattern, as sshd does at start-up */
	if (user == NULL && host == NULL && ipaddr == NULL) {
		if ((at = strchr(pattern, '@')) != NULL &&
		    match_host_and_ip(NULL, NULL, at + 1) == -2)
			return -1;
		return 0;
	}
	if (user == NULL)
		return 0;
	if (strchr(pattern, '@') == NULL)
		return match_pattern(user, pattern);
	pat = xstrdup(pattern);
	at = strchr(pat, '@');
	*at++ = '\0';
	if ((r = match_pattern(user, pat)) == 1) {
		r = match_host_and_ip(host, ipaddr, at);
		/* sshd: a negated host is "no match", a bad CIDR an error */
		if (r == -1)
			r = 0;
		else if (r == -2)
			r = -1;
	}
	free(pat);
	return r;
}
