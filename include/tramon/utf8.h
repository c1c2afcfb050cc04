/*
 * UTF-8 decoding for the core (conf.c) and the plugins (http), one copy
 * header-only: a plugin links no daemon/ code.  Not installed: it is no
 * part of the plugin interface.
 */
#ifndef TRAMON_UTF8_H
#define TRAMON_UTF8_H

#include <stddef.h>

/*
 * The sequence at p (in NUL-terminated text): its length, 1 to 4, with
 * its code point in *cp; 0 if it is not well-formed UTF-8 (a bad lead
 * or continuation byte, an overlong form, a surrogate, beyond U+10FFFF).
 * Never reads past the NUL.
 */
static inline size_t
utf8_decode(const unsigned char *p, unsigned *cp)
{
	unsigned c = p[0];
	size_t n;

	if (c < 0x80) {
		*cp = c;
		return 1;
	}
	if (c >= 0xc2 && c <= 0xdf) {
		n = 1;
		*cp = c & 0x1f;
	} else if (c >= 0xe0 && c <= 0xef) {
		n = 2;
		*cp = c & 0x0f;
	} else if (c >= 0xf0 && c <= 0xf4) {
		n = 3;
		*cp = c & 0x07;
	} else
		return 0;
	for (size_t i = 1; i <= n; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;	/* also stops at the NUL */
		*cp = *cp << 6 | (p[i] & 0x3f);
	}
	if ((n == 2 && *cp < 0x800) || (n == 3 && *cp < 0x10000) ||
	    (*cp >= 0xd800 && *cp <= 0xdfff) || *cp > 0x10ffff)
		return 0;
	return n + 1;
}

#endif /* TRAMON_UTF8_H */
