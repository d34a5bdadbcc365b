/*
 * The two clocks: the wall clock for times that are written down, the
 * monotonic one for intervals and deadlines (a stepped wall clock must
 * not fire or starve a timer).
 */
#ifndef TEL_CLOCK_H
#define TEL_CLOCK_H

#include <stdint.h>

/* Wall-clock time in ms since the epoch (CLOCK_REALTIME). */
int64_t	tel_now_ms(void);

/* Monotonic time in ms, for intervals and timers (CLOCK_MONOTONIC). */
int64_t	tel_mono_ms(void);

#endif
