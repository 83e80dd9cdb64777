/*
 * json: jansson helpers for the JSON every command prints — untrusted text
 * made valid UTF-8 first, addresses as lowercase hex strings.
 */
#ifndef ML_JSON_H
#define ML_JSON_H

#include <jansson.h>
#include <stdint.h>
#include <stdio.h>

/* A JSON string of untrusted text (invalid UTF-8 as \xNN), or null for NULL. */
json_t *ml_json_str(const char *s);
/* "0x7f..." */
json_t *ml_json_hex(uint64_t v);
/* Dumps with indentation and a final newline; steals root; -1 on error. */
int ml_json_print(json_t *root, FILE *f);

#endif
