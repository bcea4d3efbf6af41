/*
 * replay_junit.c: `wsgate replay --junit FILE`: one <testcase> per replayed event (a <failure>
 * with the diff, or the reason the answer is invalid; <skipped> for events of a connection whose
 * $connect was rejected), written after the run when the counts are known (docs/replay.md).
 */
#include "replay_internal.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* XML text for JUnit: &, <, >, " and control characters escaped. New string. */
static char *xml_escape(const char *s, size_t len)
{
    size_t cap = len * 6 + 1, n = 0;
    char *out = malloc(cap);
    if (out == NULL)
        abort();
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        const char *rep = c == '&' ? "&amp;" : c == '<' ? "&lt;" : c == '>' ? "&gt;" : c == '"' ? "&quot;" : NULL;
        if (rep != NULL) {
            memcpy(out + n, rep, strlen(rep));
            n += strlen(rep);
        } else if (c < 0x20 && c != '\n' && c != '\t') {
            out[n++] = '?'; /* XML 1.0 cannot carry other control characters, even escaped */
        } else {
            out[n++] = (char)c;
        }
    }
    out[n] = '\0';
    return out;
}

static void junit_append(wg_replay_run_t *run, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void junit_append(wg_replay_run_t *run, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    wg_buf_vappendf(&run->junit_cases, fmt, ap);
    va_end(ap);
}

void wg_replay_junit_case(wg_replay_run_t *run, const wg_replay_step_t *step, int conn_number, int verdict,
                          double seconds, const char *summary, const wg_replay_diff_t *diff)
{
    if (run->opt->junit == NULL)
        return;
    char name[512];
    snprintf(name, sizeof(name), "%s: %s %s (c%d)", step->name, step->type, step->route, conn_number);
    char *ename = xml_escape(name, strlen(name)), *esummary = xml_escape(summary, strlen(summary));
    junit_append(run, "    <testcase classname=\"wsgate.replay\" name=\"%s\" time=\"%.3f\">\n", ename, seconds);
    if (verdict < 0) {
        junit_append(run, "      <skipped message=\"%s\"/>\n", esummary);
    } else if (verdict == 0) {
        char *etext = xml_escape(diff->text.data != NULL ? diff->text.data : summary,
                                 diff->text.data != NULL ? diff->text.len : strlen(summary));
        junit_append(run, "      <failure type=\"%s\" message=\"%s\">%s</failure>\n",
                     step->has_response ? "mismatch" : "invalid-answer", esummary, etext);
        free(etext);
    } else {
        junit_append(run, "      <system-out>%s</system-out>\n", esummary);
    }
    junit_append(run, "    </testcase>\n");
    free(ename);
    free(esummary);
}

int wg_replay_junit_write(const wg_replay_run_t *run, const char *suite, double seconds)
{
    FILE *f = fopen(run->opt->junit, "w");
    if (f == NULL) {
        fprintf(stderr, "wsgate replay: cannot write --junit %s: %s\n", run->opt->junit, strerror(errno));
        return -1;
    }
    char *esuite = xml_escape(suite, strlen(suite));
    fprintf(f, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    fprintf(
        f,
        "<testsuites name=\"wsgate replay\" tests=\"%d\" failures=\"%d\" errors=\"0\" skipped=\"%d\" time=\"%.3f\">\n",
        run->passed + run->failed + run->skipped, run->failed, run->skipped, seconds);
    fprintf(f, "  <testsuite name=\"%s\" tests=\"%d\" failures=\"%d\" errors=\"0\" skipped=\"%d\" time=\"%.3f\">\n",
            esuite, run->passed + run->failed + run->skipped, run->failed, run->skipped, seconds);
    if (run->junit_cases.data != NULL)
        fputs(run->junit_cases.data, f);
    fprintf(f, "  </testsuite>\n</testsuites>\n");
    free(esuite);
    if (fclose(f) != 0) {
        fprintf(stderr, "wsgate replay: cannot write --junit %s: %s\n", run->opt->junit, strerror(errno));
        return -1;
    }
    return 0;
}
