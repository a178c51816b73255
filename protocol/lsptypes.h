/* lsptypes.h - LSP's basic structures as JSON: Position, Range, and the
 * negotiation of the position encoding.
 *
 * Reading is strict about types (line and character must be non-negative
 * integers; a value over 2^32-1 saturates, which the clamping of position.h
 * then treats as "past the end"); writing never fails. */
#ifndef APLS_LSP_LSPTYPES_H
#define APLS_LSP_LSPTYPES_H

#include "position.h"

#include <jansson.h>
#include <stdbool.h>

/* Reads {"line":L,"character":C} into *out; false (and *out untouched) if j is
 * not such an object. Borrows j. */
bool lsp_position_from_json(const json_t *j, lsp_position *out);

/* Reads {"start":P,"end":P} into *out; false if j is not such an object.
 * Borrows j. */
bool lsp_range_from_json(const json_t *j, lsp_range *out);

/* A new {"line","character"} object; the caller owns it. */
json_t *lsp_position_to_json(lsp_position pos);

/* A new {"start","end"} object; the caller owns it. */
json_t *lsp_range_to_json(lsp_range range);

/* Picks the position encoding from initialize params: "utf-8" when
 * capabilities.general.positionEncodings offers it, else "utf-16" (which every
 * client supports). The pre-3.17 "offsetEncoding" extension is ignored on
 * purpose. Borrows params, which may be NULL. */
lsp_encoding lsp_encoding_negotiate(const json_t *initialize_params);

#endif
