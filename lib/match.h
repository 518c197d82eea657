/*
 * sshd's pattern language: '*' and '?' wildcards, comma lists with '!'
 * negation, user@host patterns, CIDR address lists. Same answers as sshd
 * for AllowUsers/DenyUsers/AllowGroups/DenyGroups.
 */
#ifndef SM_MATCH_H
#define SM_MATCH_H

/* Predicate: 1 when s matches the single wildcard pattern, else 0. */
int	match_pattern(const char *s, const char *pattern);

/*
 * Matches s against a comma-separated list with '!' negation: 1 matched a
 * positive entry, -1 matched a negated entry (which wins), 0 no match.
 * dolower: compare s lowercased, as sshd does for host names.
 */
int	match_pattern_list(const char *s, const char *list, int dolower);

/*
 * Host and address against a pattern list whose entries are wildcards or
 * CIDR blocks: 1 match, 0 none, -1 negated match, -2 bad CIDR in the list.
 */
int	match_host_and_ip(const char *host, const char *ipaddr,
	    const char *patterns);

/*
 * One AllowUsers/DenyUsers entry: "user" or "user@host" (host part against
 * host name or address, with CIDR). 1 match, 0 none, -1 bad pattern.
 */
int	match_user(const char *user, const char *host, const char *ipaddr,
	    const char *pattern);

/*
 * Address against a comma list of CIDR blocks ("10.0.0.0/8,::1/128"), with
 * '!' negation: 1 match, 0 none, -1 negated match, -2 bad list.
 */
int	match_addr_cidr_list(const char *addr, const char *list);

#endif
