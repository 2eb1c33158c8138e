/*
 * test_config_db.c — the conninfo as the daemon checks, shows and hides it
 * (issue 16, row 6): a URI whose password holds an unescaped '@' or '/' is
 * refused and never described; a description carries host, port and dbname
 * only; the source identity leaves user and password out; --db and
 * --api-tokens are overwritten in argv while the private copy keeps them.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "casa/config.h"

/* A password none of whose pieces (split at '@' or '/') may ever show. */
#define PIECE_1 "Zq7wQ"
#define PIECE_2 "Xk9vW"

static void assert_no_piece(const char *text)
{
	ck_assert_msg(strstr(text, PIECE_1) == NULL && strstr(text, PIECE_2) == NULL,
	              "password piece in \"%s\"", text);
}

START_TEST(test_unescaped_separators_refused_and_hidden)
{
	/* libpq parses the first as host "Xk9vW@db.example" and the second as
	 * host "casa", port "Zq7wQ", dbname "Xk9vW@db.example/casa" */
	static const char *const uris[] = {
	    "postgresql://casa:" PIECE_1 "@" PIECE_2 "@db.example:5432/casa",
	    "postgresql://casa:" PIECE_1 "/" PIECE_2 "@db.example/casa",
	    "postgres://casa:" PIECE_1 "@" PIECE_2 "@db.example/casa?sslmode=require",
	};
	for (size_t i = 0; i < CASA_ARRAY_LEN(uris); i++) {
		char why[256], out[256];
		ck_assert(!config_db_check(uris[i], why, sizeof(why)));
		ck_assert_ptr_nonnull(strstr(why, "%40"));
		assert_no_piece(why);
		config_describe_db(uris[i], out, sizeof(out));
		ck_assert_str_eq(out, "(a URI with an unescaped '@' or '/': not shown)");
	}
}
END_TEST

START_TEST(test_good_conninfo_accepted_and_described)
{
	char why[256], out[256];
	/* the same password percent-encoded */
	const char *uri = "postgresql://casa:" PIECE_1 "%40" PIECE_2 "@db.example:5433/casa";
	ck_assert_msg(config_db_check(uri, why, sizeof(why)), "%s", why);
	config_describe_db(uri, out, sizeof(out));
	ck_assert_str_eq(out, "host=db.example port=5433 dbname=casa");
	/* key=value: the password may hold anything */
	const char *kv =
	    "host=10.0.0.5 port=5432 dbname=casa user=u password=" PIECE_1 "@/" PIECE_2;
	ck_assert(config_db_check(kv, why, sizeof(why)));
	config_describe_db(kv, out, sizeof(out));
	ck_assert_str_eq(out, "host=10.0.0.5 port=5432 dbname=casa");
	/* an '@' in a query value is that value's */
	ck_assert(config_db_check("postgresql://u@db/casa?application_name=a@b", why, sizeof(why)));
	/* host lists, socket directories, abstract sockets, IPv6 */
	ck_assert(config_db_check("host=db1,db2 port=5432,5433 dbname=x", why, sizeof(why)));
	ck_assert(config_db_check("host=/var/run/postgresql dbname=x", why, sizeof(why)));
	ck_assert(config_db_check("host=@pgsock dbname=x", why, sizeof(why)));
	ck_assert(config_db_check("postgresql://[::1]:5432/x", why, sizeof(why)));
}
END_TEST

START_TEST(test_implausible_fields_refused)
{
	char why[256];
	ck_assert(!config_db_check("host=a@b dbname=x", why, sizeof(why)));
	ck_assert_str_eq(why, "host is not a host name, address or socket directory");
	ck_assert(!config_db_check("host=a port=" PIECE_1, why, sizeof(why)));
	ck_assert_str_eq(why, "port is not a number");
	ck_assert(!config_db_check("host='unterminated", why, sizeof(why)));
	ck_assert_str_eq(why, "not a valid libpq conninfo or URI");
}
END_TEST

START_TEST(test_source_identity)
{
	struct config a, b;
	char id_a[CONFIG_SOURCE_ID_LEN], id_b[CONFIG_SOURCE_ID_LEN];
	memset(&a, 0, sizeof(a));
	memset(&b, 0, sizeof(b));
	a.db = "host=db port=5432 dbname=casa user=admin password=" PIECE_1;
	a.schema = "deid";
	b.db = "postgresql://reader:" PIECE_2 "@db:5432/casa";
	b.schema = "deid";
	config_source_identity(&a, id_a);
	config_source_identity(&b, id_b);
	/* same database, other role and password: the same source */
	ck_assert_str_eq(id_a, "host=db port=5432 dbname=casa schema=deid");
	ck_assert_str_eq(id_b, id_a);
	b.schema = "deid2";
	config_source_identity(&b, id_b);
	ck_assert_str_eq(id_b, "host=db port=5432 dbname=casa schema=deid2");
}
END_TEST

START_TEST(test_argv_secrets_overwritten)
{
	char a0[] = "casa-metricsd", a1[] = "--db", a2[] = "host=x password=" PIECE_1,
	     a3[] = "--db=host=y password=" PIECE_2, a4[] = "--api-tokens", a5[] = "tok-" PIECE_1,
	     a6[] = "--min-cell", a7[] = "12", a8[] = "--dbx=keep";
	char *argv[] = {a0, a1, a2, a3, a4, a5, a6, a7, a8, NULL};
	int argc = 9;
	size_t a2_len = strlen(a2), a5_len = strlen(a5);
	char **kept = config_argv_protect(argc, argv);
	ck_assert_ptr_nonnull(kept);
	/* the copy holds every argument as given */
	ck_assert_str_eq(kept[2], "host=x password=" PIECE_1);
	ck_assert_str_eq(kept[3], "--db=host=y password=" PIECE_2);
	ck_assert_str_eq(kept[5], "tok-" PIECE_1);
	ck_assert_ptr_null(kept[argc]);
	/* argv's own bytes, which /proc/PID/cmdline shows, hold no secret */
	ck_assert_str_eq(argv[2], "*");
	for (size_t i = 1; i < a2_len; i++)
		ck_assert_int_eq(argv[2][i], 0);
	ck_assert_str_eq(argv[3], "--db=*");
	ck_assert_str_eq(argv[5], "*");
	for (size_t i = 1; i < a5_len; i++)
		ck_assert_int_eq(argv[5][i], 0);
	/* other flags untouched, including one that only starts like --db */
	ck_assert_str_eq(argv[7], "12");
	ck_assert_str_eq(argv[8], "--dbx=keep");
	config_argv_free(argc, kept);
}
END_TEST

static Suite *config_db_suite(void)
{
	Suite *s = suite_create("config_db");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, test_unescaped_separators_refused_and_hidden);
	tcase_add_test(tc, test_good_conninfo_accepted_and_described);
	tcase_add_test(tc, test_implausible_fields_refused);
	tcase_add_test(tc, test_source_identity);
	tcase_add_test(tc, test_argv_secrets_overwritten);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *runner = srunner_create(config_db_suite());
	srunner_run_all(runner, CK_NORMAL);
	int failed = srunner_ntests_failed(runner);
	srunner_free(runner);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
