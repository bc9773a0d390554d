/*
 * error.h — keeping the error that got us here while clean-up calls
 * (rollback, unlock, switching foreign keys back) may raise their own.
 */
#ifndef LADDER_ERROR_H
#define LADDER_ERROR_H

#include "ladder.h"

/* Room for a server's long message with its context; a longer one is cut
 * and ends in an ellipsis, never silently. */
#define LADDER_ERROR_MAX 8192

typedef struct ladder_error_saved {
	int code;
	char message[LADDER_ERROR_MAX];
} ladder_error_saved;

void ladder_error_save(ladder_error_saved *saved);
void ladder_error_restore(const ladder_error_saved *saved);

#endif /* LADDER_ERROR_H */
