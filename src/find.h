/*
 * find: searching memory for strings, literal text, hex patterns and
 * regular expressions, with every match placed at its address.
 *
 * A finder is fed the bytes of a selection in address order.  Consecutive
 * feeds whose addresses touch are one continuous text, so a match may cross
 * a read block or the boundary of two address-adjacent regions and is still
 * found exactly once; ml_finder_break() (a hole, a gap between regions)
 * ends every match in progress.  Memory stays flat: the finder keeps one
 * window of at most ML_FIND_BLOCK + ML_FIND_SPAN bytes.
 *
 * Semantics, chosen to agree with the tools responders already use:
 * - strings: maximal runs of printable bytes (0x20-0x7e and tab) of at least
 *   `min` characters, like GNU `strings -a`; UTF-16LE runs are 16-bit units
 *   (printable byte, 0), scanned at every byte offset as `strings -e l` does.
 * - text and hex: every occurrence, overlapping ones included.
 * - regex: PCRE2 (JIT), leftmost non-overlapping matches like `grep -obaP`;
 *   empty matches are not reported; ^ and $ hold at the ends of a
 *   continuous run of data; a match is at most ML_FIND_SPAN bytes long (a
 *   longer one is reported cut at that length).
 */
#ifndef ML_FIND_H
#define ML_FIND_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define ML_FIND_BLOCK ((size_t)4 << 20)
#define ML_FIND_SPAN ((size_t)64 << 10)
/* Characters of a string kept for its text; its length is always exact. */
#define ML_FIND_TEXT_MAX ((size_t)64 << 10)

enum ml_find_kind { ML_FIND_STRING, ML_FIND_TEXT, ML_FIND_HEX, ML_FIND_REGEX, ML_FIND_YARA };
enum ml_find_enc { ML_ENC_NONE, ML_ENC_ASCII, ML_ENC_UTF16LE };

struct ml_find_match {
	uint64_t addr;
	uint64_t len;		/* bytes of memory the match covers */
	enum ml_find_kind kind;
	enum ml_find_enc enc;	/* strings and text; ML_ENC_NONE otherwise */
	size_t pattern;		/* index among the patterns of its kind, in the order added */
	/*
	 * The characters: for strings and text one byte each (UTF-16 decoded,
	 * a string cut at ML_FIND_TEXT_MAX), for regex the matched bytes; NULL
	 * for hex.  raw: the matched bytes themselves (text, hex, regex; NULL
	 * for strings).  Both valid during the callback only.
	 */
	const uint8_t *text;
	size_t ntext;
	const uint8_t *raw;
	size_t nraw;		/* bytes at raw: len, or fewer for YARA (its match data cap) */
	const char *rule, *id;	/* YARA: the rule and the string identifier ("$a") */
};

/* Called for every match; a non-zero return stops the search (and is returned). */
typedef int (*ml_find_cb)(void *ctx, const struct ml_find_match *m);

struct ml_finder;

struct ml_finder *ml_finder_new(ml_find_cb cb, void *ctx);
void ml_finder_free(struct ml_finder *f);

/* Printable runs of at least min (1..ML_FIND_TEXT_MAX) characters. */
void ml_finder_add_strings(struct ml_finder *f, unsigned min, bool ascii, bool utf16);
/*
 * A literal (1..ML_FIND_SPAN/2 bytes), in ASCII and/or UTF-16LE form;
 * icase folds ASCII letters.  Returns its pattern index.
 */
size_t ml_finder_add_text(struct ml_finder *f, const char *text, size_t len, bool icase,
			  bool ascii, bool utf16);
/*
 * A hex pattern: byte pairs, optionally separated by spaces, `??` for any
 * byte ("de ad ?? ef", "dead??ef").  -1 with *why on a bad pattern.
 */
int ml_finder_add_hex(struct ml_finder *f, const char *spec, size_t *index, const char **why);
/*
 * A PCRE2 regular expression over bytes.  -1 with a message (naming the
 * offset in the pattern) in err on a pattern that does not compile.
 */
int ml_finder_add_regex(struct ml_finder *f, const char *re, bool icase, size_t *index,
			char *err, size_t errlen);

/*
 * The next bytes of the selection, at addr.  When addr does not continue the
 * previous feed, the previous text ends first.  Returns the callback's
 * non-zero value if it stopped the search, else 0.
 */
int ml_finder_feed(struct ml_finder *f, uint64_t addr, const uint8_t *data, size_t len);
/* A hole or a gap: every match in progress ends here.  Same return. */
int ml_finder_break(struct ml_finder *f);

#endif
