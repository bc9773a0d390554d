/*
 * diff.h — a unified diff of two texts, line by line, for verify's reports.
 */
#ifndef LADDER_DIFF_H
#define LADDER_DIFF_H

#include "ladder/sys/driver.h"

/* Append to out a unified diff (3 lines of context) turning a into b, with
 * --- label_a / +++ label_b headers. Each hunk header names the object the
 * hunk is in: the nearest line above it that is not indented. */
int ladder_diff(ladder_buf *out, const char *label_a, const char *a, const char *label_b, const char *b);

#endif /* LADDER_DIFF_H */
