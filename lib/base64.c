/*
 * Base64 for authorized_keys blobs and SHA256: fingerprints (see base64.h).
 */
#include "config.h"

#include <sys/types.h>

#include "base64.h"

static const char alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/* The value of a character of the alphabet, or -1. */
static int
value(unsigned char ch)
{
	if (ch >= 'A' && ch <= 'Z')
		return ch - 'A';
	if (ch >= 'a' && ch <= 'z')
		return ch - 'a' + 26;
	if (ch >= '0' && ch <= '9')
		return ch - '0' + 52;
	if (ch == '+')
		return 62;
	if (ch == '/')
		return 63;
	return -1;
}

/* See base64.h. */
ssize_t
b64_decode(const char *in, size_t n, unsigned char *out)
{
	size_t i, o = 0;
	int v[4], j, npad;
	unsigned long g;

	if (n % 4 != 0)
		return -1;
	for (i = 0; i < n; i += 4) {
		npad = 0;
		for (j = 0; j < 4; j++) {
			if (in[i + j] == '=' && i + 4 == n && j >= 2) {
				v[j] = 0;
				npad++;
				continue;
			}
			/* a character after '=' */
			if (npad > 0 || (v[j] = value((unsigned char)in[i + j])) < 0)
				return -1;
		}
		g = (unsigned long)v[0] << 18 | (unsigned long)v[1] << 12 |
		    (unsigned long)v[2] << 6 | (unsigned long)v[3];
		out[o++] = (unsigned char)(g >> 16);
		if (npad < 2)
			out[o++] = (unsigned char)(g >> 8);
		if (npad < 1)
			out[o++] = (unsigned char)g;
	}
	return (ssize_t)o;
}

/* See base64.h. */
size_t
b64_encode(const unsigned char *in, size_t n, char *out)
{
	size_t i, o = 0;
	unsigned long g;

	for (i = 0; i < n; i += 3) {
		g = (unsigned long)in[i] << 16;
		if (i + 1 < n)
			g |= (unsigned long)in[i + 1] << 8;
		if (i + 2 < n)
			g |= in[i + 2];
		out[o++] = alphabet[g >> 18 & 63];
		out[o++] = alphabet[g >> 12 & 63];
		out[o++] = i + 1 < n ? alphabet[g >> 6 & 63] : '=';
		out[o++] = i + 2 < n ? alphabet[g & 63] : '=';
	}
	out[o] = '\0';
	return o;
}
