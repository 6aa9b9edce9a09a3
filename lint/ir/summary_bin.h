/* The binary form of an IR summary: what parse workers send the driver, what the
 * summary cache stores and what shards hold. A header (magic, format version, the
 * writer's build id, the body's length), a string table (each string once, referred to
 * by index), then the IR as LEB128 integers and counted arrays. The JSON form
 * (ir_summary_to_json) is for people (--dump-ir); this one is for calm-lint. */
#ifndef CALM_LINT_SUMMARY_BIN_H
#define CALM_LINT_SUMMARY_BIN_H

#include <stdbool.h>
#include <stddef.h>

#include "ir.h"

/* The version of the summary's content, in both forms; a reader takes only its own. */
#define IR_SUMMARY_FORMAT 3

#define IR_BIN_BUILD_ID_MAX 255 /* bytes of a build id */

/* Encodes `s`; `build_id` (at most IR_BIN_BUILD_ID_MAX bytes, NULL: none) names the
 * writing build, so that a reader refuses what another build wrote. With
 * `with_includes`, s->includes go too (the worker's reply; a cache entry keeps its own
 * dependency list). Returns a malloc'd buffer of *len bytes. */
void *ir_summary_to_bin(const ir_summary *s, const char *build_id, bool with_includes, size_t *len);

/* Decodes `len` bytes written by ir_summary_to_bin. Every index, count and length is
 * checked against the data, so a truncated or corrupt input is an error, never a read
 * out of bounds. `build_id` NULL: any writer; else it must match. The IR's arrays and
 * strings live in one block the summary owns (ir_summary.arena): the result is not
 * to be added to, except for includes. Returns NULL on error with *error (malloc'd,
 * one line) saying why. */
ir_summary *ir_summary_from_bin(const void *data, size_t len, const char *build_id, char **error);

#endif
