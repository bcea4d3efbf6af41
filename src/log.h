/*
 * log.h: one line per event on stderr, with a level and a UTC timestamp.
 *
 * wg_log_debug lines appear only with --verbose; hot paths call it behind wg_log_is_verbose()
 * so that formatting costs nothing when it is off. Secrets (Authorization values, secret keys)
 * are never passed here.
 */
#ifndef WG_LOG_H
#define WG_LOG_H

void wg_log_set_verbose(int is_verbose);
int wg_log_is_verbose(void);
void wg_log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void wg_log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void wg_log_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void wg_log_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
