/*
 * error.h — keeping the error that got us here while clean-up calls
 * (rollback, unlock, switching foreign keys back) may raise their own.
 */
#ifndef LADDER_ERROR_H
#define LADDER_ERROR_H

#include "ladder.h"
#include "ladder/sys/driver.h" /* ladder_error_saved, save and restore */

#endif /* LADDER_ERROR_H */
