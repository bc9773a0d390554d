/*
 * embed.c — render a plan as C source (`ladder embed`), so an
 * application ships its migrations inside its binary and needs no files at
 * run time. The output is deterministic (no dates, no host names), readable
 * (one string literal per SQL line) and carries the checksums precomputed.
 */
#include "ladder.h"
#include "ladder/sys/driver.h"
#include "plan.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

/* The whole output is built in memory (a ladder_buf): the caller prints it
 * or ladder_file_write() lands it whole. */

static int starts_with(const char *s, const char *prefix)
{
	return strncmp(s, prefix, strlen(prefix)) == 0;
}

static int ends_with(const char *s, const char *suffix)
{
	size_t len = strlen(s), suffix_len = strlen(suffix);
	return len >= suffix_len && strcmp(s + len - suffix_len, suffix) == 0;
}

/* The symbol `ladder embed` uses when given none: the library promises
 * never to declare it. */
#define DEFAULT_SYMBOL "ladder_migrations"

/* Why `s` cannot name the generated variable, or NULL if it can. The file
 * must compile wherever <ladder.h> does, so besides C's own rules the names
 * <ladder.h> and the headers it includes declare (or reserve) are refused. */
static const char *symbol_problem(const char *s)
{
	static const char *const keywords[] = {
		"auto", "break", "case", "char", "const", "continue", "default", "do", "double", "else", "enum",
		"extern", "float", "for", "goto", "if", "inline", "int", "long", "register", "restrict", "return",
		"short", "signed", "sizeof", "static", "struct", "switch", "typedef", "union", "unsigned", "void",
		"volatile", "while",
		/* C23, and GNU C's own */
		"bool", "true", "false", "alignas", "alignof", "static_assert", "thread_local", "constexpr",
		"nullptr", "typeof", "typeof_unqual", "asm",
	};
	/* <stddef.h> and <stdint.h> beyond the INT / UINT / int / uint families */
	static const char *const standard[] = {
		"NULL", "offsetof", "size_t", "ptrdiff_t", "wchar_t", "max_align_t", "SIZE_MAX", "PTRDIFF_MIN",
		"PTRDIFF_MAX", "WCHAR_MIN", "WCHAR_MAX", "WINT_MIN", "WINT_MAX", "SIG_ATOMIC_MIN", "SIG_ATOMIC_MAX",
	};

	if (s == NULL || !((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || *s == '_'))
		return "is not a C identifier (letters, digits and '_', not starting with a digit)";
	for (const char *p = s + 1; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') || *p == '_'))
			return "is not a C identifier (letters, digits and '_', not starting with a digit)";
	for (size_t i = 0; i < sizeof(keywords) / sizeof(keywords[0]); i++)
		if (strcmp(s, keywords[i]) == 0)
			return "is a C keyword";
	/* _Bool, _Static_assert, __func__ and the compiler's own names */
	if (s[0] == '_' && (s[1] == '_' || (s[1] >= 'A' && s[1] <= 'Z')))
		return "is reserved for the C implementation (it starts with '__' or '_' and a capital letter)";
	if ((starts_with(s, "ladder_") || starts_with(s, "LADDER_")) && strcmp(s, DEFAULT_SYMBOL) != 0)
		return "is in libladder's namespace (<ladder.h> declares names starting with 'ladder_' and 'LADDER_')";
	for (size_t i = 0; i < sizeof(standard) / sizeof(standard[0]); i++)
		if (strcmp(s, standard[i]) == 0)
			return "is declared by <stddef.h> or <stdint.h>, which <ladder.h> includes";
	if (((starts_with(s, "int") || starts_with(s, "uint")) && ends_with(s, "_t")) ||
	    ((starts_with(s, "INT") || starts_with(s, "UINT")) &&
	     (ends_with(s, "_MAX") || ends_with(s, "_MIN") || ends_with(s, "_C"))))
		return "is reserved for <stdint.h>, which <ladder.h> includes";
	return NULL;
}

/* One byte of a string literal. `prev` is the byte before it in the same
 * literal: "??" would start a trigraph under -std=c11, so the second '?'
 * is escaped. Octal escapes always take three digits, so a digit after one
 * can never be read as part of it. */
static void put_byte(ladder_buf *b, unsigned char c, unsigned char prev)
{
	switch (c) {
	case '\\':
		ladder_buf_puts(b, "\\\\");
		break;
	case '"':
		ladder_buf_puts(b, "\\\"");
		break;
	case '\n':
		ladder_buf_puts(b, "\\n");
		break;
	case '\t':
		ladder_buf_puts(b, "\\t");
		break;
	case '\r':
		ladder_buf_puts(b, "\\r");
		break;
	case '?':
		ladder_buf_puts(b, prev == '?' ? "\\?" : "?");
		break;
	default:
		if (c < 0x20 || c >= 0x7f) {
			ladder_buf_printf(b, "\\%03o", c);
		} else {
			char ch = (char)c;
			ladder_buf_put(b, &ch, 1);
		}
		break;
	}
}

/* " " and text as C string literals, or " NULL". Text of more than one
 * line becomes one literal per line, each on its own line after `indent`
 * instead, so the SQL stays readable (and diffable) in the generated file. */
static void put_string(ladder_buf *b, const char *text, const char *indent)
{
	const unsigned char *p = (const unsigned char *)text;
	const char *newline;
	unsigned char prev = 0;
	int multiline;

	if (text == NULL) {
		ladder_buf_puts(b, " NULL");
		return;
	}
	newline = strchr(text, '\n');
	multiline = indent != NULL && newline != NULL && newline[1] != '\0';
	if (multiline) {
		ladder_buf_puts(b, "\n");
		ladder_buf_puts(b, indent);
	} else {
		ladder_buf_puts(b, " ");
	}
	ladder_buf_puts(b, "\"");
	for (; *p; p++) {
		put_byte(b, *p, prev);
		prev = *p;
		if (*p == '\n' && multiline && p[1] != '\0') {
			ladder_buf_puts(b, "\"\n");
			ladder_buf_puts(b, indent);
			ladder_buf_puts(b, "\"");
			prev = 0;
		}
	}
	ladder_buf_puts(b, "\"");
}

/* Text for a comment: printable ASCII only, and never a comment end, a
 * comment start (-Wcomment) or a trigraph. */
static void put_comment_text(ladder_buf *b, const char *text, size_t len)
{
	char prev = 0;
	for (size_t i = 0; i < len; i++) {
		char c = text[i];
		if ((unsigned char)c < 0x20 || (unsigned char)c >= 0x7f || (prev == '*' && c == '/') ||
		    (prev == '/' && c == '*') || (prev == '?' && c == '?'))
			c = '_';
		ladder_buf_put(b, &c, 1);
		prev = c;
	}
}

static void put_flags(ladder_buf *b, unsigned int flags)
{
	const char *sep = "";

	if (flags == 0) {
		ladder_buf_puts(b, "0");
		return;
	}
	if (flags & LADDER_NO_TRANSACTION) {
		ladder_buf_puts(b, "LADDER_NO_TRANSACTION");
		sep = " | ";
	}
	if (flags & LADDER_FOREIGN_KEYS_OFF) {
		ladder_buf_printf(b, "%sLADDER_FOREIGN_KEYS_OFF", sep);
		sep = " | ";
	}
	flags &= ~(LADDER_NO_TRANSACTION | LADDER_FOREIGN_KEYS_OFF);
	if (flags != 0)
		ladder_buf_printf(b, "%s0x%xu", sep, flags);
}

/* One ladder_migration_def initialiser; fields at `indent`, continuation
 * lines of SQL one tab deeper. */
static void put_def(ladder_buf *b, const ladder_migration_def *def, const char *checksum, const char *indent)
{
	char deeper[16];

	snprintf(deeper, sizeof(deeper), "%s\t", indent);
	ladder_buf_printf(b, "%s.version = %" PRId64 "LL,\n", indent, def->version);
	ladder_buf_printf(b, "%s.name =", indent);
	put_string(b, def->name, NULL);
	ladder_buf_printf(b, ",\n%s.up_sql =", indent);
	put_string(b, def->up_sql, deeper);
	ladder_buf_printf(b, ",\n%s.down_sql =", indent);
	put_string(b, def->down_sql, deeper);
	ladder_buf_printf(b, ",\n%s.up_flags = ", indent);
	put_flags(b, def->up_flags);
	ladder_buf_printf(b, ",\n%s.down_flags = ", indent);
	put_flags(b, def->down_flags);
	ladder_buf_printf(b, ",\n%s.checksum =", indent);
	put_string(b, checksum, NULL);
	ladder_buf_printf(b, ",\n%s.source =", indent);
	put_string(b, def->source, NULL);
	ladder_buf_printf(b, ",\n%s.up_line = %d,\n", indent, def->up_line);
	ladder_buf_printf(b, "%s.down_line = %d,\n", indent, def->down_line);
	ladder_buf_printf(b, "%s.down_source =", indent);
	put_string(b, def->down_source, NULL);
	ladder_buf_printf(b, ",\n%s.check_sql =", indent);
	put_string(b, def->check_sql, deeper);
	ladder_buf_puts(b, ",\n");
}

/* The directory every source file shares, for the header: *dir points at
 * it and the length is returned (0 if the sources disagree). */
static size_t common_dir(const ladder_plan *plan, const char **dir)
{
	const ladder_migration_def *baseline = ladder_plan_baseline(plan);
	size_t count = ladder_plan_count(plan);
	const char *first = NULL;
	size_t len = 0;

	*dir = "";
	for (size_t i = 0; i <= count; i++) {
		const ladder_migration_def *def = i < count ? ladder_plan_at(plan, i) : baseline;
		const char *sources[2];

		if (def == NULL)
			continue;
		sources[0] = def->source;
		sources[1] = def->down_source;
		for (size_t j = 0; j < 2; j++) {
			const char *slash;
			size_t this_len;
			if (sources[j] == NULL)
				continue;
			slash = strrchr(sources[j], '/');
			this_len = slash ? (size_t)(slash - sources[j]) : 0;
			if (first == NULL) {
				first = sources[j];
				len = this_len;
			} else if (this_len != len || strncmp(first, sources[j], len) != 0) {
				return 0;
			}
		}
	}
	if (first != NULL)
		*dir = first;
	return len;
}

static void put_header(ladder_buf *b, const ladder_plan *plan, const char *symbol)
{
	const ladder_migration_def *baseline = ladder_plan_baseline(plan);
	size_t count = ladder_plan_count(plan);
	const char *dir;
	size_t dir_len = common_dir(plan, &dir);

	ladder_buf_puts(b, "/*\n * Generated by `ladder embed`");
	if (dir_len > 0) {
		ladder_buf_puts(b, " from the migrations in ");
		put_comment_text(b, dir, dir_len);
	}
	ladder_buf_puts(b, ":");
	if (count == 0)
		ladder_buf_puts(b, "\n * no migrations");
	else if (count == 1)
		ladder_buf_printf(b, "\n * 1 migration (version %" PRId64 ")", ladder_plan_at(plan, 0)->version);
	else
		ladder_buf_printf(b, "\n * %zu migrations (versions %" PRId64 " to %" PRId64 ")", count,
		           ladder_plan_at(plan, 0)->version, ladder_plan_at(plan, count - 1)->version);
	if (baseline != NULL)
		ladder_buf_printf(b, ", a baseline at version %" PRId64, baseline->version);
	if (ladder_plan_floor(plan) > 0)
		ladder_buf_printf(b, ", floor %" PRId64, ladder_plan_floor(plan));
	ladder_buf_puts(b, ".\n *\n"
	            " * Do not edit this file: change the migrations and run `ladder embed`\n"
	            " * again. The checksums are computed here, so the application never hashes\n"
	            " * SQL at run time. Load it with ladder_plan_from_def(&plan, &");
	ladder_buf_puts(b, symbol);
	ladder_buf_puts(b, ").\n */\n");
}

static void put_plan(ladder_buf *b, const ladder_plan *plan, const char *symbol)
{
	const ladder_migration_def *baseline = ladder_plan_baseline(plan);
	size_t count = ladder_plan_count(plan);

	put_header(b, plan, symbol);
	ladder_buf_puts(b, "#include <ladder.h>\n\n");
	if (count > 0) {
		ladder_buf_printf(b, "static const ladder_migration_def %s_migrations[] = {\n", symbol);
		for (size_t i = 0; i < count; i++) {
			ladder_buf_puts(b, "\t{\n");
			put_def(b, ladder_plan_at(plan, i), ladder_plan_checksum(plan, i), "\t\t");
			ladder_buf_puts(b, "\t},\n");
		}
		ladder_buf_puts(b, "};\n\n");
	}
	if (baseline != NULL) {
		ladder_buf_printf(b, "static const ladder_migration_def %s_baseline = {\n", symbol);
		put_def(b, baseline, ladder_plan_baseline_checksum(plan), "\t");
		ladder_buf_puts(b, "};\n\n");
	}
	/* The declaration keeps -Wmissing-variable-declarations quiet for
	 * applications that build with it. */
	ladder_buf_printf(b, "extern const ladder_plan_def %s;\n\n", symbol);
	ladder_buf_printf(b, "const ladder_plan_def %s = {\n", symbol);
	if (count > 0)
		ladder_buf_printf(b, "\t.migrations = %s_migrations,\n", symbol);
	else
		ladder_buf_puts(b, "\t.migrations = NULL,\n");
	ladder_buf_printf(b, "\t.count = %zu,\n", count);
	if (baseline != NULL)
		ladder_buf_printf(b, "\t.baseline = &%s_baseline,\n", symbol);
	else
		ladder_buf_puts(b, "\t.baseline = NULL,\n");
	ladder_buf_printf(b, "\t.floor = %" PRId64 "LL,\n", ladder_plan_floor(plan));
	ladder_buf_puts(b, "};\n");
}

/* Why plan cannot be rendered as C under symbol, or 0. */
static int refuse_unrenderable(const ladder_plan *plan, const char *symbol)
{
	const ladder_migration_def *baseline;
	const char *problem;
	size_t count;

	if (plan == NULL)
		return ladder_error_set(LADDER_EINVALID, "ladder_plan_render_c: plan is NULL");
	if ((problem = symbol_problem(symbol)) != NULL)
		return ladder_error_set(LADDER_EINVALID, "symbol '%s' %s: it names the generated variable",
		                        symbol ? symbol : "(null)", problem);
	count = ladder_plan_count(plan);
	baseline = ladder_plan_baseline(plan);
	for (size_t i = 0; i <= count; i++) {
		const ladder_migration_def *def = i < count ? ladder_plan_at(plan, i) : baseline;
		if (def != NULL && (def->up_fn != NULL || def->down_fn != NULL))
			return ladder_error_set(LADDER_EUNSUPPORTED,
			                        "%s %" PRId64 " (%s) has a C callback: only SQL migrations can be embedded",
			                        i < count ? "migration" : "baseline", def->version, def->name);
	}
	return 0;
}

int ladder_plan_render_c(char **out, const ladder_plan *plan, const char *symbol)
{
	ladder_buf b = {0};
	int error;

	if (out == NULL)
		return ladder_error_set(LADDER_EINVALID, "ladder_plan_render_c: out is NULL");
	*out = NULL;
	if ((error = ladder_plan_needs_downs(plan, "ladder_plan_render_c")) < 0 ||
	    (error = refuse_unrenderable(plan, symbol)) < 0)
		return error;
	put_plan(&b, plan, symbol);
	if (b.failed || b.data == NULL) {
		ladder_buf_free(&b);
		return ladder_error_set(LADDER_ENOMEM, "out of memory generating the C source for '%s'", symbol);
	}
	*out = b.data;
	return 0;
}

int ladder_plan_write_c(const ladder_plan *plan, const char *symbol, const char *out_path)
{
	char *text = NULL;
	int error;

	if ((error = ladder_plan_render_c(&text, plan, symbol)) < 0)
		goto done;
	if (out_path == NULL || strcmp(out_path, "-") == 0)
		error = ladder_error_set(LADDER_EINVALID, "ladder_plan_write_c: '%s' is not a file name: libladder never "
		                                          "prints; write the text of ladder_plan_render_c() to standard "
		                                          "output instead",
		                         out_path ? out_path : "(null)");
	else
		error = ladder_file_write(out_path, text, strlen(text), 0);
done:
	ladder_free(text);
	return error;
}
