/*
 * txn.c — lock, begin, commit, abandon, unlock (see txn.h).
 */
#include "txn.h"

#include "error.h"

int txn_needs_lock(const ladder_db *db, int commits_more_than_once)
{
	return commits_more_than_once || conn_can(db->conn, LADDER_DRIVER_LOCK_ALWAYS);
}

int txn_lock(txn *t)
{
	int error = conn_lock(t->db->conn, &t->db->store, t->db->lock_timeout_ms);
	if (error == 0)
		t->locked = 1;
	return error;
}

int txn_begin(txn *t)
{
	int error = conn_begin(t->db->conn, 1);
	if (error == 0)
		t->open = 1;
	return error;
}

int txn_commit(txn *t, history *h)
{
	int error;

	if ((error = history_flush(h, t->db)) < 0 || (error = conn_commit(t->db->conn)) < 0)
		return error;
	t->open = 0;
	return 0;
}

void txn_abandon(txn *t, history *h)
{
	if (t->open || conn_in_transaction(t->db->conn)) {
		ladder_error_saved saved;
		ladder_error_save(&saved);
		conn_rollback(t->db->conn);
		ladder_error_restore(&saved);
	}
	t->open = 0;
	if (h != NULL)
		history_drop_unflushed(h);
}

void txn_unlock(txn *t)
{
	if (t->locked) {
		ladder_error_saved saved;
		ladder_error_save(&saved);
		conn_unlock(t->db->conn, &t->db->store);
		ladder_error_restore(&saved);
		t->locked = 0;
	}
}
