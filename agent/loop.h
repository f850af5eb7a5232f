/* Single-threaded event loop: file descriptor watches and timers on poll(2).
 *
 * Everything in the daemon (drivers, MQTT sessions, control socket, group
 * commit) runs on this one loop, so no state needs locking. Callbacks must not
 * block. A watch or timer may be removed from inside any callback.
 */
#ifndef DOCKSIDE_LOOP_H
#define DOCKSIDE_LOOP_H

#include <stdbool.h>
#include <stdint.h>

struct loop;
struct loop_watch;
struct loop_timer;

/* revents are poll(2) bits (POLLIN, POLLOUT, POLLERR, POLLHUP, ...). */
typedef void (*loop_fd_cb)(struct loop *loop, int fd, short revents, void *arg);
typedef void (*loop_timer_cb)(struct loop *loop, void *arg);

struct loop *loop_new(void);
/* Frees the loop and every watch and timer still registered. */
void loop_free(struct loop *loop);

/* Watch fd for `events` (POLLIN/POLLOUT). Returns NULL on out-of-memory. */
struct loop_watch *loop_watch_add(struct loop *loop, int fd, short events, loop_fd_cb cb, void *arg);
void loop_watch_set_events(struct loop_watch *w, short events);
/* Removes and frees the watch; does not close fd. NULL is a no-op. */
void loop_watch_remove(struct loop_watch *w);

/* One-shot timer firing after `ms` milliseconds (monotonic clock). */
struct loop_timer *loop_timer_add(struct loop *loop, int64_t ms, loop_timer_cb cb, void *arg);
/* Cancels and frees a pending timer. NULL is a no-op. Do not call it on a
 * timer whose callback is running (it is freed after the callback returns). */
void loop_timer_cancel(struct loop_timer *t);

/* Called once per iteration before polling (used to refresh MQTT watches). */
typedef void (*loop_prepare_cb)(struct loop *loop, void *arg);
void loop_set_prepare(struct loop *loop, loop_prepare_cb cb, void *arg);

/* Run one iteration waiting at most max_wait_ms (-1: until something
 * happens). Returns -1 on a poll error other than EINTR. */
int loop_run_once(struct loop *loop, int max_wait_ms);

/* Monotonic milliseconds. */
int64_t loop_now_ms(void);

#endif
