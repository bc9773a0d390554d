/*
 * pg_libpq.h — libpq and libpg_query, loaded when the first PostgreSQL
 * connection is made rather than linked: a program (or the CLI) that only
 * ever opens SQLite files should not pay for loading libpq and its
 * dependency chain (about 2 ms of start-up, 20 shared objects), nor
 * libpg_query (its relocations alone cost the CLI more than a no-op `up`
 * does), on every run. Every function the driver calls goes through one
 * table filled by dlsym; the macros at the end keep the driver's code
 * written as ordinary libpq and libpg_query calls. libpg_query loads with
 * libpq, or alone for `ladder lint`, which reads PostgreSQL migrations
 * without a server.
 */
#ifndef LADDER_PG_LIBPQ_H
#define LADDER_PG_LIBPQ_H

#include <libpq-fe.h>
#include <pg_query.h>
#include <pg_query/pg_query.pb-c.h>

#define LADDER_LIBPQ_FUNCTIONS(X)                                                                      \
	X(PQbackendPID) X(PQclear) X(PQclientEncoding) X(PQcmdStatus) X(PQcmdTuples) X(PQconnectdbParams) X(PQconninfo) X(PQconninfoFree)       \
	X(PQconninfoParse) X(PQdb) X(PQerrorMessage) X(PQescapeIdentifier) X(PQexec) X(PQexecParams)        \
	X(PQexecPrepared) X(PQfinish) X(PQfname) X(PQfreemem) X(PQgetCopyData) X(PQgetisnull)               \
	X(PQgetlength) X(PQgetResult) X(PQgetvalue) X(PQhost) X(PQnfields) X(PQntuples) X(PQparameterStatus) \
	X(PQpass) X(PQport) X(PQprepare) X(PQputCopyEnd) X(PQresStatus) X(PQresultErrorField)              \
	X(PQresultErrorMessage) X(PQresultStatus) X(PQsendQuery) X(PQserverVersion) X(PQsetNoticeReceiver) X(PQstatus)         \
	X(PQtransactionStatus) X(PQuser) X(pg_encoding_to_char)

#define LADDER_PG_QUERY_FUNCTIONS(X)                                                                   \
	X(pg_query_free_parse_result) X(pg_query_free_split_result) X(pg_query_parse)                     \
	X(pg_query_split_with_parser) X(pg_query_split_with_scanner) X(pg_query_parse_protobuf) X(pg_query_free_protobuf_parse_result)      \
	X(pg_query__parse_result__unpack) X(pg_query__parse_result__free_unpacked)

typedef struct ladder_libpq {
#define LADDER_X_POINTER(name) __typeof__(name) *name;
	LADDER_LIBPQ_FUNCTIONS(LADDER_X_POINTER)
	LADDER_PG_QUERY_FUNCTIONS(LADDER_X_POINTER)
#undef LADDER_X_POINTER
} ladder_libpq;

extern ladder_libpq ladder_pq;

/* Load libpq and libpg_query once per process (thread-safe); 0, or
 * LADDER_EUNSUPPORTED with a message naming the library when one cannot be
 * loaded. */
int ladder_libpq_load(void);

/* Load libpg_query alone (lint without a server); the same contract. */
int ladder_pg_query_load(void);

/* pg_libpq.c itself names the real functions. */
#ifndef LADDER_LIBPQ_NO_MACROS
#define PQbackendPID (ladder_pq.PQbackendPID)
#define PQclear (ladder_pq.PQclear)
#define PQclientEncoding (ladder_pq.PQclientEncoding)
#define PQcmdStatus (ladder_pq.PQcmdStatus)
#define PQcmdTuples (ladder_pq.PQcmdTuples)
#define PQconnectdbParams (ladder_pq.PQconnectdbParams)
#define PQconninfo (ladder_pq.PQconninfo)
#define PQconninfoFree (ladder_pq.PQconninfoFree)
#define PQconninfoParse (ladder_pq.PQconninfoParse)
#define PQdb (ladder_pq.PQdb)
#define PQerrorMessage (ladder_pq.PQerrorMessage)
#define PQescapeIdentifier (ladder_pq.PQescapeIdentifier)
#define PQexec (ladder_pq.PQexec)
#define PQexecParams (ladder_pq.PQexecParams)
#define PQexecPrepared (ladder_pq.PQexecPrepared)
#define PQfinish (ladder_pq.PQfinish)
#define PQfname (ladder_pq.PQfname)
#define PQfreemem (ladder_pq.PQfreemem)
#define PQgetCopyData (ladder_pq.PQgetCopyData)
#define PQgetisnull (ladder_pq.PQgetisnull)
#define PQgetlength (ladder_pq.PQgetlength)
#define PQgetResult (ladder_pq.PQgetResult)
#define PQgetvalue (ladder_pq.PQgetvalue)
#define PQhost (ladder_pq.PQhost)
#define PQnfields (ladder_pq.PQnfields)
#define PQntuples (ladder_pq.PQntuples)
#define PQparameterStatus (ladder_pq.PQparameterStatus)
#define PQpass (ladder_pq.PQpass)
#define PQport (ladder_pq.PQport)
#define PQprepare (ladder_pq.PQprepare)
#define PQputCopyEnd (ladder_pq.PQputCopyEnd)
#define PQresStatus (ladder_pq.PQresStatus)
#define PQresultErrorField (ladder_pq.PQresultErrorField)
#define PQresultErrorMessage (ladder_pq.PQresultErrorMessage)
#define PQresultStatus (ladder_pq.PQresultStatus)
#define PQsendQuery (ladder_pq.PQsendQuery)
#define PQserverVersion (ladder_pq.PQserverVersion)
#define PQsetNoticeReceiver (ladder_pq.PQsetNoticeReceiver)
#define PQstatus (ladder_pq.PQstatus)
#define PQtransactionStatus (ladder_pq.PQtransactionStatus)
#define PQuser (ladder_pq.PQuser)
#define pg_encoding_to_char (ladder_pq.pg_encoding_to_char)
#define pg_query_free_parse_result (ladder_pq.pg_query_free_parse_result)
#define pg_query_free_split_result (ladder_pq.pg_query_free_split_result)
#define pg_query_parse (ladder_pq.pg_query_parse)
#define pg_query_split_with_parser (ladder_pq.pg_query_split_with_parser)
#define pg_query_split_with_scanner (ladder_pq.pg_query_split_with_scanner)
#define pg_query_parse_protobuf (ladder_pq.pg_query_parse_protobuf)
#define pg_query_free_protobuf_parse_result (ladder_pq.pg_query_free_protobuf_parse_result)
#define pg_query__parse_result__unpack (ladder_pq.pg_query__parse_result__unpack)
#define pg_query__parse_result__free_unpacked (ladder_pq.pg_query__parse_result__free_unpacked)
#endif

#endif /* LADDER_PG_LIBPQ_H */
