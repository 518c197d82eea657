/*
 * Base64 (RFC 4648, the standard alphabet with '=' padding), as SSH keys
 * and fingerprints write it.
 */
#ifndef SM_BASE64_H
#define SM_BASE64_H

#include <stddef.h>
#include <sys/types.h>

/* The bytes b64_decode may write for n characters. */
#define B64_DECODED_MAX(n)	((n) / 4 * 3)

/*
 * Decodes n characters: groups of four, '=' only as the padding of the
 * last group. The bytes written to out (B64_DECODED_MAX(n) of room), or
 * -1 when in is not such text.
 */
ssize_t	b64_decode(const char *in, size_t n, unsigned char *out);

/* Encodes n bytes with padding; out holds 4 * ((n + 2) / 3) + 1. */
size_t	b64_encode(const unsigned char *in, size_t n, char *out);

#endif
