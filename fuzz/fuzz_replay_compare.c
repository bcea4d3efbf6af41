/*
 * fuzz_replay_compare.c: libFuzzer target for `wsgate replay`'s reading and comparison of
 * backend answers (src/replay_compare.c): the recorded answer comes from a fixture file anyone can
 * edit, the replayed one from the backend under test. Input: recorded answer, a NUL byte, replayed
 * answer (no NUL: the input is compared with itself). Both are read as answers (HTTP 200) and as
 * raw payloads, with an --ignore list and a connection-id translation.
 * Properties checked: the diff has exactly `count` lines; an input compared with itself matches.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "replay_compare.h"

static size_t count_lines(const wg_replay_diff_t *diff)
{
    size_t n = 0;
    for (size_t i = 0; i < diff->text.len; i++)
        n += diff->text.data[i] == '\n';
    return n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *in = (const char *)data;
    const char *nul = memchr(in, '\0', size);
    const char *want = in, *got = nul != NULL ? nul + 1 : in;
    size_t want_len = nul != NULL ? (size_t)(nul - in) : size, got_len = nul != NULL ? size - want_len - 1 : size;
    static const char *const ignore[] = {"/a/*/b", "/ignored", "/*"};
    static const char *const from[] = {"BFaT_fALIAMCKug=", "x"};
    static const char *const to[] = {"H8fLFelyIAMCLgA=", "yy"};
    wg_replay_compare_options_t opt = {ignore, 2, from, to, 2};
    wg_replay_diff_t diff = {0};

    int same = wg_replay_compare_payload("body", want, want_len, got, got_len, &opt, &diff);
    if (count_lines(&diff) != diff.count || (same != (diff.count == 0)))
        abort();
    wg_replay_diff_free(&diff);

    wg_replay_answer_t a, b;
    wg_replay_answer_read(200, want, want_len, &a);
    wg_replay_answer_read(200, got, got_len, &b);
    same = wg_replay_compare_answers(&a, &b, 1, 1, &opt, &diff);
    if (count_lines(&diff) != diff.count || (same != (diff.count == 0)))
        abort();
    wg_replay_diff_free(&diff);
    /* an answer compared with itself always matches (ids translate only from recorded to replayed,
     * so use no translation here) */
    wg_replay_compare_options_t plain = {NULL, 0, NULL, NULL, 0};
    if (!wg_replay_compare_answers(&a, &a, 1, 1, &plain, &diff))
        abort();
    wg_replay_diff_free(&diff);
    wg_replay_answer_free(&a);
    wg_replay_answer_free(&b);
    opt.num_ignore = 3;
    (void)wg_replay_path_matches(want_len > 0 && want[0] == '/' ? "/a/*" : "", "/a/b/c");
    return 0;
}
