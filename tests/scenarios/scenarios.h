/*
 * scenarios.h — the engine-neutral scenarios: each is a cmocka test whose
 * state is the engine fixture (engine.h) it runs against. TU_SCENARIOS lists
 * them in the order the suite runs them; suite.c runs them on one engine.
 */
#ifndef LADDER_SCENARIOS_H
#define LADDER_SCENARIOS_H

#include "engine.h"

#define TU_SCENARIOS(X)                                                                                          \
	/* run.c: what a run does */                                                                              \
	X(apply_then_noop_writes_nothing)                                                                         \
	X(failure_in_second_of_three_changes_nothing)                                                             \
	X(errors_name_file_and_line)                                                                              \
	X(down_by_steps_and_to_target)                                                                            \
	X(baseline_only_for_empty_databases)                                                                      \
	X(no_transaction_steps_are_recorded_and_repaired)                                                         \
	X(interrupted_no_transaction_down_is_recorded)                                                            \
	X(tx_per_migration_keeps_earlier_steps)                                                                   \
	X(c_callbacks_and_post_conditions)                                                                        \
	X(wrapped_handle_stays_open_and_refuses_open_transaction)                                                 \
	X(up_to_target_and_status)                                                                                \
	/* refusals.c: what a run refuses, changing nothing */                                                    \
	X(edited_migration_is_refused_then_repaired)                                                              \
	X(crlf_checkout_is_not_an_edit)                                                                           \
	X(newer_database_is_refused_unless_allowed)                                                               \
	X(out_of_order_is_refused_unless_allowed)                                                                 \
	X(below_floor_is_refused)                                                                                 \
	X(missing_down_stops_before_anything_changes)                                                             \
	/* concurrency.c: many migrators, and the lock */                                                         \
	X(fresh_database_many_openers)                                                                            \
	X(behind_database_with_slow_step)                                                                         \
	X(lock_timeout_changes_nothing)                                                                           \
	X(lock_is_released_on_every_exit_path)                                                                    \
	/* crash.c: SIGKILL */                                                                                    \
	X(kill_at_random_moments)                                                                                 \
	X(killed_no_transaction_step_shows_as_interrupted)

#define TU_DECLARE_SCENARIO(name) void name(void **state);
TU_SCENARIOS(TU_DECLARE_SCENARIO)

/* The fixture a scenario runs against. */
#define TU_ENGINE(state) ((const tu_engine *)*(state))

/* Steps 1 a (up, down), 2 b in dbmate's one-file form (two rows), 3 c. */
const char *tu_three_steps(void);

/* The next migrate has nothing to do: the fast path. */
void tu_assert_fast_path(ladder_db *db, const ladder_plan *plan);

/* What the history store records, one "version:state" line each. */
#define TU_HISTORY_STATES "SELECT version || ':' || state FROM ladder_history ORDER BY version"

#endif /* LADDER_SCENARIOS_H */
