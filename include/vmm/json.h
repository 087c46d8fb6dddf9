#ifndef VMM_JSON_H
#define VMM_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "vmm/util.h"

/*
 * A small, strict JSON reader (RFC 8259) for files vmm wrote itself, which
 * may come back damaged or hand-edited: it checks all of the grammar, UTF-8
 * and escapes, refuses duplicate keys, and never reads outside the text.
 *
 * The text is parsed into a flat array of nodes, in document order; node 0
 * is the root value. An object's children are its keys (strings) each
 * followed by its value; an array's children are its elements.
 */

#define JSON_MAX_DEPTH	32		/* arrays and objects inside one another */
#define JSON_MAX_NODES	4096		/* values in one text, keys included */
#define JSON_MAX_TEXT	(1u << 20)	/* bytes of text */

enum json_type {
	JSON_NULL,
	JSON_BOOL,
	JSON_NUMBER,
	JSON_STRING,
	JSON_ARRAY,
	JSON_OBJECT,
};

struct json_node {
	enum json_type type;
	uint32_t start, end;	/* the value's bytes in the text; a string's without quotes */
	uint32_t count;		/* elements of an array, members of an object */
	uint32_t next;		/* the node after this value and everything inside it */
};

struct json_doc {
	const char *text;	/* not owned; must outlive the doc */
	size_t len;
	struct json_node *nodes;
	unsigned nr_nodes;
};

/*
 * Parses text[0..len) (no terminating NUL needed). Returns 0, or -EINVAL
 * with "line L, column C: what" in err (-ENOMEM without memory). The doc
 * keeps pointing into text.
 */
int json__parse(struct json_doc *doc, const char *text, size_t len,
		char *err, size_t errlen) __must_check;
void json__free(struct json_doc *doc);

/* "an object", "a string"...: for messages. */
const char *json__type_name(enum json_type type);
/* The type of node i; JSON_NULL when there is no node i. */
enum json_type json__type(const struct json_doc *doc, int i);

/* The value of key in object obj; -ENOENT when absent, -EINVAL if obj is no object. */
int json__member(const struct json_doc *doc, int obj, const char *key);
/* The first element of array arr, then the one after elem; -ENOENT past the end. */
int json__first(const struct json_doc *doc, int arr);
int json__next(const struct json_doc *doc, int arr, int elem);
/*
 * The first key of object obj, then the key after key; its value is the
 * node key + 1. -ENOENT past the end, -EINVAL if obj is no object.
 */
int json__first_key(const struct json_doc *doc, int obj);
int json__next_key(const struct json_doc *doc, int obj, int key);

/*
 * A number that is a whole integer written without fraction or exponent.
 * Returns 0, -EINVAL when node i is not such a number, -ERANGE when it does
 * not fit in an int64_t.
 */
int json__int(const struct json_doc *doc, int i, int64_t *out);
/* Returns 0, or -EINVAL when node i is not true or false. */
int json__bool(const struct json_doc *doc, int i, bool *out);
/*
 * A string, unescaped (UTF-8) and NUL-terminated. Returns its length, -EINVAL
 * when node i is no string, -ENOSPC when it needs more than len bytes.
 */
int json__string(const struct json_doc *doc, int i, char *buf, size_t len);
/* The node's raw text, shortened to fit buf (for messages). */
void json__excerpt(const struct json_doc *doc, int i, char *buf, size_t len);

/* Writes s as a JSON string, quoted and escaped; invalid UTF-8 becomes U+FFFD. */
void json__write_string(FILE *f, const char *s);

#endif
