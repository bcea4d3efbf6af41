/*
 * The one unit-test runner: every tests/unit/test_<module>.c contributes one Check suite,
 * listed by CMake in wg_suites.inc. Runs them all and exits non-zero on any failure.
 */
#include <check.h>
#include <stdlib.h>

#define WG_SUITE(name) Suite *wg_test_suite_##name(void);
#include "wg_suites.inc"
#undef WG_SUITE

int main(void)
{
    SRunner *runner = srunner_create(NULL);
#define WG_SUITE(name) srunner_add_suite(runner, wg_test_suite_##name());
#include "wg_suites.inc"
#undef WG_SUITE
    srunner_run_all(runner, CK_NORMAL);
    int failed = srunner_ntests_failed(runner);
    srunner_free(runner);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
