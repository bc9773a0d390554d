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

/* *out: a copy of dump with each run of "  column " lines sorted, so two
 * schemas that differ only in column order compare equal. malloc'd. */
int ladder_dump_sort_columns(char **out, const char *dump);

/* For two dumps equal once their columns are sorted: append one line per
 * table whose column order differs, "<indent>table T: (a, b) vs (b, a)". */
int ladder_column_order(ladder_buf *out, const char *indent, const char *a, const char *b);

#endif /* LADDER_DIFF_H */
