/*
 * util: the small things every part of memlens shares — diagnostics in the
 * one-line `memlens: CMD: what: why` form, allocation that never returns
 * NULL, checked number parsing, and making untrusted text (paths from maps
 * or cores) safe for a terminal or for JSON.
 */
#ifndef ML_UTIL_H
#define ML_UTIL_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* Exit codes: success, runtime failure, usage error. */
enum { ML_EXIT_OK = 0, ML_EXIT_FAIL = 1, ML_EXIT_USAGE = 2 };

/* Name of the running subcommand, used as the prefix of diagnostics. */
extern const char *ml_cmd;
/* Set by --quiet in commands that offer it: warnings are still counted. */
extern bool ml_quiet;
extern unsigned long ml_warnings;

void ml_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/*
 * While buf is set, diagnostics are not printed: the first one (without
 * the "memlens: CMD: " prefix) is kept in buf.  For jobs over many sources
 * (--system) that report per source.  NULL restores printing.
 */
void ml_diag_capture(char *buf, size_t len);
void ml_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/*
 * A line that tells what memlens chose for the user (a picture's width,
 * say): not a warning, so --strict does not fail on it; --quiet hides it.
 */
void ml_note(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/*
 * Flushes a text report on stdout: 0, or -1 after a diagnostic.  A reader
 * that went away (`memlens regions 1 | head`) is not worth one: like cat
 * killed by SIGPIPE, the report just ends, with exit status 1.
 */
int ml_stdout_done(void);

void *ml_malloc(size_t n);
void *ml_calloc(size_t nmemb, size_t size);
void *ml_reallocarray(void *p, size_t nmemb, size_t size);
char *ml_strdup(const char *s);
char *ml_strndup(const char *s, size_t n);

/*
 * Parsing.  Each returns 0 on success, -1 when the text is not a whole
 * number in range.  ml_parse_uint: decimal, or hex with 0x.  ml_parse_addr:
 * hex with or without 0x.  ml_parse_size: a decimal or 0x number with an
 * optional K/M/G/T (binary) suffix.
 */
int ml_parse_uint(const char *s, uint64_t min, uint64_t max, uint64_t *out);
int ml_parse_addr(const char *s, uint64_t *out);
int ml_parse_size(const char *s, uint64_t *out);

/*
 * Untrusted text (paths, process names, arguments from maps or cores) is
 * shown in one escaped form that keeps what is printable, valid UTF-8 and
 * turns everything else into backslash escapes: \\ for a backslash, \n \t
 * \r, and \xNN for each other byte — ASCII controls, DEL, invalid UTF-8,
 * and the UTF-8 bytes of C1 controls, bidirectional formatting characters
 * (U+061C, U+200E/F, U+202A-E, U+2066-9) and U+2028/9.  Decoding the
 * escapes gives back the exact bytes: no two inputs share an output.
 *
 * ml_escape: that form, for terminals, tables and PNG text.
 * ml_utf8_clean: the same for JSON, where jansson escapes the ASCII
 * controls itself: they are left as they are (and a JSON reader gets them
 * back as the control characters they were).
 */
void ml_fputs_escaped(FILE *f, const char *s);
char *ml_escape(const char *s);
char *ml_utf8_clean(const char *s);
/* The same for n bytes that may hold NULs (matched memory): a NUL is \x00. */
char *ml_escape_n(const char *s, size_t n);
char *ml_utf8_clean_n(const char *s, size_t n);

/*
 * A progress line on f (stderr, a terminal): each call rewrites the line
 * and clears what a longer earlier one left; ml_progress_end() removes it.
 * Diagnostics remove it before they print.
 */
void ml_progress(FILE *f, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void ml_progress_end(FILE *f);

/*
 * Reads a whole small text file (/proc's) into a NUL-terminated buffer;
 * NULL with errno set on failure, EFBIG when it holds more than max bytes.
 */
char *ml_read_text(const char *path, size_t max, size_t *len);

/* "de ad be ef": n bytes as spaced hex pairs into out (cut to fit cap). */
void ml_hex_bytes(const uint8_t *b, size_t n, char *out, size_t cap);
/*
 * HTML pages: text with the markup characters as entities (untrusted text
 * made valid UTF-8 first), and bytes as base64 (data: URLs).
 */
void ml_html_text(FILE *f, const char *s);
void ml_base64(FILE *f, const uint8_t *p, size_t n);

/* Human size: "4.0 KiB", written into buf. */
const char *ml_human_size(uint64_t n, char *buf, size_t len);

/* True when fd refers to a terminal (for colour and progress). */
bool ml_isatty(int fd);

#define ML_XSTR(x) #x
#define ML_STR(x) ML_XSTR(x)
#define ML_ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define ML_MIN(a, b) ((a) < (b) ? (a) : (b))
#define ML_MAX(a, b) ((a) > (b) ? (a) : (b))
/* a / b rounded up, for b > 0, without the overflow of (a + b - 1) / b near 2^64. */
#define ML_DIV_UP(a, b) ((a) / (b) + ((a) % (b) != 0))
/* The side of the smallest square that holds n things (0 for 0): up to 2^32, without overflow near 2^64. */
uint64_t ml_square_side(uint64_t n);

#endif
