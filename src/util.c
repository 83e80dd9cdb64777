/*
 * util: diagnostics, allocation, checked parsing and text escaping shared by
 * every command.  Untrusted text is escaped here and nowhere else, so there
 * is exactly one place to get it right.
 */
#include "config.h"
#include "util.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

const char *ml_cmd = NULL;
bool ml_quiet = false;
unsigned long ml_warnings = 0;

static char *capture;
static size_t capture_len;

void ml_diag_capture(char *buf, size_t len)
{
	capture = buf;
	capture_len = len;
	if (buf && len)
		buf[0] = '\0';
}

static bool progress_shown;

void ml_progress(FILE *f, const char *fmt, ...)
{
	va_list ap;
	fputc('\r', f);
	va_start(ap, fmt);
	vfprintf(f, fmt, ap);
	va_end(ap);
	/* Erase to the end of the line: a shorter line leaves nothing stale. */
	fputs("\033[K", f);
	fflush(f);
	progress_shown = true;
}

void ml_progress_end(FILE *f)
{
	if (!progress_shown)
		return;
	fputs("\r\033[K", f);
	fflush(f);
	progress_shown = false;
}

/* The attribute lets clang check callers' formats (-Wformat-nonliteral). */
static void vmsg(const char *kind, const char *fmt, va_list ap) __attribute__((format(printf, 2, 0)));
static void vmsg(const char *kind, const char *fmt, va_list ap)
{
	if (capture) {
		/* The first diagnostic says why; later ones follow from it. */
		if (capture_len && !capture[0])
			vsnprintf(capture, capture_len, fmt, ap);
		return;
	}
	ml_progress_end(stderr);
	fputs("memlens: ", stderr);
	if (ml_cmd)
		fprintf(stderr, "%s: ", ml_cmd);
	if (kind)
		fputs(kind, stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
}

void ml_err(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vmsg(NULL, fmt, ap);
	va_end(ap);
}

int ml_stdout_done(void)
{
	/* errno still holds why the report's first failed write failed. */
	int e = errno;
	if (fflush(stdout))
		e = errno;
	else if (!ferror(stdout))
		return 0;
	if (e != EPIPE)
		ml_err("write to standard output failed: %s", strerror(e));
	return -1;
}

void ml_warn(const char *fmt, ...)
{
	va_list ap;
	ml_warnings++;
	if (ml_quiet)
		return;
	va_start(ap, fmt);
	vmsg("warning: ", fmt, ap);
	va_end(ap);
}

void ml_note(const char *fmt, ...)
{
	va_list ap;
	if (ml_quiet)
		return;
	va_start(ap, fmt);
	vmsg(NULL, fmt, ap);
	va_end(ap);
}

static void oom(void)
{
	ml_err("out of memory");
	exit(ML_EXIT_FAIL);
}

void *ml_malloc(size_t n)
{
	void *p = malloc(n ? n : 1);
	if (!p)
		oom();
	return p;
}

void *ml_calloc(size_t nmemb, size_t size)
{
	void *p = calloc(nmemb ? nmemb : 1, size ? size : 1);
	if (!p)
		oom();
	return p;
}

void *ml_reallocarray(void *p, size_t nmemb, size_t size)
{
	if (size && nmemb > SIZE_MAX / size)
		oom();
	size_t bytes = nmemb * size;
	p = realloc(p, bytes ? bytes : 1);
	if (!p)
		oom();
	return p;
}

char *ml_strdup(const char *s)
{
	return ml_strndup(s, strlen(s));
}

char *ml_strndup(const char *s, size_t n)
{
	char *p = ml_malloc(n + 1);
	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

/* strtoull accepts leading space and a sign; we accept neither. */
static int parse_digits(const char *s, int base, uint64_t *out)
{
	char *end;
	if (!*s || !isxdigit((unsigned char)*s))
		return -1;
	errno = 0;
	unsigned long long v = strtoull(s, &end, base);
	if (errno || *end)
		return -1;
	*out = v;
	return 0;
}

int ml_parse_uint(const char *s, uint64_t min, uint64_t max, uint64_t *out)
{
	uint64_t v;
	int r;
	if (!s)
		return -1;
	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X'))
		r = parse_digits(s + 2, 16, &v);
	else if (isdigit((unsigned char)*s))
		r = parse_digits(s, 10, &v);
	else
		r = -1;
	if (r || v < min || v > max)
		return -1;
	*out = v;
	return 0;
}

int ml_parse_addr(const char *s, uint64_t *out)
{
	if (!s)
		return -1;
	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X'))
		s += 2;
	return parse_digits(s, 16, out);
}

int ml_parse_size(const char *s, uint64_t *out)
{
	size_t n = s ? strlen(s) : 0;
	unsigned shift = 0;
	if (!n)
		return -1;
	switch (s[n - 1]) {
	case 'k': case 'K': shift = 10; break;
	case 'm': case 'M': shift = 20; break;
	case 'g': case 'G': shift = 30; break;
	case 't': case 'T': shift = 40; break;
	}
	char *num = ml_strndup(s, shift ? n - 1 : n);
	uint64_t v;
	int r = ml_parse_uint(num, 0, UINT64_MAX, &v);
	free(num);
	if (r || (shift && v > (UINT64_MAX >> shift)))
		return -1;
	*out = v << shift;
	return 0;
}

/*
 * Code points that pass through as UTF-8 but must not reach a reader raw:
 * C1 controls (U+0080-U+009F: some terminals obey them), the bidirectional
 * formatting characters (U+061C, U+200E/F, U+202A-E, U+2066-9: they
 * reorder what a responder reads) and the line and paragraph separators
 * (U+2028/9: some viewers break lines on them).
 */
static bool cp_hidden(uint32_t cp)
{
	return (cp >= 0x80 && cp < 0xa0) || cp == 0x61c || cp == 0x200e || cp == 0x200f ||
	       (cp >= 0x202a && cp <= 0x202e) || (cp >= 0x2066 && cp <= 0x2069) ||
	       cp == 0x2028 || cp == 0x2029;
}

/*
 * Length of the UTF-8 sequence at s when it is valid and safe to show as
 * it is, else 0.  ctl: whether ASCII control bytes (below 0x20) count as
 * safe (JSON escapes those itself).  A backslash is never "safe": it is
 * the escape character of the escaped form.
 */
static size_t utf8_ok(const unsigned char *s, bool ctl)
{
	unsigned c = s[0];
	size_t n;
	uint32_t cp;
	if (c < 0x80)
		return (c >= 0x20 || ctl) && c != 0x7f && c != '\\' ? 1 : 0;
	if (c >= 0xc2 && c <= 0xdf) { n = 2; cp = c & 0x1f; }
	else if (c >= 0xe0 && c <= 0xef) { n = 3; cp = c & 0x0f; }
	else if (c >= 0xf0 && c <= 0xf4) { n = 4; cp = c & 0x07; }
	else return 0;
	for (size_t i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3f);
	}
	/* Overlong forms, surrogates, beyond Unicode, and what must not show. */
	if ((n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000) ||
	    (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff || cp_hidden(cp))
		return 0;
	return n;
}

/*
 * The one escaped form of untrusted text (see util.h).  Every byte that is
 * not kept as it is becomes \\ (the backslash), \n \t \r, or \xNN, so the
 * text can always be turned back into the exact bytes.
 */
static char *escape(const char *s, size_t len, bool json)
{
	/*
	 * A NUL-terminated copy: the UTF-8 check reads ahead, and stops at a
	 * NUL (never a continuation byte) instead of at the end of the bytes.
	 */
	char *copy = ml_malloc(len + 1);
	memcpy(copy, s, len);
	copy[len] = '\0';
	const unsigned char *p = (const unsigned char *)copy, *end = p + len;
	size_t cap = len * 4 + 1, o = 0;
	char *out = ml_malloc(cap);
	while (p < end) {
		size_t n = *p ? utf8_ok(p, json) : 0;
		if (n) {
			memcpy(out + o, p, n);
			o += n;
			p += n;
			continue;
		}
		const char *e = NULL;
		switch (*p) {
		case '\\': e = "\\\\"; break;
		case '\n': e = "\\n"; break;
		case '\t': e = "\\t"; break;
		case '\r': e = "\\r"; break;
		}
		if (e) {
			memcpy(out + o, e, 2);
			o += 2;
		} else {
			o += (size_t)snprintf(out + o, 5, "\\x%02x", *p);
		}
		p++;
	}
	out[o] = '\0';
	free(copy);
	return out;
}

char *ml_escape(const char *s)
{
	return escape(s, strlen(s), false);
}

char *ml_escape_n(const char *s, size_t n)
{
	return escape(s, n, false);
}

char *ml_utf8_clean(const char *s)
{
	return escape(s, strlen(s), true);
}

char *ml_utf8_clean_n(const char *s, size_t n)
{
	return escape(s, n, true);
}

void ml_fputs_escaped(FILE *f, const char *s)
{
	char *e = ml_escape(s);
	fputs(e, f);
	free(e);
}

const char *ml_human_size(uint64_t n, char *buf, size_t len)
{
	static const char *unit[] = { "B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB" };
	double v = (double)n;
	unsigned u = 0;
	while (v >= 1024 && u + 1 < ML_ARRAY_SIZE(unit)) {
		v /= 1024;
		u++;
	}
	if (u == 0)
		snprintf(buf, len, "%llu B", (unsigned long long)n);
	else
		snprintf(buf, len, "%.1f %s", v, unit[u]);
	return buf;
}

bool ml_isatty(int fd)
{
	return isatty(fd) == 1;
}

char *ml_read_text(const char *path, size_t max, size_t *len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return NULL;
	size_t cap = ML_MIN(max + 1, (size_t)1 << 16), n = 0;
	char *buf = ml_malloc(cap);
	for (;;) {
		if (n + 1 >= cap) {
			if (n >= max) {
				errno = EFBIG;
				goto fail;
			}
			cap = ML_MIN(cap * 2, max + 1);
			buf = ml_reallocarray(buf, cap, 1);
		}
		ssize_t k = read(fd, buf + n, cap - n - 1);
		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0)
			goto fail;
		if (k == 0)
			break;
		n += (size_t)k;
	}
	close(fd);
	buf[n] = '\0';
	if (len)
		*len = n;
	return buf;
fail:;
	int e = errno;
	close(fd);
	free(buf);
	errno = e;
	return NULL;
}

void ml_hex_bytes(const uint8_t *b, size_t n, char *out, size_t cap)
{
	static const char hx[] = "0123456789abcdef";
	size_t o = 0;
	for (size_t i = 0; i < n && o + 3 + (i != 0) <= cap; i++) {
		if (i)
			out[o++] = ' ';
		out[o++] = hx[b[i] >> 4];
		out[o++] = hx[b[i] & 15];
	}
	if (cap)
		out[o] = '\0';
}

/* HTML text: the five markup characters as entities. */
void ml_html_text(FILE *f, const char *s)
{
	char *c = ml_utf8_clean(s ? s : "");
	for (const char *p = c; *p; p++) {
		switch (*p) {
		case '&': fputs("&amp;", f); break;
		case '<': fputs("&lt;", f); break;
		case '>': fputs("&gt;", f); break;
		case '"': fputs("&quot;", f); break;
		case '\'': fputs("&#39;", f); break;
		default:
			if ((unsigned char)*p < 0x20 && *p != '\n' && *p != '\t')
				fprintf(f, "&#xfffd;");
			else
				fputc(*p, f);
		}
	}
	free(c);
}

void ml_base64(FILE *f, const uint8_t *p, size_t n)
{
	static const char t[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	for (size_t i = 0; i < n; i += 3) {
		uint32_t v = (uint32_t)p[i] << 16 | (i + 1 < n ? (uint32_t)p[i + 1] << 8 : 0) |
			     (i + 2 < n ? p[i + 2] : 0);
		fputc(t[v >> 18 & 63], f);
		fputc(t[v >> 12 & 63], f);
		fputc(i + 1 < n ? t[v >> 6 & 63] : '=', f);
		fputc(i + 2 < n ? t[v & 63] : '=', f);
	}
}

uint64_t ml_square_side(uint64_t n)
{
	/* sqrtl's guess, put right in 128 bits: w * w passes 2^64 when n is near it. */
	uint64_t w = (uint64_t)sqrtl((long double)n);
	while ((unsigned __int128)w * w < n)
		w++;
	while (w && (unsigned __int128)(w - 1) * (w - 1) >= n)
		w--;
	return w;
}
