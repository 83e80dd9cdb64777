/*
 * json: jansson helpers for the JSON every command prints — untrusted text
 * made valid UTF-8 first, addresses as lowercase hex strings.
 */
#ifndef ML_JSON_H
#define ML_JSON_H

#include <jansson.h>
#include <stdint.h>
#include <stdio.h>

/* A JSON string of untrusted text in the escaped form of util.h, or null for NULL. */
json_t *ml_json_str(const char *s);
/* The same for n bytes of memory (NULs included: they become \x00). */
json_t *ml_json_bytes(const void *b, size_t n);
/* "0x7f..." */
json_t *ml_json_hex(uint64_t v);
/*
 * The "source" object every command's JSON starts with (memlens(1),
 * doc/memlens.schema.json): kind, path, pid, name, page_size, glibc, and
 * for files their size and what was missing.  s: what was read; NULL when
 * the command read the whole machine, whole then naming it ("system",
 * "physical").  glibc: the C library's version when known, else NULL.
 */
struct ml_space;
json_t *ml_json_source(const struct ml_space *s, const char *whole, const char *glibc);
/* Dumps with indentation and a final newline; steals root; -1 on error. */
int ml_json_print(json_t *root, FILE *f);

#endif
